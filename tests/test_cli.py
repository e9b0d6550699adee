# SPDX-License-Identifier: MIT
"""The command line: usage errors exit 2 with a usage line, script errors exit 3,
report paths are refused before anything runs, and the script sees exactly what
`python3 SCRIPT ARGS` would show it."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import QGC_CHECK, ROOT, TESTCASES, process_group_gone, run_tool, tool_env


@pytest.mark.parametrize("args,needle", [
    (["--frobnicate", "x.py"], "unknown option '--frobnicate'"),
    (["-Z", "x.py"], "unknown option '-Z'"),
    (["--threads", "abc", "x.py"], "--threads 'abc'"),
    (["--threads", "-3", "x.py"], "--threads '-3'"),
    (["--threads", "100000", "x.py"], "--threads '100000'"),
    (["--duration", "-1", "x.py"], "--duration must be 0 or more"),
    (["--duration", "abc", "x.py"], "--duration 'abc' is not a number"),
    (["--duration", "nan", "x.py"], "--duration 'nan' is not a number"),
    (["--duration", "1e99", "x.py"], "--duration '1e99' is too long"),
    (["--hang-timeout", "0", "x.py"], "--hang-timeout must be more than 0"),
    (["--seed", "4294967296", "x.py"], "--seed '4294967296'"),
    (["--seed", "-1", "x.py"], "--seed '-1'"),
    (["--json"], "needs a value"),
    ([], "no script given"),
    (["--json", "/tmp/same", "--events", "/tmp/same", "x.py"], "name the same file"),
])
def test_usage_errors_exit_2_with_usage_line(args, needle):
    p = subprocess.run([QGC_CHECK, *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert needle in p.stderr
    assert "Usage: qgc-check [OPTIONS] SCRIPT [SCRIPT-ARGS...]" in p.stderr
    assert "qgc-check [OPTIONS] -m MODULE [MODULE-ARGS...]" in p.stderr
    assert p.stderr.startswith("qgc-check: ")
    assert "Traceback" not in p.stderr


def test_help_and_version_need_no_python_or_qt():
    p = subprocess.run([QGC_CHECK, "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith("Usage: qgc-check") and p.stderr == ""
    v = subprocess.run([QGC_CHECK, "--version"], capture_output=True, text=True, timeout=10,
                       env={"PATH": "/nonexistent"})
    assert v.returncode == 0 and v.stdout.startswith("qgc-check ")


def test_options_stop_at_the_script():
    """--verbose after SCRIPT belongs to the script, not to qgc-check."""
    run = run_tool("--duration", "0.5", TESTCASES / "script_semantics.py", "--verbose", "-d", "x")
    assert json.loads(run.stdout.splitlines()[0].split("=", 1)[1]) == [
        str(TESTCASES / "script_semantics.py"), "--verbose", "-d", "x"]


def test_script_semantics_match_python():
    run = run_tool("--duration", "2", "script_semantics.py", "alpha", "--beta", cwd=TESTCASES)
    lines = dict(l.split("=", 1) for l in run.stdout.splitlines() if "=" in l)
    assert json.loads(lines["argv"]) == ["script_semantics.py", "alpha", "--beta"]
    assert lines["name"] == "__main__"
    assert lines["file"] == str(TESTCASES / "script_semantics.py")
    assert lines["path0"] == str(TESTCASES)
    assert lines["helper"] == "semantics-helper-ok"
    assert run.report["script_exit_status"] == 3 and run.report["script_outcome"] == "exit"
    # Clean, but the program's own failure stays visible: exit 6, not 0 and not 1.
    assert run.report["verdict"] == "clean" and run.returncode == 6


@pytest.mark.parametrize("make,needle", [
    (lambda d: d / "missing.py", "cannot open the script"),
    (lambda d: d, "is a directory"),
])
def test_script_path_errors_exit_3(tmp_path, make, needle):
    p = subprocess.run([QGC_CHECK, str(make(tmp_path))], capture_output=True, text=True, timeout=30)
    assert p.returncode == 3 and needle in p.stderr and p.stderr.count("\n") == 1


@pytest.fixture
def world_dir():
    """A directory any user can reach (pytest's own tmp_path is root-only)."""
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="qgc-check-test-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def as_unprivileged():
    """Root reads every file and writes every directory: run as nobody then."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_unreadable_script_exit_3(world_dir):
    s = world_dir / "app.py"
    s.write_text("print(1)\n")
    s.chmod(0)
    p = subprocess.run([*as_unprivileged(), QGC_CHECK, str(s)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 3 and "cannot read the script" in p.stderr and p.stderr.count("\n") == 1


@pytest.mark.parametrize("source,needle", [
    (b"def broken(:\n", "SyntaxError"),
    (b"x = 1\n\xff\xfe bad bytes\n", "SyntaxError"),
    (b"\x7fELF\x00\x01\x02", "null bytes"),
])
def test_unrunnable_scripts_exit_3_like_python(tmp_path, source, needle):
    s = tmp_path / "bad.py"
    s.write_bytes(source)
    run = run_tool(s)
    assert run.returncode == 3 and needle in run.stderr
    assert run.report["verdict"] == "error" and run.report["script_outcome"] == "cannot-run"
    assert "bootstrap" not in run.stderr


def test_empty_script_checks_nothing(tmp_script):
    run = run_tool(tmp_script(""))
    assert run.returncode == 3 and "nothing was checked" in run.stderr


@pytest.mark.parametrize("make,needle", [
    (lambda d, s: d / "missing" / "r.json", "does not exist"),
    (lambda d, s: d, "is a directory"),
    (lambda d, s: s, "is the script itself"),
])
def test_report_paths_refused_before_running(tmp_path, make, needle):
    script = tmp_path / "app.py"
    script.write_text("raise SystemExit('should not run')\n")
    p = subprocess.run([QGC_CHECK, "--json", str(make(tmp_path, script)), str(script)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and needle in p.stderr and "should not run" not in p.stderr
    assert script.read_text().startswith("raise SystemExit")


def test_unwritable_report_directory(world_dir):
    # A copy of the script that the user nobody can read: the checkout may sit in
    # a home directory only its owner can enter (root's /root is 0700).
    script = world_dir / "no_qt.py"
    shutil.copyfile(TESTCASES / "no_qt.py", script)
    script.chmod(0o644)
    d = world_dir / "ro"
    d.mkdir(mode=0o555)
    p = subprocess.run([*as_unprivileged(), QGC_CHECK, "--json", str(d / "r.json"), str(script)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "not writable" in p.stderr


def test_seed_is_printed_and_replayable():
    run = run_tool("--duration", "0.5", TESTCASES / "idle_app.py")
    seed = run.report["seed"]
    assert f"replay the stress pattern (not the threads' timing): qgc-check --seed {seed}" in run.stderr
    again = run_tool("--seed", str(seed), "--duration", "0.5", TESTCASES / "idle_app.py")
    assert again.report["seed"] == seed


def test_offscreen_platform_without_display_and_user_choice_kept(tmp_script):
    s = tmp_script("import os\nprint('platform=' + os.environ.get('QT_QPA_PLATFORM', ''))\n"
                   "import PyQt6.QtCore\n")
    assert "platform=offscreen" in run_tool(s).stdout
    assert "platform=minimal" in run_tool(s, env=tool_env(QT_QPA_PLATFORM="minimal")).stdout


def _start(args, tmp_path):
    report = tmp_path / "r.json"
    events = tmp_path / "events.jsonl"
    p = subprocess.Popen([QGC_CHECK, "--json", str(report), "--events", str(events), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tool_env())
    return p, report, events


def _wait_for_start(p):
    line = p.stdout.readline()
    assert "idle-app-started" in line


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_user_stops_the_tool(tmp_path, sig, code):
    p, report, events = _start(["--duration", "30", str(TESTCASES / "idle_app.py")], tmp_path)
    _wait_for_start(p)
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    assert p.returncode == code, err
    r = json.loads(report.read_text())
    assert r["interrupted"] is True and r["exit_code"] == code
    assert process_group_gone(r["runner_pid"])
    lines = [json.loads(l) for l in events.read_text().splitlines()]
    assert lines[0]["event"] == "start" and lines[-1]["event"] == "end"


def test_runner_killed_from_outside_is_a_crash_with_findings(tmp_path):
    p, report, events = _start(["--duration", "30", str(TESTCASES / "graphics_item_cycle.py")],
                               tmp_path)
    deadline = time.time() + 20
    while time.time() < deadline:
        lines = events.read_text().splitlines() if events.exists() else []
        if any('"event":"finding"' in l for l in lines):
            break
        time.sleep(0.1)
    pid = json.loads(events.read_text().splitlines()[0])["pid"]
    os.kill(pid, signal.SIGKILL)
    p.communicate(timeout=30)
    r = json.loads(report.read_text())
    assert p.returncode == 4 and r["verdict"] == "crash" and r["crash"]["signal"] == "KILL"
    assert r["findings"], "findings made before the kill were lost"
    assert process_group_gone(pid)


def test_killing_the_tool_kills_the_app(tmp_path):
    p, report, events = _start(["--duration", "30", str(TESTCASES / "idle_app.py")], tmp_path)
    _wait_for_start(p)
    pid = json.loads(events.read_text().splitlines()[0])["pid"]
    p.kill()
    p.wait(timeout=10)
    for _ in range(50):
        if process_group_gone(pid):
            break
        time.sleep(0.1)
    assert process_group_gone(pid)


def test_events_stream_is_complete_up_to_a_crash(tmp_path):
    p, report, events = _start(["--duration", "10", str(TESTCASES / "segfault_after_findings.py")],
                               tmp_path)
    p.communicate(timeout=60)
    kinds = [json.loads(l)["event"] for l in events.read_text().splitlines()]
    assert kinds[0] == "start" and "finding" in kinds and kinds[-2:] == ["crash", "end"]
