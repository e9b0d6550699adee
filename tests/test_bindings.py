# SPDX-License-Identifier: MIT
"""The binding matrix: the testcases under PyQt6 and PySide6 wheels from PyPI,
each in its own venv with its own Qt (made by tools/make-venvs). A binding whose
venv is missing is reported as skipped, never as passed."""
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, TESTCASES, parse_header, run_tool, tool_env
from test_testcases import check_outcome

VENVS = Path(os.environ.get("QGC_VENVS", ROOT / "build" / "venvs"))
RUNS = int(os.environ.get("QGC_MATRIX_RUNS", "5"))
BINDINGS = ["PyQt6", "PySide6"]
# The racy, clean and crash testcases.
CASES = ["graphics_item_cycle", "graphics_item_cycle_gui_collector", "no_event_loop", "gil_held_while_hooks_run",
         "qobject_cycle", "refcount_thread", "futures_last_reference", "del_stops_timer",
         "segfault_after_findings", "idle_app", "graphics_timer_child", "posted_events_pending",
         "scene_item_deleted_in_worker", "widget_deleted_in_thread",
         "event_filter_deleted_in_thread", "environment_changed_during_findings",
         # Child interpreters of the run: the venv's python, checked.
         "subprocess_child_races", "multiprocessing_spawn_pool_races"]


def venv_env(binding):
    venv = VENVS / binding
    if not (venv / "bin" / "python3").exists():
        pytest.skip(f"no {binding} venv in {VENVS}: run tools/make-venvs")
    return tool_env(VIRTUAL_ENV=str(venv), QGC_TEST_BINDING=binding,
                    PATH=f"{venv}/bin:{os.environ['PATH']}")


@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("attempt", range(RUNS))
def test_testcase_under_wheel(binding, case, attempt):
    env = venv_env(binding)
    path = TESTCASES / f"{case}.py"
    header = parse_header(path, binding)
    run = run_tool(*header["args"], path, env=env, timeout=180)
    check_outcome(path, run, header)
    assert run.report["binding"].startswith(binding + " ")
    assert run.report["qtcore_library"].startswith(str(VENVS / binding))


@pytest.mark.parametrize("binding", BINDINGS)
def test_one_qtcore_mapped_the_wheels(binding, tmp_script):
    env = venv_env(binding)
    script = tmp_script(f"""
import {binding}.QtCore
paths = sorted({{l.split()[-1] for l in open('/proc/self/maps') if 'libQt6Core.so' in l}})
print('qtcore=' + '|'.join(paths))
""")
    run = run_tool(script, env=env)
    (line,) = [l for l in run.stdout.splitlines() if l.startswith("qtcore=")]
    paths = line[len("qtcore="):].split("|")
    assert len(paths) == 1, paths  # the soname trap: never the system's beside the wheel's
    assert paths[0].startswith(str(VENVS / binding))
    assert run.report["qtcore_library"] == paths[0]
    assert re.match(r"6\.\d+", run.report["qt_version"]) and run.report["qt_version"] != "6.4.2"
    assert f"binding {binding} " in run.stderr and f"Qt {run.report['qt_version']}" in run.stderr


@pytest.mark.parametrize("binding", BINDINGS)
def test_mitigate_under_wheel(binding):
    env = venv_env(binding)
    run = run_tool("--mitigate", "--duration", "2", TESTCASES / "graphics_item_cycle.py", env=env)
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-2000:]


@pytest.mark.parametrize("binding", BINDINGS)
def test_the_tool_leaves_the_binding_quiet(binding):
    """What qgc-check wraps in the binding's QtCore (the message handler and
    event-filter calls) must not disturb it: no warning of the binding's own
    (PySide6's signature parser once warned about every QObject method)."""
    env = venv_env(binding)
    run = run_tool("--threads", "0", "--duration", "1", TESTCASES / "idle_app.py", env=env)
    assert run.report["verdict"] == "clean", run.stderr[-2000:]
    assert "UNRECOGNIZED" not in run.stderr and "RuntimeWarning" not in run.stderr, run.stderr[-2000:]
