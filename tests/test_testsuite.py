# SPDX-License-Identifier: MIT
"""Test suites under qgc-check: `-m pytest` with pytest-qt, findings attributed to
the test that was running, the program's own result kept in the exit status, risk
with evidence and --fail-on, suppression files."""
import json
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, TESTCASES, run_tool, tool_env

SUITE = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "testcases/pytest_suite"]
RACY_TEST = "testcases/pytest_suite/test_widgets.py::test_racy_legend"


def suite_run(*extra, env=None, json_report=True):
    return run_tool(*extra, *SUITE, cwd=ROOT, env=env or tool_env(QT_API="pyqt6"), timeout=300,
                    json_report=json_report)


def test_pytest_suite_results_intact_and_findings_name_the_racy_test(tmp_path):
    junit = tmp_path / "r.xml"
    run = suite_run("--junit", junit)
    assert "2 passed, 1 skipped" in run.stdout  # pytest's own result, unchanged
    assert run.report["module"] is True and run.report["script"] == "pytest"
    assert run.report["verdict"] in ("race", "crash") and run.report["findings"]
    assert {f["test"] for f in run.report["findings"]} == {RACY_TEST}
    assert run.returncode == (1 if run.report["verdict"] == "race" else 4)
    assert f"during test {RACY_TEST}" in run.stderr
    # JUnit attaches the findings to the test's own name.
    # Several findings in one test get unique names: "test_x [what, where]".
    names = [(c.get("classname"), c.get("name").split(" [")[0])
             for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert set(names) == {("testcases/pytest_suite/test_widgets.py", "test_racy_legend")}
    full = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert len(full) == len(set(full))


def test_failing_test_changes_the_exit_status():
    env = tool_env(QT_API="pyqt6", QGC_FAIL_ONE="1")
    # Race and a failing test: still 1 (a race), and pytest's failure is in the report.
    run = suite_run(env=env)
    assert "1 failed, 2 passed" in run.stdout
    assert run.report["script_exit_status"] == 1
    assert run.returncode in (1, 4)
    # No race (the workaround on), a failing test: 6, the program failed.
    run = suite_run("--mitigate", env=env)
    assert run.report["verdict"] == "clean" and run.returncode == 6
    assert "the program itself failed (exit status 1)" in run.stderr
    # No race, all tests pass: 0.
    assert suite_run("--mitigate").returncode == 0


def test_gen_suppressions_then_suppressions_turn_the_run_clean(tmp_path):
    supp = tmp_path / "qgc.supp"
    first = suite_run("--gen-suppressions", supp)
    assert first.report["findings"] and supp.exists()
    text = supp.read_text()
    assert "class: QGraphicsTextItem" in text and "function: LegendEntry.__init__" in text
    stale = tmp_path / "stale.supp"
    stale.write_text("{\n  name: nothing matches me\n  class: QNeverSeen\n}\n")
    run = suite_run("--suppressions", supp, "--suppressions", stale)
    if run.report["verdict"] == "crash":
        pytest.skip("the race crashed the app this time; suppressions do not stop a crash")
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-2000:]
    assert run.report["suppressed"]["groups"] >= 1 and run.report["suppressed"]["findings_total"] > 0
    assert all(f["suppressed_by"] for f in run.report["findings"])
    assert run.report["unused_suppressions"] == [{"name": "nothing matches me", "file": str(stale),
                                                   "line": 1}]
    assert "suppression 'nothing matches me'" in run.stderr and "matched nothing" in run.stderr
    assert "suppressed (-v shows them)" in run.stderr


def test_bad_suppression_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.supp"
    bad.write_text("{\n  name: x\n  colour: red\n}\n")
    run = run_tool("--suppressions", bad, TESTCASES / "idle_app.py", json_report=False)
    assert run.returncode == 2 and f"{bad}:3: unknown key 'colour'" in run.stderr


def test_fail_on_high_ignores_rule_only_findings():
    run = run_tool("--fail-on", "high", "--duration", "1.5", TESTCASES / "graphics_item_cycle.py")
    if run.report["verdict"] == "crash":
        pytest.skip("the race crashed the app this time")
    assert {f["risk"] for f in run.report["findings"]} == {"rule"}
    assert run.report["verdict"] == "clean" and run.returncode == 0


@pytest.mark.parametrize("case,evidence", [("graphics_timer_child", "active-timers"),
                                           ("del_stops_timer", "qt-warning"),
                                           ("posted_events_pending", "posted-events"),
                                           ("scene_item_deleted_in_worker", "in-scene")])
def test_fail_on_high_with_evidence(case, evidence):
    run = run_tool("--fail-on", "high", "--duration", "1.5", TESTCASES / f"{case}.py")
    high = [f for f in run.report["findings"] if f["risk"] == "high"]
    assert high and all(evidence in f["evidence"] or f["evidence"] for f in high)
    assert any(evidence in f["evidence"] for f in high)
    assert run.returncode in (1, 4) and run.report["verdict"] in ("race", "crash")


ATTRIBUTION = '''
import os, signal, threading
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem

app = QApplication.instance() or QApplication([])
made = []


class Entry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 1, 1)
        self.label = QGraphicsTextItem("x", self)


def test_makes():
    made.extend(Entry() for _ in range(5))


def test_bystander():
    def drop(items):
        items.clear()  # the last references: destroyed in this thread
    t = threading.Thread(target=drop, args=(made,), name="dropper")
    t.start()
    t.join()


def test_crashes():
    if os.environ.get("QGC_CRASH_IN_TEST"):
        os.kill(os.getpid(), signal.SIGSEGV)
'''


@pytest.fixture
def attribution_suite(tmp_path):
    import shutil
    (tmp_path / "test_attr.py").write_text(ATTRIBUTION)
    shutil.copy(TESTCASES / "_qt.py", tmp_path)
    return tmp_path


def test_finding_names_the_test_that_made_the_object_and_the_one_it_died_in(attribution_suite):
    run = run_tool("--threads", "0", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_attr.py",
                   cwd=attribution_suite, env=tool_env(QT_API="pyqt6"), timeout=300)
    found = [f for f in run.report["findings"] if f["class"] == "QGraphicsTextItem"]
    assert found, run.stderr[-2000:]
    for f in found:
        assert f["test"] == "test_attr.py::test_bystander"
        assert f["creation_test"] == "test_attr.py::test_makes"
        assert f["finalizing_thread"] == "dropper"
    assert "died during test test_attr.py::test_bystander" in run.stderr
    assert "created during test test_attr.py::test_makes" in run.stderr


def test_crash_under_pytest_names_the_running_test(attribution_suite, tmp_path):
    junit = tmp_path / "r.xml"
    run = run_tool("--threads", "0", "--junit", junit, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "test_attr.py", cwd=attribution_suite,
                   env=tool_env(QT_API="pyqt6", QGC_CRASH_IN_TEST="1"), timeout=300)
    assert run.report["verdict"] == "crash" and run.returncode == 4
    assert run.report["running_test"] == "test_attr.py::test_crashes"
    errors = {(c.get("classname"), c.get("name")) for c in ET.parse(junit).getroot().iter("testcase")
              if c.find("error") is not None}
    assert errors == {("test_attr.py", "test_crashes")}
