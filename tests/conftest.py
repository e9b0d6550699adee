"""Shared helpers: run the built qgc-check on real scripts and read its reports."""
import json
import os
import re
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTCASES = ROOT / "testcases"
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


def parse_header(path, binding="PyQt6"):
    """The testcase's declared expectation for a binding: {'expect': {...}, 'args':
    [...], 'stdout': regex}. `# qgc-check-expect-PySide6:` overrides the general
    line where the bindings differ (measured, see docs/pyside6-behaviour.md)."""
    expect, args, stdout = {}, [], None
    specific = None
    for line in Path(path).read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, body = line[2:].partition(":")
        if key in ("qgc-check-expect", f"qgc-check-expect-{binding}"):
            # key=value pairs; a value runs to the next " key=" (globs may hold spaces)
            parsed = dict(re.findall(r"(\w+)=(.*?)(?=\s+\w+=|\s*$)", body))
            if key == "qgc-check-expect":
                expect = parsed
            else:
                specific = parsed
        elif key == "qgc-check-args":
            args = body.split()
        elif key in ("qgc-check-stdout", f"qgc-check-stdout-{binding}"):
            stdout = body.strip()
    return {"expect": specific if specific is not None else expect, "args": args, "stdout": stdout}


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
