# SPDX-License-Identifier: MIT
"""Shipping: the man page matches --help, `meson install --destdir` gives a
binary that finds its probe relative to itself, and an activated venv's
packages are what the script sees."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import QGC_CHECK, ROOT, TESTCASES, run_tool, tool_env

BUILD = Path(QGC_CHECK).resolve().parent.parent


def help_options():
    text = subprocess.run([QGC_CHECK, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text)) | set(re.findall(r"^\s+(-[a-zA-Z]),", text, re.M))


def man_options():
    text = (BUILD / "man" / "qgc-check.1").read_text()
    text = text[text.index(".SH OPTIONS"):text.index(".SH EXIT STATUS")]
    text = text.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text)) | set(re.findall(r"^\.BR (-[a-zA-Z]) ", text, re.M))


def test_man_page_matches_help():
    h, m = help_options(), man_options()
    assert h and h == m, f"only in --help: {h - m}; only in the man page: {m - h}"
    man = (BUILD / "man" / "qgc-check.1").read_text()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT",
                    "FILES", "EXAMPLES", "SEE ALSO"):
        assert f".SH {section}" in man


def test_installed_binary_finds_its_probe(tmp_path):
    dest = tmp_path / "dest"
    subprocess.run(["/usr/bin/meson", "install", "-C", str(BUILD), "--destdir", str(dest), "--quiet"],
                   check=True, capture_output=True)
    (binary,) = dest.rglob("bin/qgc-check")
    assert list(dest.rglob("qgc-check/qgc-probe.so")) and list(dest.rglob("man1/qgc-check.1"))
    # The runner (the one program that embeds Python) beside the probe, not in bin/.
    (runner,) = dest.rglob("qgc-check/qgc-check-runner")
    assert os.access(runner, os.X_OK) and not list(dest.rglob("bin/qgc-check-runner"))
    p = subprocess.run([str(binary), "-q", "--duration", "1", str(TESTCASES / "graphics_item_cycle.py")],
                       capture_output=True, text=True, timeout=120, env=tool_env())
    # The racy testcase races (or crashes after racing): the installed probe is hooked.
    assert p.returncode in (1, 4), p.stderr
    assert "qgc-check: race:" in p.stderr or "qgc-check: crash:" in p.stderr


def test_venv_packages_are_seen(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True)
    (site,) = venv.glob("lib/python3*/site-packages")
    (site / "localpkg").mkdir()
    (site / "localpkg" / "__init__.py").write_text("VALUE = 'from-the-venv'\n")
    script = tmp_path / "app.py"
    script.write_text("import sys, localpkg\nprint('prefix=' + sys.prefix)\nprint('value=' + localpkg.VALUE)\n"
                      "print('executable=' + sys.executable)\nimport PyQt6.QtCore\n")
    run = run_tool(script, env=tool_env(VIRTUAL_ENV=str(venv)))
    assert "value=from-the-venv" in run.stdout
    assert f"prefix={venv}" in run.stdout
    assert f"executable={venv}/bin/python3" in run.stdout
    # Without the venv the package is not there.
    plain = run_tool(script)
    assert plain.returncode == 3 and "ModuleNotFoundError" in plain.stderr


def test_venv_of_another_python_is_refused(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /nowhere\nversion = 3.2.1\n")
    p = subprocess.run([QGC_CHECK, str(TESTCASES / "no_qt.py")], capture_output=True, text=True,
                       env=tool_env(VIRTUAL_ENV=str(venv)), timeout=30)
    assert p.returncode == 3 and "is Python 3.2.1 but qgc-check embeds Python 3." in p.stderr
    assert p.stderr.count("\n") == 1


def test_missing_binding_gives_a_clear_error(tmp_script):
    run = run_tool(tmp_script("import PySide6.QtWidgets\n"))
    assert run.returncode == 3
    assert run.report["error"].startswith("the script cannot import PySide6 with ")


def test_a_qt5_binding_is_refused_by_name(tmp_path):
    """A binding whose Qt the probe cannot hook gets a clear error naming it
    (a stand-in PyQt5 package: the module name is what the runner sees)."""
    pkg = tmp_path / "PyQt5"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "QtCore.py").write_text("QT_VERSION_STR = '5.15.2'\n")
    script = tmp_path / "app.py"
    script.write_text("import PyQt5.QtCore\nprint('should not get here')\n")
    run = run_tool(script)
    assert run.returncode == 3 and "should not get here" not in run.stdout
    assert "qgc-check: the script loaded PyQt5 (Qt 5); qgc-check checks Qt 6 bindings only" in run.stderr
    assert run.report["error"].startswith("the script loaded PyQt5")


def test_supervisor_links_neither_python_nor_qt_and_is_pie():
    """The program the user runs is C only: the runner it execs embeds Python."""
    qgc = Path(QGC_CHECK)
    libs = subprocess.run(["ldd", str(qgc)], capture_output=True, text=True, check=True).stdout
    assert "libpython" not in libs and "Qt6" not in libs, libs
    header = qgc.read_bytes()[:18]
    assert header[16] == 3, "not a position-independent executable (ET_DYN)"  # e_type
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(qgc)], capture_output=True, text=True).stdout
    assert "Py_Initialize" not in symbols


def test_app_inherits_no_descriptor_of_the_supervisor(tmp_path):
    """The runner is exec'd: the app sees its standard streams and the runner's
    own descriptors, never the supervisor's (its --events file, its pipes)."""
    events = tmp_path / "events.jsonl"
    script = tmp_path / "fds.py"
    script.write_text(
        "import os, sys\n"
        "from PyQt6.QtCore import QCoreApplication\n"
        "app = QCoreApplication(sys.argv)\n"
        "for fd in sorted(int(x) for x in os.listdir('/proc/self/fd')):\n"
        "    try:\n"
        "        print(fd, os.readlink(f'/proc/self/fd/{fd}'))\n"
        "    except OSError:\n"
        "        pass\n")
    p = subprocess.run([QGC_CHECK, "--threads", "0", "--events", str(events), str(script)],
                       capture_output=True, text=True, timeout=120, env=tool_env())
    targets = [line.split(" ", 1)[1] for line in p.stdout.splitlines() if " " in line]
    assert targets, p.stderr
    assert not any(str(events) in t for t in targets), targets
    assert not any("qgc-check-channel" in t for t in targets), targets  # mapped, never an fd
