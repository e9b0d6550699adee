# SPDX-License-Identifier: MIT
"""Every testcase in testcases/ runs under qgc-check several times and must give
its declared outcome each time: verdict, exit status, and the finding it names."""
import fnmatch
import os
import re

import pytest

from conftest import (parse_header, process_group_gone, run_tool, list_testcases,
                      validate_schema)

RUNS = int(os.environ.get("QGC_TEST_RUNS", "3"))
EXIT = {"clean": 0, "race": 1, "error": 3, "crash": 4, "hang": 5, "incomplete": 7}


def matching_findings(report, expect):
    found = report["findings"]
    for key, field in (("class", "class"), ("pyclass", "python_class"), ("cause", "cause"),
                       ("kind", "kind"), ("fix_kind", "fix_kind")):
        if key in expect:
            found = [f for f in found if f[field] == expect[key]]
    if "thread" in expect:
        found = [f for f in found if fnmatch.fnmatch(f["finalizing_thread"] or "", expect["thread"])]
    if "message" in expect:
        found = [f for f in found if fnmatch.fnmatch(f["message"] or "", expect["message"])]
    if "risk" in expect:
        found = [f for f in found if f["risk"] == expect["risk"]]
    if "evidence" in expect:
        found = [f for f in found if expect["evidence"] in f["evidence"]]
    if "teardown" in expect:
        found = [f for f in found if f["during_teardown"] is (expect["teardown"] == "yes")]
    return found


def tool_sections(part):
    """The dump's thread sections a tool frame was found in (a fault in the handler
    is its own section, crashed=handler): what a failure needs to be explained."""
    sections = (part.get("stacks") or "").split("\n@thread ")
    return "\n@thread ".join(s for s in sections if "crashed=handler" in s or "crashed=yes" in s)[:6000]


def check_outcome(case, run, header):
    expect = header["expect"]
    report = run.report
    assert report is not None, f"no JSON report; stderr:\n{run.stderr[-3000:]}"
    validate_schema(report)
    # A racy case may crash the app after its findings: that is the race doing
    # harm, reported as a crash that keeps them (declared with also=crash).
    allowed = {expect["verdict"], *filter(None, expect.get("also", "").split(","))}
    assert report["verdict"] in allowed, (
        f"{report['verdict']}: " + "; ".join(
            f"{part} {({k: v for k, v in report[part].items() if k != 'stacks'})}"
            for part in ("crash", "hang") if report[part]) + "\n" + run.stderr[-3000:])
    assert run.returncode == int(expect.get("exit", EXIT[report["verdict"]]))
    assert report["exit_code"] == run.returncode
    assert process_group_gone(report["runner_pid"]), "a process of the run survived it"
    # No header allows a crash or a hang of qgc-check itself (its probe, its hooks,
    # its crash handler): also=crash and also=hang are for the app's.
    for part in ("crash", "hang"):
        if report[part]:
            assert report[part]["in_tool"] is False, (
                f"{part} in qgc-check itself at {report[part]['tool_frame']}:\n{run.stderr[-3000:]}"
                f"\nthe raw dump's sections of the tool's frame:\n{tool_sections(report[part])}")
    if any(k in expect for k in ("class", "pyclass", "cause", "thread", "kind", "message", "risk")):
        found = matching_findings(report, expect)
        # early_crash=yes: the app may die of the race before any destruction reaches
        # the hook (a crash in another thread's use of an object being destroyed): a
        # crash with no finding at all, declared and measured in the testcase.
        early = expect.get("early_crash") == "yes" and report["verdict"] == "crash" and not report["findings"]
        assert found or early, f"no finding matches {expect}: {report['findings'][:3]}"
        for f in found:
            assert f["count"] >= 1
            assert f["owner_thread"] == "MainThread" or f["kind"] == "thread-warning"
            if f["kind"] == "off-thread-finalization" and expect.get("site") == "none":
                assert f["creation_site"] is None  # made in C++ while no Python line ran
            elif f["kind"] == "off-thread-finalization":
                # Creation site: the testcase's own line, in the user's function.
                site = f["creation_site"]
                assert site and site["file"] == str(case) and site["line"] > 0, site
    if expect["verdict"] in ("clean", "error") and "class" not in expect:
        assert report["findings"] == []
    if "reason" in expect:
        assert fnmatch.fnmatch(report["error"] or "", expect["reason"]), report["error"]
    if "signal" in expect:
        assert report["crash"]["signal"] == expect["signal"]
        assert "@thread" in report["crash"]["stacks"]
        # Python's stacks too, unless the interpreter aborted by itself: CPython 3.13
        # leaves none for the crash handler after its own fatal error (it printed
        # them to stderr), 3.11 still does.
        assert "@python" in report["crash"]["stacks"] or "fatal" in expect
        # A crash while the interpreter shut down, after the script's end, says so.
        after = expect.get("after_script") == "yes"
        assert report["crash"]["after_script"] is after
        assert ("after the script ended (the interpreter was shutting down)" in run.stderr) is after
        # The interpreter's own fatal error is named, and only then.
        fatal = report["crash"]["interpreter_fatal_error"]
        assert fnmatch.fnmatch(fatal or "", expect["fatal"]) if "fatal" in expect else fatal is None, fatal
        if "fatal" in expect:
            assert "qgc-check: crash: the app died of SIGABRT after the interpreter's fatal error" in run.stderr
            assert re.search(r"^hint: the interpreter itself aborted .*not a QObject destroyed off its thread",
                             run.stderr, re.M), run.stderr[-2000:]
    if "script_exit" in expect:
        assert report["script_exit_status"] == int(expect["script_exit"])
    # The run ends by itself at --duration (the tool ends the event loops),
    # not by the supervisor's outer limit, unless the case says so.
    assert report["stopped_after_limit"] is (expect.get("stopped") == "yes")
    if header["stdout"]:
        assert re.search(header["stdout"], run.stdout, re.M), run.stdout[-2000:]


CASES = [(case, i) for case in list_testcases() for i in range(RUNS)]


@pytest.mark.parametrize("case,attempt", CASES, ids=[f"{c.stem}-{i}" for c, i in CASES])
def test_testcase(case, attempt):
    header = parse_header(case)
    run = run_tool(*header["args"], case, timeout=180)
    check_outcome(case, run, header)


def test_python_tracebacks_are_read_up_to_a_fault():
    """A fault while the crash handler reads the Python stacks (a stack that memory
    corruption broke, or one another thread tears down as the interpreter finalizes)
    costs the tracebacks from there on, said in their place, not the report: it is not
    a crash of qgc-check's handler (which the report claimed before the read was
    guarded)."""
    case = [c for c in list_testcases() if c.stem == "abort_with_corrupt_python_stack"][0]
    run = run_tool(*parse_header(case)["args"], case, timeout=120)
    crash = run.report["crash"]
    assert run.report["verdict"] == "crash" and crash["in_tool"] is False, crash["tool_frame"]
    note = "(reading the Python tracebacks faulted: the interpreter's state was being torn down, or is corrupt"
    assert note in crash["stacks"]
    frames = run.stderr[run.stderr.index("Python frames of MainThread"):run.stderr.index("native frames of")]
    assert "in break_stack_and_abort" in frames and note in frames, run.stderr[-3000:]


@pytest.mark.parametrize("attempt", range(RUNS))
def test_no_stress_workers_means_clean(attempt):
    """--threads 0 observes only: the racy case's garbage is collected in the GUI thread."""
    run = run_tool("--threads", "0", "--duration", "2", "testcases/graphics_item_cycle.py",
                   cwd=os.path.dirname(os.path.dirname(__file__)))
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-2000:]
    assert run.report["stats"]["collections_off_gui_thread"] == 0
    assert run.report["stats"]["collections"] > 0


def test_hang_names_gil_holder_and_gui_wait():
    case = [c for c in list_testcases() if c.stem == "deadlock_proxy_widget"][0]
    run = run_tool(*parse_header(case)["args"], case, timeout=120)
    hang = run.report["hang"]
    assert run.report["verdict"] == "hang"
    assert hang["gil_holder"].startswith("qgc-stress-")
    assert "flushWindowSystemEvents" in hang["gil_holder"]
    assert hang["gui_thread_waiting_for"] == "the GIL"
    assert "GIL held by: qgc-stress-" in run.stderr
    # The worker is inside the collection that destroys the widget.
    assert hang["collecting_thread"].startswith("qgc-stress-"), hang["collecting_thread"]
    assert ", inside a garbage collection, waiting for " in hang["collecting_thread"]
    assert "a collection was running in: qgc-stress-" in run.stderr


def test_hang_names_python_threads_and_a_python_lock(tmp_script):
    s = tmp_script("""
import sys, threading, time
from _qt import QApplication, QTimer
lock = threading.Lock()
def holder():
    with lock:
        time.sleep(100)
threading.Thread(target=holder, name="db-worker", daemon=True).start()
time.sleep(0.2)
app = QApplication(sys.argv)
QTimer.singleShot(300, lock.acquire)
app.exec()
""")
    import shutil
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "testcases", "_qt.py"), s.parent)
    run = run_tool("--duration", "10", "--hang-timeout", "2", s, timeout=60)
    assert run.report["verdict"] == "hang" and run.returncode == 5
    assert run.report["hang"]["gui_thread_waiting_for"].startswith("a Python lock")
    assert "[db-worker] (most recent call first)" in run.report["hang"]["stacks"]
    assert "python=db-worker" in run.report["hang"]["stacks"]
    assert f'File "{s}", line 7 in holder' in run.report["hang"]["stacks"]
