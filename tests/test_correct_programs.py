# SPDX-License-Identifier: MIT
"""Correct programs come out of qgc-check clean and unchanged. Each testcase that says
`# qgc-check-compare: python3` runs once with plain python3 and QGC_CORRECT_RUNS times
under qgc-check, under Debian's PyQt6 (/usr/bin/python3) and the PyQt6 and PySide6 wheels:
the verdict is clean with no finding, and the program's exit status, its stdout and the
files it wrote (into $QGC_OUT_DIR) are those of the plain run."""
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import (ROOT, TESTCASES, parse_header, process_group_gone, run_tool, tool_env,
                      validate_schema)
from test_bindings import VENVS, venv_env

RUNS = int(os.environ.get("QGC_CORRECT_RUNS", "3"))
BINDINGS = ["debian-PyQt6", "PyQt6", "PySide6"]
CASES = sorted(p.stem for p in TESTCASES.glob("correct_*.py")
               if parse_header(p)["compare"] == "python3")
_plain_runs = {}


def binding_setup(binding):
    """The interpreter of plain runs and the environment of both kinds of run."""
    if binding == "debian-PyQt6":
        return "/usr/bin/python3", tool_env(), "PyQt6"
    return str(VENVS / binding / "bin" / "python3"), venv_env(binding), binding


def files_in(directory):
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(Path(directory).rglob("*")) if p.is_file()}


def run_with_input(header, fn):
    """fn(stdin): the testcase's input through a pipe, or /dev/null when it declares none."""
    if header["stdin"] is None:
        return fn(subprocess.DEVNULL)
    r, w = os.pipe()
    try:
        os.write(w, header["stdin"].encode())  # a few bytes: the pipe holds them all
        os.close(w)
        return fn(r)
    finally:
        os.close(r)


def plain_run(case, binding):
    """One run with the binding's own python3, cached for the module."""
    if (case, binding) not in _plain_runs:
        python, env, name = binding_setup(binding)
        path = TESTCASES / f"{case}.py"
        header = parse_header(path, name)
        with tempfile.TemporaryDirectory() as out:
            env = dict(env, QGC_OUT_DIR=out, QT_QPA_PLATFORM="offscreen")
            p = run_with_input(header, lambda stdin: subprocess.run(
                [python, str(path)], stdin=stdin, capture_output=True, text=True,
                errors="replace", env=env, cwd=ROOT, timeout=120))
            _plain_runs[case, binding] = (p.returncode, p.stdout, p.stderr, files_in(out))
    return _plain_runs[case, binding]


def tool_run(case, binding):
    _, env, name = binding_setup(binding)
    path = TESTCASES / f"{case}.py"
    header = parse_header(path, name)
    with tempfile.TemporaryDirectory() as out:
        env = dict(env, QGC_OUT_DIR=out)
        run = run_with_input(header, lambda stdin: run_tool(
            *header["args"], path, env=env, cwd=ROOT, stdin=stdin, timeout=180))
        return run, files_in(out)


def report_excerpt(stderr):
    """The report's beginning (verdict, first stacks) and its end (binding, seed)."""
    start = stderr.find("qgc-check: ")
    text = stderr[start:] if start >= 0 else stderr
    return text if len(text) <= 4000 else text[:2500] + "\n...\n" + text[-1200:]


@pytest.mark.parametrize("attempt", range(RUNS))
@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize("case", CASES)
def test_correct_program_unchanged(case, binding, attempt):
    status, stdout, stderr, files = plain_run(case, binding)
    header = parse_header(TESTCASES / f"{case}.py", binding_setup(binding)[2])
    # The program itself is correct: plain python3 runs it to its declared end.
    assert status == 0, f"plain python3 exited {status}:\n{stderr[-2000:]}"
    if header["stdout"]:
        assert re.search(header["stdout"], stdout, re.M), f"plain python3 printed:\n{stdout}"

    run, tool_files = tool_run(case, binding)
    report = run.report
    assert report is not None, f"no JSON report (exit {run.returncode}); stderr:\n{run.stderr[-3000:]}"
    problems = []
    if report["verdict"] != "clean":
        problems.append(f"verdict {report['verdict']} (error: {report.get('error')})")
    if report["findings"]:
        problems.append(f"{len(report['findings'])} findings, first: {report['findings'][0]}")
    if report["script_exit_status"] != status:
        problems.append(f"script exit status {report['script_exit_status']}, plain python3 {status}")
    if run.returncode != (0 if status == 0 else 6):
        problems.append(f"qgc-check exited {run.returncode}")
    if report["stopped_after_limit"]:
        problems.append("stopped at the outer limit")
    if run.stdout != stdout:
        problems.append(f"stdout differs:\n--- python3\n{stdout}--- qgc-check\n{run.stdout}---")
    if tool_files != files:
        def show(fs):
            return {k: (len(v), v[-60:]) for k, v in fs.items()}
        problems.append(f"files differ: python3 {show(files)}, qgc-check {show(tool_files)}")
    if not process_group_gone(report["runner_pid"]):
        problems.append("a process of the run survived it")
    if not report["binding"].startswith(binding_setup(binding)[2] + " "):
        problems.append(f"binding {report['binding']}")
    assert not problems, "\n".join(problems) + f"\nqgc-check stderr:\n{report_excerpt(run.stderr)}"
    validate_schema(report)
