# SPDX-License-Identifier: MIT
"""The crash report can be trusted: written without the allocator and on every thread's
own alternate stack, never made by a forked child, and a crash or hang of qgc-check
itself is named as such (the classifier's cases: tests/unit/test-dump.c)."""
import re

from conftest import TESTCASES, parse_header, run_tool


def run_case(name, *extra):
    case = TESTCASES / f"{name}.py"
    return run_tool(*parse_header(case)["args"], *extra, case, timeout=120)


def thread_sections(stacks):
    return re.findall(r"^@thread .*?(?=^@|\Z)", stacks, re.M | re.S)


def test_crash_inside_malloc_is_a_crash_with_stacks():
    run = run_case("crash_inside_malloc")
    assert run.report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    crash = run.report["crash"]
    assert crash["signal"] == "ABRT" and crash["in_tool"] is False
    crashed = [s for s in thread_sections(crash["stacks"]) if " crashed=yes " in s]
    assert len(crashed) == 1 and " main=yes " in crashed[0], crash["stacks"]
    # The interrupted frame is marked, and free() is among the frames it was called from.
    assert "[signal]" in crashed[0] and re.search(r"\bfree\b|__libc_free", crashed[0]), crashed[0]
    assert "corrupt_and_free" in crash["stacks"]  # the Python stack too
    assert "in qgc-check itself" not in run.stderr


def test_stack_overflow_in_a_python_thread_is_reported_from_that_thread():
    run = run_case("stack_overflow_in_thread")
    assert run.report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    crash = run.report["crash"]
    assert crash["signal"] == "SEGV" and crash["in_tool"] is False
    crashed = [s for s in thread_sections(crash["stacks"]) if " crashed=yes " in s]
    assert len(crashed) == 1 and "python=deep-repr" in crashed[0], crash["stacks"]
    # The recursion's own frames (list_repr is static: a stripped shared
    # libpython, as Debian 13's, names only its exported neighbour).
    assert "list_repr" in crashed[0] or crashed[0].count("PyObject_Repr") > 3, crashed[0][-2000:]
    # Every other thread answered too.
    assert any(" main=yes " in s for s in thread_sections(crash["stacks"]))


def test_forked_child_records_nothing_in_the_parents_report():
    run = run_case("correct_os_fork")
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-3000:]
    # The parent made 100 QObjects (and Qt a few); the child's 500 are not the run's.
    assert run.report["stats"]["objects_created"] < 500, run.report["stats"]
    assert run.report["crash"] is None and run.report["hang"] is None


def test_forked_children_crashing_are_not_the_runs_crash():
    run = run_case("correct_fork_pool")
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-3000:]
    assert run.report["crash"] is None and run.report["script_exit_status"] == 0
    assert "squares: 285, tasks lost: 1, crashed child: SIGSEGV" in run.stdout
