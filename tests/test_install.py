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
