# SPDX-License-Identifier: MIT
"""Hostile input, table-driven: every row ends with a clear one-line error or a
normal report, the documented exit status, no tool traceback or crash, and no
process of the run left behind. The README's reliability table lists these rows."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import QGC_CHECK, ROOT, TESTCASES, process_group_gone, run_tool, tool_env

QT_IMPORT = "import sys\nfrom PyQt6.QtCore import QCoreApplication, QTimer\n"


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


SCRIPTS = {
    "never-creates-application": (QT_IMPORT + "print('built nothing')\n", 0, "clean"),
    "only-qcoreapplication": (QT_IMPORT + "app = QCoreApplication(sys.argv)\n"
                              "t = QTimer(); t.start(10)\napp.exec()\n", 0, "clean"),
    "exec-twice": (QT_IMPORT + "app = QCoreApplication(sys.argv)\napp.exec()\nprint('again')\n"
                   "app.exec()\nprint('done twice', flush=True)\n", 0, "clean"),
    "reads-closed-stdin": (QT_IMPORT + "try:\n    data = sys.stdin.read()\nexcept Exception as e:\n"
                           "    print('stdin:', type(e).__name__)\napp = QCoreApplication(sys.argv)\n"
                           "app.exec()\n", 0, "clean"),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_hostile_scripts(name, tmp_path):
    source, code, verdict = SCRIPTS[name]
    script = tmp_path / "app.py"
    script.write_text(source)
    kwargs = {}
    if name == "reads-closed-stdin":
        kwargs["stdin"] = None
    report = tmp_path / "r.json"
    p = subprocess.run([QGC_CHECK, "--duration", "1", "--json", str(report), str(script)],
                       capture_output=True, text=True, timeout=60, env=tool_env(),
                       preexec_fn=(lambda: os.close(0)) if name == "reads-closed-stdin" else None)
    r = json.loads(report.read_text())
    assert p.returncode == code and r["verdict"] == verdict, p.stderr[-2000:]
    assert r["stopped_after_limit"] is False
    assert "Traceback" not in p.stderr
    assert process_group_gone(r["runner_pid"])
    if name == "exec-twice":
        assert "done twice" in p.stdout


def test_subprocess_and_fork_that_outlive_the_script(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(QT_IMPORT + """
import os, subprocess
child = subprocess.Popen(["sleep", "300"], start_new_session=True)
pid = os.fork()
if pid == 0:
    os.setsid()
    import time
    time.sleep(300)
    os._exit(0)
print(f"spawned {child.pid} {pid}", flush=True)
app = QCoreApplication(sys.argv)
app.exec()
""")
    run = run_tool("--duration", "1", script, timeout=60)
    pids = [int(x) for x in run.stdout.split("spawned ")[1].split()[:2]]
    assert run.returncode == 0
    time.sleep(0.3)
    assert not any(pid_alive(p) for p in pids), "a process the script started survived the run"


def test_script_that_ignores_sigterm(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(QT_IMPORT + "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                      "app = QCoreApplication(sys.argv)\nwhile True:\n    time.sleep(1)\n")
    start = time.monotonic()
    run = run_tool("--duration", "0.5", "--hang-timeout", "1", script, timeout=60)
    assert run.report["stopped_after_limit"] is True and run.returncode == 7
    assert run.report["verdict"] == "incomplete"
    assert time.monotonic() - start < 0.5 + 1 + 5 + 2 + 10
    assert process_group_gone(run.report["runner_pid"])


def test_script_writing_100_mb_to_stdout(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(QT_IMPORT + "chunk = 'x' * (1 << 20) + '\\n'\nfor _ in range(100):\n"
                      "    sys.stdout.write(chunk)\nsys.stdout.flush()\n"
                      "app = QCoreApplication(sys.argv)\napp.exec()\n")
    report = tmp_path / "r.json"
    with open(tmp_path / "out", "wb") as out:
        p = subprocess.run([QGC_CHECK, "--duration", "0.5", "--json", str(report), str(script)],
                           stdout=out, stderr=subprocess.PIPE, timeout=120, env=tool_env())
    assert p.returncode == 0
    assert (tmp_path / "out").stat().st_size == 100 * ((1 << 20) + 1)
    assert json.loads(report.read_text())["verdict"] == "clean"


def test_ten_thousand_script_arguments(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(QT_IMPORT + "print('argc', len(sys.argv), sys.argv[-1])\n")
    args = [f"arg{i}" for i in range(10000)]
    run = run_tool("--duration", "0.5", script, *args, timeout=60)
    assert "argc 10001 arg9999" in run.stdout
    assert len(run.report["argv"]) == 10001
