# SPDX-License-Identifier: MIT
"""Shared helpers: run the built qgc-check on real scripts and read its reports."""
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTCASES = ROOT / "testcases"
sys.path.insert(0, str(TESTCASES))
from _header import parse_header  # noqa: E402  (one parser for the suite and the benchmarks)
QGC_CHECK = os.environ.get("QGC_CHECK", str(ROOT / "build" / "src" / "qgc-check"))
SCHEMA = ROOT / "schema" / "report.schema.json"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    report: dict | None


def tool_env(**extra):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("VIRTUAL_ENV", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run_tool(*args, timeout=120, env=None, json_report=True, cwd=None, stdin=subprocess.DEVNULL):
    """Runs qgc-check with args; returns the exit status, output and JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        cmd = [QGC_CHECK]
        if json_report:
            cmd += ["--json", str(report_path)]
        cmd += [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout,
                           env=env or tool_env(), cwd=cwd, stdin=stdin)
        report = None
        if json_report and report_path.exists():
            report = json.loads(report_path.read_text())
        return Run(p.returncode, p.stdout, p.stderr, report)


def list_testcases():
    return sorted(p for p in TESTCASES.glob("*.py") if not p.name.startswith("_"))


def process_group_gone(pid):
    """True when no process of the run's group (led by the runner) is left."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def validate_schema(report):
    import jsonschema
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(report, schema)


@pytest.fixture
def tmp_script(tmp_path):
    def make(text, name="app.py"):
        p = tmp_path / name
        p.write_text(text)
        return p
    return make
