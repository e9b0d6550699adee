# SPDX-License-Identifier: MIT
"""Each fix the tool prints, proven by running the fixed program, not by reading text.

A racy testcase declares the fix its finding gets (`fix_kind=K`) and its fixed counterpart
(`fixed_by=F`: the same program with exactly that fix applied). Here the racy one must race
with every race group's fix_kind K, and the fixed one must run clean, with no object destroyed
off its thread, every time, under Debian's PyQt6 and the binding matrix's wheels. Both print
what the program saw itself (_died_where.py: where each object died; or the threads it made
the calls in), which their headers' stdout lines check: the race is there, and the fix
removes it."""
import os

import pytest

from conftest import TESTCASES, list_testcases, parse_header, run_tool, tool_env
from test_bindings import venv_env
from test_testcases import check_outcome

FIXED_RUNS = int(os.environ.get("QGC_FIX_RUNS", "3"))
# "debian": /usr/bin/python3 and Debian's PyQt6; the others are venvs of the matrix.
BINDINGS = ["debian", "PyQt6", "PySide6", "PySide6-6.9", "PyQt6-6.7", "PySide6-6.8", "PySide6-6.5"]
FIX_KINDS = {"gui-collector", "collect-in-owner", "move-to-gui-thread", "drop-in-owner", "break-cycle",
             "cpp-call", "owner-thread-work"}
RACY = [c for c in list_testcases() if "fixed_by" in parse_header(c)["expect"]]


def env_for(binding):
    return tool_env() if binding == "debian" else venv_env(binding)


def header_for(case, binding):
    return parse_header(case, "PyQt6" if binding == "debian" else binding.split("-")[0])


def test_every_fix_kind_has_a_proof():
    """Each fix kind the tool can print has a racy testcase and a fixed counterpart."""
    declared = {parse_header(c)["expect"]["fix_kind"] for c in RACY}
    assert declared == FIX_KINDS, declared
    for case in RACY:
        fixed = TESTCASES / parse_header(case)["expect"]["fixed_by"]
        assert fixed.exists() and parse_header(fixed)["expect"]["verdict"] == "clean", fixed


@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize("case", RACY, ids=[c.stem for c in RACY])
def test_fix_removes_the_finding(case, binding):
    env = env_for(binding)
    header = header_for(case, binding)
    kind = header["expect"]["fix_kind"]
    run = run_tool(*header["args"], case, env=env, timeout=180)
    check_outcome(case, run, header)
    races = [f for f in run.report["findings"] if f["role"] == "race"]
    assert races and {f["fix_kind"] for f in races} == {kind}, [
        (f["title"], f["fix_kind"], f["fix"]) for f in races]
    for f in races:
        # The advice never offers the GUI-thread collector where it cannot help.
        assert ("--mitigate applies it" in f["fix"]) == (kind == "gui-collector"), f["fix"]
        if kind == "move-to-gui-thread":
            assert f["owner_event_loop"] is False and "deleteLater" not in f["fix"].replace(
                "a deleteLater() or a queued call there would never run", ""), f["fix"]
        if f["owner_event_loop"] is False and f["owner_thread"] == "MainThread":
            # A script whose own event loop never ran: no deleteLater(), no GUI thread to move to.
            assert "call deleteLater()" not in f["fix"] and "moveToThread" not in f["fix"], f["fix"]
    fixed = TESTCASES / header["expect"]["fixed_by"]
    fixed_header = header_for(fixed, binding)
    for _ in range(FIXED_RUNS):
        run = run_tool(*fixed_header["args"], fixed, env=env, timeout=180)
        check_outcome(fixed, run, fixed_header)
        assert [f for f in run.report["findings"] if f["kind"] in ("off-thread-finalization", "thread-warning")] == []


def test_collect_in_owner_names_the_call_and_not_mitigate():
    """An explicit gc.collect() in a worker: the fix names that call (file:line of the
    program's own call) and --compare is not presented as its fix: the run with
    --mitigate races the same, and the report says so."""
    case = TESTCASES / "explicit_collect_in_worker.py"
    line = next(i for i, text in enumerate(case.read_text().splitlines(), 1) if text.strip() == "gc.collect()")
    run = run_tool("--compare", *parse_header(case)["args"], case, timeout=180)
    races = [f for f in run.report["findings"] if f["role"] == "race"]
    assert races, run.stderr[-2000:]
    for f in races:
        assert f["fix_kind"] == "collect-in-owner" and f["gc_trigger"] == "explicit", f
        assert "make that call in MainThread" in f["fix"], f["fix"]
        if f["during_teardown"] and not f["finalization_stack"]:
            # The daemon collector went on collecting while the interpreter finalized: no
            # thread's Python stack is read then, so there is no call to name.
            assert "gc.collect() at" not in f["fix"], f["fix"]
            continue
        assert f"gc.collect() at testcases/explicit_collect_in_worker.py:{line} (in collect_forever)" in f["fix"] \
            or f"gc.collect() at {case}:{line} (in collect_forever)" in f["fix"], f["fix"]
    assert any(not f["during_teardown"] for f in races), races
    # With --mitigate it races just the same; like the run without it, it may then crash
    # (the header's also=crash: on CPython 3.13 the daemon collector, ended by the
    # finalizing interpreter inside a destructor's slot, aborts), its findings kept.
    compare = run.report["compare"]
    assert compare["mitigated_verdict"] in ("race", "crash"), run.stderr[-2000:]
    assert compare["mitigated_findings_total"] > 0, run.stderr[-2000:]
    assert "--mitigate applies it" not in run.stderr
    assert "--mitigate changes nothing for them" in run.report["hint"], run.report["hint"]
    assert any(n.startswith("--compare runs the app again with --mitigate") for n in run.report["notes"]), \
        run.report["notes"]


def test_gui_collector_is_what_mitigate_applies():
    """The one fix --mitigate applies: the same program under --compare is clean with it."""
    case = TESTCASES / "gui_owned_cycle.py"
    run = run_tool("--compare", *parse_header(case)["args"], case, timeout=180)
    assert run.report["verdict"] in ("race", "crash") and run.report["compare"]["mitigated_verdict"] == "clean", \
        run.stderr[-2000:]
    assert "--mitigate applies it, --compare shows the run with and without it" in run.report["hint"]
    assert not any(n.startswith("--compare runs the app again") for n in run.report["notes"])
