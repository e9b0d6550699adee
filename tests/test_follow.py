# SPDX-License-Identifier: MIT
"""Every process of the run: child interpreters (subprocess with sys.executable,
multiprocessing spawn, pytest-xdist workers) run under the probe and the stress like the
main one, their findings, crashes and stats in the one report, each naming its process;
a child that cannot be checked is listed as unchecked."""
import os
import shutil

import pytest

from conftest import ROOT, TESTCASES, process_group_gone, run_tool, validate_schema

SUITE = TESTCASES / "pytest_suite"


def racy(report, cls="QGraphicsTextItem"):
    return [f for f in report["findings"] if f["class"] == cls and f["kind"] == "off-thread-finalization"]


def checked(report):
    return [p for p in report["processes"] if p["checked"]]


def test_subprocess_child_race_names_the_child():
    case = TESTCASES / "subprocess_child_races.py"
    run = run_tool("--duration", "2", case, timeout=120)
    report = run.report
    validate_schema(report)
    assert report["verdict"] in ("race", "crash"), run.stderr[-3000:]
    found = racy(report)
    assert found, run.stderr[-3000:]
    f = found[0]
    assert f["creation_site"]["file"] == str(case)
    assert f["process"]["pid"] != report["runner_pid"]
    assert f["process"]["argv"][-1] == "--part"
    assert len(checked(report)) == 2
    assert process_group_gone(report["runner_pid"])
    assert "--part" in run.stderr  # the text report names the process


def test_no_follow_checks_the_main_process_only():
    case = TESTCASES / "subprocess_child_races.py"
    run = run_tool("--no-follow", "--duration", "2", case, timeout=120)
    assert run.report["findings"] == []
    assert run.report["verdict"] != "race"


def test_spawn_pool_tasks_race():
    case = TESTCASES / "multiprocessing_spawn_pool_races.py"
    run = run_tool("--duration", "2", case, timeout=120)
    report = run.report
    validate_schema(report)
    assert report["verdict"] in ("race", "crash"), run.stderr[-3000:]
    found = racy(report)
    assert found and all(f["process"]["pid"] != report["runner_pid"] for f in found)
    assert "--multiprocessing-fork" in found[0]["process"]["argv"]
    assert len(checked(report)) >= 3  # the main process and two workers


def test_non_python_qt_child_is_unchecked():
    run = run_tool("--duration", "2", TESTCASES / "unchecked_qt_child.py", timeout=120)
    report = run.report
    validate_schema(report)
    unchecked = [p for p in report["processes"] if not p["checked"]]
    assert len(unchecked) == 1, report["processes"]
    assert "qtpaths" in unchecked[0]["argv"][0] or "qmake" in unchecked[0]["argv"][0]
    assert unchecked[0]["reason"]
    assert not any(p["argv"][:1] == ["/bin/true"] for p in report["processes"])
    assert report["verdict"] == "incomplete" and run.returncode == 7
    assert "unchecked" in report["incomplete_reason"]
    assert report["hint"] is None or "gc.disable" not in report["hint"]


def test_hundred_children_counts_exact():
    run = run_tool("--duration", "0", TESTCASES / "hundred_children.py", timeout=600)
    report = run.report
    validate_schema(report)
    assert "children ok 100" in run.stdout, run.stderr[-3000:]
    assert len(checked(report)) == 101
    found = [f for f in report["findings"] if f["cause"] == "refcount"]
    assert sum(f["count"] for f in found) == 300, found
    assert report["stats"]["findings_merged"] == 0


def xdist_available():
    import importlib.util
    return importlib.util.find_spec("xdist") is not None


needs_xdist = pytest.mark.skipif(not xdist_available(), reason="pytest-xdist is not installed")


def racy_tests(report):
    return sorted({f["test"] for f in racy(report)})


@needs_xdist
def test_xdist_suite_reports_as_without_xdist():
    plain = run_tool("-m", "pytest", "-q", "-p", "no:cacheprovider", SUITE, timeout=300, cwd=ROOT)
    xdist = run_tool("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist", "-n", "2", SUITE,
                     timeout=300, cwd=ROOT)
    validate_schema(xdist.report)
    assert xdist.report["verdict"] in ("race", "crash"), xdist.stderr[-3000:]
    assert racy_tests(xdist.report) == racy_tests(plain.report) == [
        "testcases/pytest_suite/test_widgets.py::test_racy_legend"]
    workers = {f["process"]["xdist_worker"] for f in racy(xdist.report)}
    assert workers <= {"gw0", "gw1"} and workers, workers
    assert len(checked(xdist.report)) == 3


@needs_xdist
def test_xdist_worker_crash_is_reported_and_other_results_kept(tmp_path):
    junit = tmp_path / "r.xml"
    run = run_tool("--junit", junit, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist",
                   "-n", "2", TESTCASES / "pytest_xdist_crash", timeout=300, cwd=ROOT)
    report = run.report
    validate_schema(report)
    assert report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    crash = report["crash"]
    assert crash["signal"] == "SEGV"
    assert crash["process"]["xdist_worker"] in ("gw0", "gw1")
    assert report["running_test"].endswith("test_crashes_worker")
    assert racy_tests(report) == ["testcases/pytest_xdist_crash/test_crash.py::test_racy_legend"]
    text = junit.read_text()
    assert "test_racy_legend" in text
    # The crash attached to the test its worker died in, as without xdist.
    assert 'name="test_crashes_worker"' in text and '<error type="crash" message="SIGSEGV">' in text


def test_forkserver_pool_workers_have_their_own_channels():
    case = TESTCASES / "multiprocessing_forkserver_pool_races.py"
    run = run_tool("--duration", "2", case, timeout=120)
    report = run.report
    validate_schema(report)
    assert report["verdict"] in ("race", "crash"), run.stderr[-3000:]
    by_pid = {p["pid"]: p for p in report["processes"]}
    found = racy(report)
    assert found and all(by_pid[f["process"]["pid"]]["origin"] == "fork" for f in found)
    assert any("forkserver" in " ".join(p["argv"]) and p["origin"] == "exec" for p in report["processes"])


def test_process_pool_executor_workers_are_checked():
    run = run_tool("--duration", "2", TESTCASES / "process_pool_executor_races.py", timeout=120)
    report = run.report
    validate_schema(report)
    assert report["verdict"] in ("race", "crash"), run.stderr[-3000:]
    workers = [p for p in report["processes"] if p["origin"] in ("fork", "exec") and p["binding"]]
    assert len(workers) >= 2 and sum(p["stats"]["findings_total"] for p in workers) == \
        sum(f["count"] for f in report["findings"])


def test_compare_and_repeat_cover_the_children():
    case = TESTCASES / "subprocess_child_races.py"
    run = run_tool("--compare", "--duration", "2", case, timeout=180)
    assert run.report["verdict"] in ("race", "crash"), run.stderr[-3000:]
    assert run.report["compare"]["mitigated_verdict"] == "clean", run.stderr[-3000:]
    run = run_tool("--repeat", "3", "--duration", "2", case, timeout=180)
    assert run.report["verdict"] in ("race", "crash") and racy(run.report)
    assert len(checked(run.report)) == 2


def test_child_with_env_of_its_own_is_still_checked(tmp_script):
    shutil.copy(TESTCASES / "_qt.py", tmp_script("", name="unused.py").parent)
    s = tmp_script("""
import os, subprocess, sys
if sys.argv[1:] == ["child"]:
    from _qt import QApplication, QObject
    app = QApplication([])
    objects = [QObject() for _ in range(5)]
    print("child", os.environ.get("ONLY"), flush=True)
else:
    env = {"ONLY": "this", "PATH": os.environ["PATH"], "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-B", __file__, "child"], env=env, check=True)
    os.execv(sys.executable, [sys.executable, "-c", "print('exec', 1 + 1)"])
""")
    run = run_tool("--duration", "1", s, timeout=120)
    report = run.report
    validate_schema(report)
    assert "child this" in run.stdout and "exec 2" in run.stdout, run.stderr[-2000:]
    kids = [p for p in checked(report) if p["origin"] == "exec"]
    assert any(p["argv"][-1] == "child" and p["binding"] and p["stats"]["objects_created"] >= 5 for p in kids), \
        report["processes"]
    assert report["verdict"] == "clean" and run.returncode == 0, run.stderr[-2000:]


def test_hung_child_is_the_runs_hang():
    run = run_tool("--duration", "30", "--hang-timeout", "2", TESTCASES / "child_hangs.py", timeout=120)
    report = run.report
    validate_schema(report)
    assert report["verdict"] == "hang" and run.returncode == 5, run.stderr[-3000:]
    assert report["hang"]["process"]["argv"][-1] == "--child"
    assert report["hang"]["process"]["pid"] != report["runner_pid"]
    assert "time.sleep(1000)" in report["hang"]["stacks"] or "<lambda>" in report["hang"]["stacks"]
    assert report["elapsed_s"] < 25
    assert process_group_gone(report["runner_pid"])


def test_another_interpreter_is_listed_unchecked(tmp_path, tmp_script):
    import sys
    other = tmp_path / "python3-other"
    shutil.copy(os.path.realpath("/usr/bin/python3"), other)
    s = tmp_script(f"""
import subprocess
subprocess.run([{str(other)!r}, "-c", "print('other', 6 * 7)"], check=True)
""")
    run = run_tool("--duration", "1", s, timeout=120)
    validate_schema(run.report)
    assert "other 42" in run.stdout, run.stderr[-2000:]
    (unchecked,) = [p for p in run.report["processes"] if not p["checked"]]
    assert unchecked["argv"][0] == str(other) and "another Python interpreter" in unchecked["reason"]
    assert f"unchecked process {unchecked['pid']}: {other}" in run.stderr


def test_every_way_to_start_the_interpreter_is_followed(tmp_script):
    """execve (subprocess), posix_spawn, posix_spawnp, a shell's exec and a PATH search
    (os.execvp) of the interpreter: each child is a checked process of the run."""
    s = tmp_script("""
import os, subprocess, sys
os.environ["PATH"] = os.path.dirname(sys.executable) + ":" + os.environ["PATH"]
kid = "import sys; print('kid', sys.argv[1], flush=True)"
subprocess.run([sys.executable, "-c", kid, "subprocess"], check=True)
for how, spawn, exe in (("spawn", os.posix_spawn, sys.executable),
                        ("spawnp", os.posix_spawnp, os.path.basename(sys.executable))):
    pid = os.posix_spawn(sys.executable, [exe, "-c", kid, how], os.environ) if how == "spawn" \\
        else os.posix_spawnp(exe, [exe, "-c", kid, how], os.environ)
    os.waitpid(pid, 0)
subprocess.run(f"{sys.executable} -c \\"{kid}\\" shell", shell=True, check=True)
os.execvp(os.path.basename(sys.executable), [os.path.basename(sys.executable), "-c", kid, "execvp"])
""")
    run = run_tool("--duration", "1", s, timeout=120)
    validate_schema(run.report)
    for how in ("subprocess", "spawn", "spawnp", "shell", "execvp"):
        assert f"kid {how}" in run.stdout, (how, run.stdout, run.stderr[-2000:])
        assert any(p["checked"] and p["origin"] == "exec" and p["argv"][-1] == how
                   for p in run.report["processes"]), (how, run.report["processes"])


def test_a_child_runs_as_python_would(tmp_script):
    """The child's command line, parsed by CPython: its output, exit status and traceback
    are python's, and the report says how each child ended."""
    s = tmp_script("""
import subprocess, sys
def run(*args, stdin=None):
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True)
print("version", run("-V").stdout.strip() == "Python " + sys.version.split()[0])
print("exit", run("-c", "import sys; sys.exit(3)").returncode)
err = run("-c", "raise ValueError('x')")
print("exception", err.returncode, err.stderr.strip().splitlines())
print("module", run("-m", "json.tool", stdin='{"a":1}').stdout.split())
print("stdin", run(stdin="print('from stdin', 2)").stdout.strip())
print("os._exit", run("-c", "import os; os._exit(5)").returncode)
print("missing", run("/nonexistent.py").returncode)
print("path0", run("-c", "import sys; print(repr(sys.path[0]))").stdout.strip())
print("isolated", run("-I", "-c", "import sys; print(sys.flags.isolated, sys.path[0] != '')").stdout.strip())
""")
    run = run_tool("--duration", "1", s, timeout=120)
    out = run.stdout
    assert "version True" in out and "exit 3" in out and "os._exit 5" in out and "missing 2" in out, out
    assert ("exception 1 ['Traceback (most recent call last):', '  File \"<string>\", line 1, in <module>', "
            "'ValueError: x']") in out, out
    assert "module ['{', '\"a\":', '1', '}']" in out and "stdin from stdin 2" in out, out
    assert "path0 ''" in out and "isolated 1 True" in out, out
    outcomes = {" ".join(p["argv"][1:]): (p["outcome"], p["exit_status"]) for p in run.report["processes"][1:]}
    assert outcomes["-V"] == ("exit", 0)
    assert outcomes["-c import sys; sys.exit(3)"] == ("exit", 3)
    assert outcomes["-c raise ValueError('x')"] == ("exception", 1)
    assert outcomes["-c import os; os._exit(5)"] == ("exit", 5)
    assert outcomes["/nonexistent.py"] == ("cannot-run", 2)


def test_a_stopped_run_says_where_each_child_was(tmp_path, tmp_script):
    """Ctrl-C while a child waits: the report has the child's stacks too, not only the
    parent's wait for it."""
    import json
    import signal
    import subprocess
    from conftest import QGC_CHECK, tool_env
    s = tmp_script("""
import subprocess, sys
if sys.argv[1:] == ["child"]:
    import time
    def wait_here():
        print("ready", flush=True)
        time.sleep(100)
    wait_here()
else:
    subprocess.run([sys.executable, __file__, "child"])
""")
    report_path = tmp_path / "r.json"
    p = subprocess.Popen([QGC_CHECK, "--json", str(report_path), "--duration", "0", str(s)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tool_env())
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGINT)
    _, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stderr[-2000:]
    report = json.loads(report_path.read_text())
    validate_schema(report)
    child = [q for q in report["processes"] if q["argv"][-1] == "child"][0]
    assert child["stacks"] and "wait_here" in child["stacks"], child
    assert f"stacks of process {child['pid']}" in stderr
