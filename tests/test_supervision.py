# SPDX-License-Identifier: MIT
"""The supervisor: no process of the run outlives it, however deep; a script that reads
the terminal reads it as under `python3`; a run the check did not cover is never clean."""
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import (QGC_CHECK, TESTCASES, parse_header, process_group_gone, run_tool, tool_env,
                      validate_schema)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


# The runner forks a child that leaves the session; that child starts a shell whose
# `sleep` is backgrounded (great-grandchild and its child) and double-forks a daemon
# into yet another session. Then the app ends normally.
PROCESS_TREE = """\
import os, subprocess, sys, time
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    sh = subprocess.Popen(["sh", "-c", "sleep 1000 & echo $!; wait"], stdout=subprocess.PIPE,
                          text=True)
    sleeper = sh.stdout.readline().strip()
    daemon = os.fork()
    if daemon == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1000)
        os._exit(0)
    os.write(w, f"{os.getpid()} {sh.pid} {sleeper} {daemon}\\n".encode())
    time.sleep(1000)
    os._exit(0)
os.close(w)
print("pids", os.read(r, 200).decode().strip(), flush=True)
from PyQt6.QtCore import QCoreApplication, QTimer
app = QCoreApplication(sys.argv)
QTimer.singleShot(100, app.quit)
app.exec()
"""


def descendants_of_session(sid):
    """Every live process of a session (the daemon's grandchild has no other trace)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_no_descendant_of_the_run_survives_it(tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(PROCESS_TREE)
    run = run_tool("--duration", "1", script, timeout=60)
    assert run.returncode == 0 and run.report["verdict"] == "clean", run.stderr[-2000:]
    pids = [int(p) for p in run.stdout.split("pids ", 1)[1].split()[:4]]
    child, shell, sleeper, daemon = pids
    alive = sorted({p for p in pids if pid_alive(p)} | set(descendants_of_session(child)) |
                   set(descendants_of_session(daemon)))
    for p in alive:  # do not leave them to the next test
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not alive, f"processes of the run survived it: {alive}"
    assert process_group_gone(run.report["runner_pid"])


def _pty_session(args, stdin_is_tty=True, feed=None, background=False, timeout=60):
    """Runs qgc-check as a terminal session leader would run it: the pty is the
    controlling terminal; stdout and stderr stay pipes. With background=True,
    qgc-check runs in a background process group of that session, and a small
    job-control shell brings it to the foreground once it stops (as `fg`)."""
    master, slave = os.openpty()
    report = Path(os.environ.get("TMPDIR", "/tmp")) / f"qgc-supervision-{os.getpid()}.json"
    cmd = [QGC_CHECK, "--json", str(report), *map(str, args)]
    if background:
        shell = (
            "import os, sys, signal\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.setpgid(0, 0)\n"
            "    os.execv(sys.argv[1], sys.argv[1:])\n"
            "try:\n"
            "    os.setpgid(pid, pid)  # both sides, as a shell does\n"
            "except PermissionError:\n"
            "    pass  # the child has exec'd: it set its group itself\n"
            "stopped = 0\n"
            "while True:\n"
            "    _, st = os.waitpid(pid, os.WUNTRACED)\n"
            "    if not os.WIFSTOPPED(st):\n"
            "        break\n"
            "    stopped = os.WSTOPSIG(st)\n"
            "    os.tcsetpgrp(0, pid)\n"
            "    os.killpg(pid, signal.SIGCONT)\n"
            "print('job stopped by', signal.Signals(stopped).name if stopped else 'nothing',\n"
            "      file=sys.stderr)\n"
            "sys.exit(os.waitstatus_to_exitcode(st))\n")
        cmd = [sys.executable, "-c", shell, *cmd]

    def become_session_leader():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave if stdin_is_tty else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tool_env(),
                         pass_fds=(slave,), preexec_fn=become_session_leader)
    os.close(slave)
    if feed is not None:
        os.write(master, feed)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
    r = json.loads(report.read_text()) if report.exists() else None
    report.unlink(missing_ok=True)
    return p.returncode, out, err, r


INPUT_APP = """\
import sys
from PyQt6.QtCore import QCoreApplication
try:
    x = input()
except EOFError:
    x = "EOFError"
print("got", x, flush=True)
"""


def test_script_reads_the_terminal_as_under_python(tmp_path):
    script = tmp_path / "ask.py"
    script.write_text(INPUT_APP)
    code, out, err, r = _pty_session(["--duration", "1", "--hang-timeout", "1", script],
                                     feed=b"hello\n")
    assert "got hello" in out, err[-2000:]
    assert code == 0 and r["verdict"] == "clean", err[-2000:]
    assert process_group_gone(r["runner_pid"])


def test_stdin_from_dev_null_under_a_terminal_gives_eof(tmp_path):
    script = tmp_path / "ask.py"
    script.write_text(INPUT_APP)
    plain = subprocess.run([sys.executable, script], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
    code, out, err, r = _pty_session(["--duration", "1", script], stdin_is_tty=False)
    assert out == plain.stdout == "got EOFError\n", err[-2000:]
    assert code == 0 and r["verdict"] == "clean", err[-2000:]


def test_run_in_the_background_stops_like_a_job_until_fg(tmp_path):
    """`qgc-check app.py &` then `fg`: the run stops when the app reads the terminal
    (the shell sees it stopped, as it would see python3) and reads it once in the
    foreground again."""
    script = tmp_path / "ask.py"
    script.write_text(INPUT_APP)
    code, out, err, r = _pty_session(["--duration", "1", "--hang-timeout", "1", script],
                                     feed=b"later\n", background=True)
    assert "job stopped by SIGTTIN" in err, err[-2000:]
    assert "got later" in out, err[-2000:]
    assert code == 0 and r["verdict"] == "clean", err[-2000:]


def test_terminal_it_cannot_have_without_job_control_is_incomplete(tmp_path):
    """qgc-check in a background group that nobody will bring to the foreground (its
    parent left: an orphaned group, as under a daemon): the app reading the terminal
    can never go on, so the run ends at once, and is not clean."""
    script = tmp_path / "ask.py"
    script.write_text(INPUT_APP)
    leader = (
        "import os, sys, time\n"
        "r, w = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    parent = os.getpid()\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os.setpgid(0, 0)\n"
        "        while os.getppid() == parent:\n"
        "            time.sleep(0.01)\n"
        "        os.execv(sys.argv[1], sys.argv[1:])\n"
        "    os.write(w, str(pid).encode())\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "pid = int(os.read(r, 20))\n"
        "def running():\n"
        "    try:\n"
        "        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z'\n"
        "    except (FileNotFoundError, IndexError):\n"
        "        return False\n"
        "while running():\n"
        "    time.sleep(0.05)\n")
    report = tmp_path / "r.json"
    master, slave = os.openpty()

    def become_session_leader():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    start = time.monotonic()
    p = subprocess.run([sys.executable, "-c", leader, QGC_CHECK, "--json", str(report),
                        "--duration", "2", "--hang-timeout", "1", str(script)],
                       stdin=slave, capture_output=True, text=True, env=tool_env(),
                       pass_fds=(slave,), preexec_fn=become_session_leader, timeout=60)
    os.close(slave)
    os.close(master)
    r = json.loads(report.read_text())
    assert r["exit_code"] == 7 and r["verdict"] == "incomplete", p.stderr[-2000:]
    assert "stopped by SIGTTIN" in r["incomplete_reason"]
    assert time.monotonic() - start < 2 + 1 + 5, "it waited for the outer limit"
    assert process_group_gone(r["runner_pid"])


def test_stopped_at_the_outer_limit_is_incomplete(tmp_path):
    script = tmp_path / "app.py"
    script.write_text("import sys, time\nfrom PyQt6.QtCore import QCoreApplication\n"
                      "app = QCoreApplication(sys.argv)\nwhile True:\n    time.sleep(1)\n")
    run = run_tool("--duration", "0.5", "--hang-timeout", "1", script, timeout=60)
    assert run.returncode == 7, run.stderr[-2000:]
    assert run.report["verdict"] == "incomplete" and run.report["stopped_after_limit"] is True
    assert "did not end within" in run.report["incomplete_reason"]
    assert "qgc-check: incomplete: no finding, but the app did not end" in run.stderr
    assert process_group_gone(run.report["runner_pid"])
    # Where it was when stopped: the script's own line, in every report.
    stopped = run.report["stopped"]
    validate_schema(run.report)
    assert stopped["cause"] == "limit" and stopped["in_tool"] is False, stopped["tool_frame"]
    assert f'File "{script}", line 5 in <module>' in stopped["stacks"]
    assert "stacks when the run was stopped:" in run.stderr


# A pytest suite one of whose tests waits for a signal that never comes, in a
# nested event loop that keeps turning (no hang: the GUI thread answers).
WAITS_FOREVER = """import sys
from PyQt6.QtCore import QEventLoop, QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication

app = QApplication.instance() or QApplication(sys.argv[:1])


class Source(QObject):
    ready = pyqtSignal()


def test_quick():
    assert Source() is not None


def test_waits_for_a_signal_that_never_comes():
    source = Source()
    loop = QEventLoop()
    source.ready.connect(loop.quit)
    ticks = QTimer()
    ticks.timeout.connect(lambda: print("tick", flush=True))
    ticks.start(50)
    loop.exec()
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_reports_where_every_thread_was(tmp_path, sig):
    """A CI job's timeout (SIGTERM) or a Ctrl-C sent to qgc-check: the report still
    comes, incomplete, and says where the app waited and in which test."""
    (tmp_path / "test_waits.py").write_text(WAITS_FOREVER)
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    p = subprocess.Popen([QGC_CHECK, "--json", report, "--junit", junit, "-m", "pytest", "-q", "-s",
                          "-p", "no:cacheprovider", str(tmp_path / "test_waits.py")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=tool_env(), stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert p.stdout.readline().strip().endswith("tick"), "the waiting test never started"
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, err[-2000:]
    r = json.loads(report.read_text())
    validate_schema(r)
    assert r["verdict"] == "incomplete" and r["interrupted"] is True
    assert r["running_test"] == "test_waits.py::test_waits_for_a_signal_that_never_comes"
    stopped = r["stopped"]
    assert stopped["cause"] == signal.Signals(sig).name[3:]
    assert stopped["in_tool"] is False, stopped["tool_frame"]
    assert "QEventLoop::exec" in stopped["stacks"]
    assert "in test_waits_for_a_signal_that_never_comes" in stopped["stacks"]
    assert "stacks when the run was stopped, in test test_waits.py::test_waits_for_a_signal" in err
    # JUnit: the incomplete run is attached to the test that was waiting, with the stacks.
    import xml.etree.ElementTree as ET
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    case = cases["test_waits_for_a_signal_that_never_comes"]
    error = case.find("error")
    assert error is not None and error.get("type") == "incomplete"
    assert "QEventLoop::exec" in error.text
    assert process_group_gone(r["runner_pid"])


def test_no_qobject_watched_is_incomplete(tmp_path):
    script = tmp_path / "app.py"
    script.write_text("import sys\nimport PyQt6.QtCore\nsys.exit(0)\n")
    run = run_tool("--duration", "1", script, timeout=60)
    assert run.returncode == 7, run.stderr[-2000:]
    assert run.report["verdict"] == "incomplete"
    assert run.report["incomplete_reason"].startswith("nothing was checked")


def test_script_without_qt_is_a_one_line_error(tmp_path):
    script = tmp_path / "app.py"
    script.write_text("print('hello')\n")
    run = run_tool(script, timeout=60)
    assert run.returncode == 3 and run.report["verdict"] == "error"
    assert run.stdout == "hello\n"
    lines = [l for l in run.stderr.splitlines() if l.startswith("qgc-check: ")]
    assert lines == ["qgc-check: error: nothing was checked: the script never loaded a Qt binding "
                     "(PyQt6 or PySide6) [" + str(script) + "]"]


def test_help_documents_every_exit_status():
    p = subprocess.run([QGC_CHECK, "--help"], capture_output=True, text=True, timeout=10)
    for status in ("0 clean", "1 race", "2 usage", "3 script error", "4 crash", "5 hang",
                   "6 clean but", "7 incomplete"):
        assert status in " ".join(p.stdout.split()), status


# Faults from a GUI-thread timer with CPython's faulthandler enabled by the app itself,
# after the runner installed its crash handler (faulthandler passes the crash on to it).
ENABLES_FAULTHANDLER = """\
import ctypes, faulthandler, sys
from PyQt6.QtCore import QCoreApplication, QTimer
faulthandler.enable()
app = QCoreApplication(sys.argv)
QTimer.singleShot(100, lambda: ctypes.string_at(0))
app.exec()
"""


@pytest.mark.parametrize("enabled_by", ["environment", "app"])
def test_faulthandler_still_prints_its_traceback_and_the_crash_is_reported(tmp_path, enabled_by):
    """PYTHONFAULTHANDLER=1 enables faulthandler while the interpreter starts, before the
    runner's crash handler: that handler passes the crash on to it once the report is
    written. Enabled later by the app, faulthandler passes it on to the runner's."""
    if enabled_by == "environment":
        script = TESTCASES / "segfault_after_findings.py"
        run = run_tool(*parse_header(script)["args"], script, timeout=120,
                       env=tool_env(PYTHONFAULTHANDLER="1"))
    else:
        script = tmp_path / "app.py"
        script.write_text(ENABLES_FAULTHANDLER)
        run = run_tool("--duration", "10", script, timeout=120)
    assert run.returncode == 4 and run.report["verdict"] == "crash", run.stderr[-3000:]
    crash = run.report["crash"]
    assert crash["signal"] == "SEGV" and crash["in_tool"] is False, crash
    # The timer's lambda, in the crashing thread.
    line = re.compile(rf'File "{re.escape(str(script))}", line \d+ in <lambda>')
    assert "@python" in crash["stacks"] and line.search(crash["stacks"]), crash["stacks"]
    assert f"qgc-check: crash: the app died of SIGSEGV [{script}]" in run.stderr
    # faulthandler's own report, on the app's stderr: the crashing thread's line.
    assert "Fatal Python error: Segmentation fault" in run.stderr, run.stderr[-3000:]
    fatal = run.stderr.split("Fatal Python error: Segmentation fault", 1)[1]
    assert line.search(fatal.split("qgc-check: crash:", 1)[0]), run.stderr[-3000:]


HANG_WITH_THREADS = """\
import sys, threading, time
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

app = QApplication(sys.argv)
lock = threading.Lock()
for i in range(40):
    threading.Thread(target=time.sleep, args=(60,), name=f"sleeper-{i}", daemon=True).start()


def hold_gil_forever():
    lock.acquire()
    while True:  # pure Python: holds the GIL between switches, the GUI thread waits
        pass


def block_gui():
    lock.acquire()  # taken by the holder: the GUI thread never returns
    lock.acquire()


threading.Thread(target=hold_gil_forever, name="spinner", daemon=True).start()
QTimer.singleShot(200, block_gui)
app.exec()
"""


def test_hang_stacks_read_as_threads_and_fit_a_screen(tmp_script):
    """A hang's stacks in words, as a crash's are: the GUI thread first in
    faulthandler's and gdb's formats, the other threads a line each, no raw
    dump markers, a screenful with 40 more threads; -v prints every one."""
    script = tmp_script(HANG_WITH_THREADS)
    run = run_tool("--threads", "0", "--hang-timeout", "2", "--duration", "30", script, timeout=120)
    assert run.report["verdict"] == "hang", run.stderr[-3000:]
    text = run.stderr
    for marker in ("@thread", "@python", "@end", " gil=yes", " main=yes"):
        assert marker not in text, marker
    assert re.search(r"^thread MainThread \(.*tid \d+", text, re.M), text[-3000:]
    assert re.search(r"^  File \".*\", line \d+ in block_gui$", text, re.M), text[-3000:]
    assert re.search(r"^  #0  0x[0-9a-f]{16} in ", text, re.M), text[-3000:]
    # The 40 sleepers on one line, not 40 sections.
    assert re.search(r"^  40 threads \(sleeper-\d+, sleeper-\d+, sleeper-\d+ and 37 more\)", text, re.M), \
        text[-3000:]
    assert len(text.splitlines()) <= 100, len(text.splitlines())
    verbose = run_tool("-v", "--threads", "0", "--hang-timeout", "2", "--duration", "30", script, timeout=120)
    assert sum(1 for line in verbose.stderr.splitlines() if line.startswith("thread sleeper-")) == 40
