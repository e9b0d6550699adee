# SPDX-License-Identifier: MIT
"""Shipping: the man page matches --help, `meson install --destdir` gives a
binary that finds its probe relative to itself, an activated venv's
packages are what the script sees, and `pip install <checkout>` into a venv
of each interpreter at hand gives a qgc-check that runs as that venv's
python, with the pytest plugin."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import QGC_CHECK, ROOT, TESTCASES, Run, list_testcases, parse_header, run_tool, tool_env
from test_bindings import CASES as BINDINGS_CASES
from test_testcases import check_outcome

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
    assert list(dest.rglob("qgc-check/qgc-follow.so"))  # the exec shim, beside the runner
    # The runner (the one part that calls Python) and its host beside the probe, not in bin/.
    assert list(dest.rglob("qgc-check/qgc-check-runner.so")) and list(dest.rglob("qgc-check/qgc-host.so"))
    assert not list(dest.rglob("bin/qgc-check-runner*"))
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


def test_a_binary_installed_in_a_venv_runs_as_that_venv_without_activation(tmp_path):
    """<venv>/bin/qgc-check runs as <venv>/bin/python does, activated or not,
    whatever venv it was built in (a wheel from pip's cache may be)."""
    dest = tmp_path / "dest"
    prefix = dest / "usr" / "local"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", str(prefix)],
                   check=True)
    subprocess.run(["/usr/bin/meson", "install", "-C", str(BUILD), "--destdir", str(dest), "--quiet"],
                   check=True, capture_output=True)
    (site,) = prefix.glob("lib/python3*/site-packages")
    (site / "localpkg").mkdir()
    (site / "localpkg" / "__init__.py").write_text("VALUE = 'from-its-own-venv'\n")
    script = tmp_path / "app.py"
    script.write_text("import sys, localpkg\nprint('prefix=' + sys.prefix)\nprint('value=' + localpkg.VALUE)\n")
    p = subprocess.run([str(prefix / "bin" / "qgc-check"), str(script)], capture_output=True, text=True,
                       env=tool_env(), timeout=120)
    assert "value=from-its-own-venv" in p.stdout and f"prefix={prefix}" in p.stdout, p.stderr[-2000:]
    # An activated venv still wins.
    other = tmp_path / "other"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(other)], check=True)
    p = subprocess.run([str(prefix / "bin" / "qgc-check"), str(script)], capture_output=True, text=True,
                       env=tool_env(VIRTUAL_ENV=str(other)), timeout=120)
    assert p.returncode == 3 and "ModuleNotFoundError" in p.stderr


def test_venv_of_another_python_is_refused(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /nowhere\nversion = 3.2.1\n")
    p = subprocess.run([QGC_CHECK, str(TESTCASES / "no_qt.py")], capture_output=True, text=True,
                       env=tool_env(VIRTUAL_ENV=str(venv)), timeout=30)
    assert p.returncode == 3 and "is Python 3.2.1 but this qgc-check serves Python 3." in p.stderr
    assert p.stderr.count("\n") == 1


def test_venv_whose_python_changed_is_refused(tmp_path):
    """A venv whose python3 is no longer the version its pyvenv.cfg (and so
    the runner chosen) says: the runner, loaded into that program, refuses
    with one line instead of reading another version's structures."""
    debian = subprocess.run(["/usr/bin/python3", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    others = [p for p in map(column_python, ("3.10", "3.12", "3.13"))
              if p and not str(p).endswith(debian.rsplit(".", 1)[0])]
    if not others:
        pytest.skip(f"no CPython under {PYENV_VERSIONS} other than Debian's {debian}")
    for other in others:
        venv = tmp_path / other.name
        subprocess.run([str(other), "-m", "venv", "--without-pip", str(venv)], check=True)
        cfg = venv / "pyvenv.cfg"
        cfg.write_text(re.sub(r"(?m)^version(_info)? = .*$", f"version = {debian}", cfg.read_text()))
        p = subprocess.run([QGC_CHECK, str(TESTCASES / "no_qt.py")], capture_output=True, text=True,
                           env=tool_env(VIRTUAL_ENV=str(venv)), timeout=60)
        assert p.returncode == 3, (other, p.stderr)
        # The host cannot load it (a symbol of another version missing), or
        # the runner refuses the version it was loaded into: one line says so.
        assert ("the venv's interpreter changed since qgc-check was installed" in p.stderr
                or "the venv's interpreter changed?" in p.stderr), (other, p.stderr)
        assert "the runner could not start" in p.stderr and "never loaded a Qt binding" not in p.stderr, p.stderr
        assert "Traceback" not in p.stderr and "unknown option" not in p.stderr, p.stderr


def test_installed_under_a_path_with_a_space_says_so(tmp_path):
    """The loader cannot preload from a path with a space: one line that says
    what to do, not a Python usage error."""
    dest = tmp_path / "my project"
    subprocess.run(["/usr/bin/meson", "install", "-C", str(BUILD), "--destdir", str(dest), "--quiet"],
                   check=True, capture_output=True)
    (binary,) = dest.rglob("bin/qgc-check")
    p = subprocess.run([str(binary), str(TESTCASES / "graphics_item_cycle.py")], capture_output=True, text=True,
                       timeout=60, env=tool_env())
    assert p.returncode == 3, p.stderr
    assert "a path with a space or a colon" in p.stderr and p.stderr.count("\n") == 1, p.stderr


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


def test_probe_loads_into_any_qt6():
    """The probe binds to whichever Qt 6 the binding brings, older than the
    headers it was built with too: it needs no symbol of a Qt minor version."""
    syms = subprocess.run(["objdump", "-T", str(BUILD / "src" / "probe" / "qgc-probe.so")],
                          capture_output=True, text=True, check=True).stdout
    versions = set(re.findall(r"\((Qt_[\d.]+)\)", syms))
    assert versions == {"Qt_6"}, versions


def test_supervisor_links_neither_python_nor_qt_and_is_pie():
    """The program the user runs is C only: the runner it loads into the interpreter calls Python."""
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


# pip install <checkout>: one venv per interpreter, made once for this module
# (each install builds the whole project, about a minute) and shared by the
# tests below. Downloads (meson-python, meson, ninja, the PyQt6 wheels) are
# kept in the build tree's pip cache across runs; the build itself is not.
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT") or "/root/.pyenv") / "versions"
PIP_CACHE = BUILD / "pip-cache"
PYQT6 = ["PyQt6==6.11.0", "PyQt6-Qt6==6.11.2"]  # tools/make-venvs' pins
# Each column: the interpreter, and Meson options for the install. "debian"
# is /usr/bin/python3, on every CI machine.
COLUMNS = {"3.10": [], "3.12": [], "3.13": [], "debian": []}


def column_python(column):
    if column == "debian":
        return Path("/usr/bin/python3")
    found = sorted(PYENV_VERSIONS.glob(f"{column}.*/bin/python{column}"),
                   key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()])
    return found[-1] if found else None


def pip_env(venv=None, **extra):
    env = tool_env(PIP_CACHE_DIR=str(PIP_CACHE), PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
                   **extra)
    env.pop("PYTHONPATH", None)
    if venv:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv}/bin:{env['PATH']}"
    return env


def pip_install(venv, *args, env=None, timeout=900):
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", *args],
                          capture_output=True, text=True, timeout=timeout, env=env or pip_env())


def make_venv(python, venv):
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True, capture_output=True)


class PipVenv:
    def __init__(self, column, venv, python):
        self.column, self.venv, self.python = column, venv, python
        self.version = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                      capture_output=True, text=True, check=True).stdout.strip()
        (self.site,) = venv.glob("lib/python3*/site-packages")
        self.qgc_check = venv / "bin" / "qgc-check"
        self.runner = self.site / "qgc_check" / "qgc-check-runner.so"

    def run(self, *args, activated=True, cwd=None, timeout=180, **extra):
        env = pip_env(self.venv if activated else None, **extra)
        return subprocess.run([str(a) for a in args], capture_output=True, text=True, errors="replace",
                              timeout=timeout, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory):
    made = {}

    def get(column):
        if column not in made:
            python = column_python(column)
            if python is None or not python.exists():
                made[column] = f"no CPython {column} under {PYENV_VERSIONS} (pyenv install {column})"
            else:
                try:
                    made[column] = install_column(column, python, tmp_path_factory.mktemp(f"pip-{column}"))
                except Exception as e:  # one failure, not one rebuild per test
                    made[column] = e
        if isinstance(made[column], str):
            pytest.skip(made[column])
        if isinstance(made[column], Exception):
            raise made[column]
        return made[column]
    yield get
    # Each venv holds a Qt (some 300 MB): none is kept after the module.
    for v in made.values():
        if isinstance(v, PipVenv):
            shutil.rmtree(v.venv, ignore_errors=True)


def column_setup_args(column):
    """pip's options that pass the column's Meson options to the build."""
    return [f"--config-settings=setup-args={a}" for a in COLUMNS[column]]


def install_column(column, python, tmp):
    venv = tmp / "venv"
    make_venv(python, venv)
    setup_args = column_setup_args(column)
    start = time.monotonic()
    p = pip_install(venv, *setup_args, str(ROOT))
    took = time.monotonic() - start
    assert p.returncode == 0, f"pip install of the checkout with {python} failed:\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}"
    print(f"pip install <checkout> into a venv of {python}: {took:.0f} s")
    p = pip_install(venv, *PYQT6, "pytest")
    assert p.returncode == 0, f"pip install {' '.join(PYQT6)} failed for {python}:\n{p.stderr[-4000:]}"
    return PipVenv(column, venv, python)


@pytest.mark.parametrize("column", COLUMNS)
def test_pip_installed_qgc_check_runs_as_the_venvs_python(pip_venv, column, tmp_path):
    v = pip_venv(column)
    # On the venv's PATH, the race reported (or a crash after racing).
    p = v.run("qgc-check", "-q", "--duration", "1", TESTCASES / "graphics_item_cycle.py")
    assert p.returncode in (1, 4), p.stderr
    assert "qgc-check: race:" in p.stderr or "qgc-check: crash:" in p.stderr
    # The script runs in that venv's interpreter, activated or not.
    script = tmp_path / "which.py"
    script.write_text("import sys, PyQt6.QtCore\nprint('version=%d.%d' % sys.version_info[:2])\n"
                      "print('prefix=' + sys.prefix)\n")
    for activated in (True, False):
        p = v.run(v.qgc_check, "-q", "--threads", "0", script, activated=activated)
        assert p.returncode == 0, p.stderr
        assert f"version={v.version}" in p.stdout and f"prefix={v.venv}" in p.stdout, (activated, p.stdout)


def test_one_build_serves_several_interpreters(tmp_path):
    """-Dpython= a list: a runner per interpreter; --version lists them; a venv
    runs in the runner of its own minor version, anything else is refused."""
    debian = subprocess.run(["/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    # Meson before 1.2 (Debian 12's) reads an interpreter through distutils,
    # which 3.12 dropped: 3.10 suits every Meson.
    other = next((p for p in map(column_python, ("3.10", "3.12", "3.13")) if p and not str(p).endswith(debian)), None)
    if other is None:
        pytest.skip(f"no CPython under {PYENV_VERSIONS} other than Debian's {debian}")
    other_version = re.search(r"python(3\.\d+)$", str(other)).group(1)
    build = tmp_path / "build"
    p = subprocess.run(["/usr/bin/meson", "setup", f"-Dpython=/usr/bin/python3,{other}", "-Dtests=false",
                        str(build)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    p = subprocess.run(["/usr/bin/meson", "compile", "-C", str(build)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    tool = build / "src" / "qgc-check"
    assert (build / "src" / f"qgc-check-runner-{other_version}.so").is_file()
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()
    assert version[1:] == [f"Python {debian}: /usr/bin/python3 (the default, outside a venv)",
                           f"Python {other_version}: {other}"], version
    script = tmp_path / "which.py"
    script.write_text("import sys\nprint('version=%d.%d' % sys.version_info[:2], 'prefix=' + sys.prefix)\n")
    venv = tmp_path / "venv"
    make_venv(other, venv)
    for env, want in ((tool_env(), f"version={debian} prefix=/usr"),
                      (tool_env(VIRTUAL_ENV=str(venv)), f"version={other_version} prefix={venv}")):
        p = subprocess.run([tool, "--threads", "0", script], capture_output=True, text=True, env=env,
                           timeout=60)
        # The script ran, in that interpreter (it loads no Qt: exit 3, said so).
        assert want in p.stdout, (want, p.stdout, p.stderr)
        assert p.returncode == 3 and "never loaded a Qt binding" in p.stderr, p.stderr
    # A venv of a version the build does not serve: one line naming the ones it does.
    unserved = next((p for p in map(column_python, ("3.10", "3.12", "3.13"))
                     if p and not str(p).endswith((debian, other_version))), None)
    if unserved:
        make_venv(unserved, tmp_path / "unserved")
        p = subprocess.run([tool, script], capture_output=True, text=True, timeout=60,
                           env=tool_env(VIRTUAL_ENV=str(tmp_path / "unserved")))
        assert p.returncode == 3 and p.stderr.count("\n") == 1, p.stderr
        assert f"but this qgc-check serves Python {debian} and {other_version};" in p.stderr


def run_testcase_in(v, case, header, module, tmp_path):
    """A testcase under a pip-installed qgc-check, its JSON report read."""
    report = tmp_path / "report.json"
    p = v.run(v.qgc_check, "--json", report, *header["args"], case, timeout=240, QGC_TEST_BINDING=module)
    return Run(p.returncode, p.stdout, p.stderr, json.loads(report.read_text()) if report.exists() else None)


# The whole testcase suite, once each, under every pyenv interpreter, as pip
# installed it, with the PyQt6 wheel: each case's declared outcome holds.
INTERPRETER_CASES = [(c, case) for c in ("3.10", "3.12", "3.13") for case in list_testcases()]


@pytest.mark.parametrize("column, case", INTERPRETER_CASES,
                         ids=[f"{c}-{case.stem}" for c, case in INTERPRETER_CASES])
def test_testcase_under_each_interpreter(pip_venv, column, case, tmp_path):
    v = pip_venv(column)
    header = parse_header(case, "PyQt6")
    run = run_testcase_in(v, case, header, "PyQt6", tmp_path)
    check_outcome(case, run, header)
    assert (run.report["binding"] or "PyQt6 ").startswith("PyQt6 "), run.report["binding"]
    # The script ran as the venv's python, in the runner of its version.
    assert run.report["python"] == {"version": v.version, "executable": str(v.venv / "bin" / "python3")}


# The binding matrix on each interpreter: the releases users pin, each in a
# venv of its own beside the column's (PyQt6 latest), with qgc-check from a
# wheel of the checkout built once per interpreter. PySide6 6.5 requires
# Python < 3.12; 6.9 and 6.12 are covered on Debian's interpreter
# (tests/test_bindings.py, tools/make-venvs says why 6.12 is left out).
BINDING_PINS = {"PySide6": ["PySide6-Essentials==6.11.0"], "PyQt6-6.7": ["PyQt6==6.7.1", "PyQt6-Qt6==6.7.3"],
                "PySide6-6.8": ["PySide6-Essentials==6.8.3"], "PySide6-6.5": ["PySide6-Essentials==6.5.3"]}


@pytest.fixture(scope="module")
def binding_venv(pip_venv, tmp_path_factory):
    wheels, made = {}, {}

    def get(column, binding):
        v = pip_venv(column)
        if binding == "PySide6-6.5" and v.version not in ("3.10", "3.11"):
            pytest.skip(f"PySide6 6.5 requires Python < 3.12 (this is {v.version})")
        key = (column, binding)
        if key not in made:
            try:
                if column not in wheels:
                    out = tmp_path_factory.mktemp(f"wheel-{column}")
                    p = subprocess.run([str(v.venv / "bin" / "python"), "-m", "pip", "wheel", "--no-deps",
                                        "-w", str(out), *column_setup_args(column), str(ROOT)],
                                       capture_output=True, text=True, timeout=900, env=pip_env())
                    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
                    (wheels[column],) = out.glob("qgc_check-*.whl")
                venv = tmp_path_factory.mktemp(f"pip-{column}-{binding}") / "venv"
                make_venv(v.python, venv)
                p = pip_install(venv, str(wheels[column]), *BINDING_PINS[binding])
                assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
                made[key] = PipVenv(column, venv, v.python)
            except Exception as e:  # one failure, not one rebuild per test
                made[key] = e
        if isinstance(made[key], Exception):
            raise made[key]
        return made[key]
    yield get
    for v in made.values():
        if isinstance(v, PipVenv):
            shutil.rmtree(v.venv, ignore_errors=True)


# The racy, clean and crash cases of each kind (the whole matrix list runs under
# Debian's interpreter, tests/test_bindings.py): a graphics item cycle, a QObject
# cycle, a last reference dropped in a thread, a future's last reference, a crash
# after findings, an idle app, and a child interpreter of the venv's python.
INTERPRETER_BINDING_CASES = ["graphics_item_cycle", "qobject_cycle", "refcount_thread", "futures_last_reference",
                             "segfault_after_findings", "idle_app", "subprocess_child_races"]
assert set(INTERPRETER_BINDING_CASES) <= set(BINDINGS_CASES)
BINDING_CASES = [(c, b, case) for c in ("3.10", "3.12", "3.13") for b in BINDING_PINS
                 for case in INTERPRETER_BINDING_CASES]


@pytest.mark.parametrize("column, binding, case", BINDING_CASES,
                         ids=[f"{c}-{b}-{case}" for c, b, case in BINDING_CASES])
def test_binding_matrix_under_each_interpreter(binding_venv, column, binding, case, tmp_path):
    v = binding_venv(column, binding)
    module = binding.split("-")[0]
    path = TESTCASES / f"{case}.py"
    header = parse_header(path, module)
    run = run_testcase_in(v, path, header, module, tmp_path)
    check_outcome(path, run, header)
    want = BINDING_PINS[binding][0].split("==")[1]
    assert run.report["binding"] == f"{module} {want}", run.report["binding"]
    assert run.report["python"]["version"] == v.version


def test_pip_install_from_an_sdist_and_a_git_url(tmp_path):
    """The other two ways the README gives: an sdist (built by `python -m build`,
    meson-python's `meson dist` of the committed tree) and a git URL."""
    python = column_python("3.12") or Path("/usr/bin/python3")
    if not (ROOT / ".git").exists():
        pytest.skip("the checkout is not a git repository")
    if not shutil.which("git"):
        pytest.skip("git is not installed: meson dist needs it")
    tools = tmp_path / "tools"
    make_venv(python, tools)
    p = pip_install(tools, "build")
    assert p.returncode == 0, p.stderr[-2000:]
    p = subprocess.run([str(tools / "bin" / "python"), "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"),
                        str(ROOT)], capture_output=True, text=True, timeout=600, env=pip_env())
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    (sdist,) = (tmp_path / "dist").glob("qgc_check-*.tar.gz")
    version = subprocess.run([QGC_CHECK, "--version"], capture_output=True, text=True).stdout.split()[1]
    for name, source in (("sdist", str(sdist)), ("git", f"git+file://{ROOT}")):
        venv = tmp_path / name
        make_venv(python, venv)
        p = pip_install(venv, source)
        assert p.returncode == 0, (name, p.stdout[-3000:], p.stderr[-3000:])
        out = subprocess.run([str(venv / "bin" / "qgc-check"), "--version"], capture_output=True, text=True)
        assert out.returncode == 0 and out.stdout.startswith(f"qgc-check {version}\n"), (name, out.stdout)
        assert f": {python}" in out.stdout or f": {venv}" in out.stdout, (name, out.stdout)
        shutil.rmtree(venv, ignore_errors=True)


def test_pip_install_layout(pip_venv):
    v = pip_venv("3.12")
    assert os.access(v.qgc_check, os.X_OK) and os.access(v.runner, os.X_OK)
    assert (v.site / "qgc_check" / "qgc-probe.so").is_file()
    assert (v.site / "qgc_check" / "qgc-follow.so").is_file()
    # The wheel holds the runner, which embeds this interpreter: tagged for it.
    (wheel,) = v.site.glob("qgc_check-*.dist-info/WHEEL")
    assert "Tag: cp312-cp312-linux_" in wheel.read_text()
    page = v.venv / "share" / "man" / "man1" / "qgc-check.1"
    assert page.is_file()
    # Its FILES section names the runner and the probe where they are.
    assert str(v.runner) in page.read_text() and str(v.site / "qgc_check" / "qgc-probe.so") in page.read_text()
    # man finds it from the venv's bin/ on PATH.
    if shutil.which("man"):
        p = v.run("man", "-w", "qgc-check", MANPATH="")
        assert p.stdout.strip() == str(page), p.stderr


WHERE_IT_RUNS = """\
import os, sys
print("exe", os.path.realpath("/proc/self/exe"))
print("executable", sys.executable)
print("prefix", sys.prefix)
print("preload", os.environ.get("LD_PRELOAD", ""))
print("runner-env", os.environ.get("QGC_RUNNER", "-"))
import subprocess
print("child", subprocess.run(["/bin/sh", "-c", 'echo "$LD_PRELOAD|${QGC_RUNNER:--}"'],
                              capture_output=True, text=True).stdout.strip())
"""


def where_it_runs(qgc_check, tmp_path, env):
    script = tmp_path / "where.py"
    script.write_text(WHERE_IT_RUNS)
    p = subprocess.run([str(qgc_check), "--threads", "0", "--duration", "0", str(script)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert "runner-env" in p.stdout, p.stdout + p.stderr
    return dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)


def test_script_runs_in_the_interpreters_own_program(tmp_path):
    """The runner is a library in the interpreter's own program (its main
    replaced by the host): the script runs on /usr/bin/python3's code, and
    neither the host nor the runner's name reaches the script or its
    children."""
    got = where_it_runs(QGC_CHECK, tmp_path, tool_env())
    assert got["exe"] == os.path.realpath("/usr/bin/python3"), got
    assert "qgc-host.so" not in got["preload"] and "qgc-follow.so" in got["preload"], got
    assert got["runner-env"] == "-", got
    preload, runner = got["child"].split("|")
    assert "qgc-host.so" not in preload and runner == "-", got
    runner_lib = BUILD / "src" / "qgc-check-runner.so"
    libs = subprocess.run(["ldd", str(runner_lib)], capture_output=True, text=True, check=True).stdout
    assert "libpython" not in libs, libs


def test_pip_installed_runner_runs_in_the_venvs_own_interpreter(pip_venv, tmp_path):
    """pip install into a pyenv venv: the script runs in that venv's
    python3 (pyenv's interpreter program), the runner linking no libpython."""
    v = pip_venv("3.12")
    libs = subprocess.run(["ldd", str(v.runner)], capture_output=True, text=True, check=True).stdout
    assert "libpython" not in libs, libs
    got = where_it_runs(v.qgc_check, tmp_path, pip_env(v.venv))
    assert got["exe"] == os.path.realpath(v.python), got
    assert got["executable"] == str(v.venv / "bin" / "python3") and got["prefix"] == str(v.venv), got


RACY_TESTS = """\
import sys
import time
from PyQt6.QtCore import QEventLoop, QTimer
from PyQt6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsTextItem

app = QApplication.instance() or QApplication(sys.argv)


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        self.callbacks = [self.refresh]  # a reference cycle

    def refresh(self):
        pass


def test_clean():
    assert app is not None


def test_racy():
    for _ in range(100):
        for _ in range(5):
            LegendEntry()
        loop = QEventLoop()
        QTimer.singleShot(10, loop.quit)
        loop.exec()
"""


def test_pytest_plugin_reruns_the_command_under_qgc_check(pip_venv, tmp_path):
    v = pip_venv("3.12")
    (tmp_path / "test_legend.py").write_text(RACY_TESTS)
    pytest_cmd = ["pytest", "-p", "no:cacheprovider", "-q", "test_legend.py"]
    # Qt's platform for the plain run (qgc-check picks offscreen by itself).
    plain = v.run(*pytest_cmd, cwd=tmp_path, QT_QPA_PLATFORM="offscreen")
    assert plain.returncode == 0 and "2 passed" in plain.stdout and "qgc-check" not in plain.stderr
    checked = v.run(*pytest_cmd, "--qgc-check", "--qgc-check-args=--junit qgc.xml", cwd=tmp_path)
    assert checked.returncode in (1, 4), checked.stdout + checked.stderr
    assert checked.stderr.count("qgc-check: race:") + checked.stderr.count("qgc-check: crash:") == 1
    assert "died during test test_legend.py::test_racy" in checked.stderr
    # The same command line, less the plugin's own options.
    assert "-m pytest -p no:cacheprovider -q test_legend.py" in checked.stderr
    assert (tmp_path / "qgc.xml").is_file()
    # The flag from PYTEST_ADDOPTS reaches the rerun too, which does not recurse.
    again = v.run(*pytest_cmd, cwd=tmp_path, PYTEST_ADDOPTS="--qgc-check")
    assert again.returncode in (1, 4) and again.stderr.count("[-m pytest]") == 1, again.stderr
    # qgc-check's statuses: a failing test without a finding is 6.
    (tmp_path / "test_legend.py").write_text("from PyQt6.QtCore import QObject\n\n\ndef test_fails():\n"
                                             "    assert QObject() and 1 + 1 == 3\n")
    failing = v.run(*pytest_cmd, "--qgc-check", "--qgc-check-args", "--threads 0", cwd=tmp_path)
    assert failing.returncode == 6, failing.stdout + failing.stderr
    assert "1 failed" in failing.stdout


def test_pip_install_without_qt_headers_says_what_to_install(pip_venv, tmp_path):
    """The build checks what it needs first: Qt 6 hidden from pkg-config gives
    one line naming the package, before anything is compiled."""
    python = column_python("3.12")
    if python is None:
        pytest.skip(f"no CPython 3.12 under {PYENV_VERSIONS}")
    hide = tmp_path / "hide-qt"
    hide.mkdir()
    wrapper = hide / "pkg-config"
    wrapper.write_text('#!/bin/sh\nfor a in "$@"; do case "$a" in Qt6*) exit 1;; esac; done\n'
                       'exec /usr/bin/pkg-config "$@"\n')
    wrapper.chmod(0o755)
    venv = tmp_path / "venv"
    make_venv(python, venv)
    env = pip_env()
    env["PATH"] = f"{hide}:{env['PATH']}"
    p = pip_install(venv, str(ROOT), env=env)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    lines = [line.strip() for line in out.splitlines() if "qgc-check:" in line]
    assert len(lines) == 1, out
    assert lines[0].endswith("qgc-check: the Qt 6 headers (pkg-config Qt6Core), for the probe, not found; "
                             "install qt6-base-dev on Debian and Ubuntu (qt6-qtbase-devel on Fedora)"), lines
    assert "Compiling" not in out and not (venv / "bin" / "qgc-check").exists()


@pytest.mark.parametrize("column", ["3.13t", "3.14t"])
def test_free_threaded_interpreter_gets_one_line(tmp_path, column):
    """Without a binding built for free-threading, the build is refused with
    the reason; pyenv's free-threaded builds are named 3.13t-dev, 3.13.1t."""
    found = sorted(PYENV_VERSIONS.glob(f"{column[:-1]}*t*/bin/python{column}"))
    if not found:
        pytest.skip(f"no free-threaded CPython {column} under {PYENV_VERSIONS} (pyenv install {column[:-1]}t)")
    venv = tmp_path / "venv"
    make_venv(found[-1], venv)
    p = pip_install(venv, str(ROOT))
    lines = [line.strip() for line in (p.stdout + p.stderr).splitlines() if "qgc-check:" in line]
    assert p.returncode != 0 and len(lines) == 1, p.stdout + p.stderr
    assert "is free-threaded, and no PyQt6 or PySide6 built for free-threading is installed there" in lines[0]


def load_pytest_plugin():
    """The plugin module from the source tree (its import of the package is
    deferred to the hook, so it loads without a wheel)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "qgc_check_pytest_plugin", ROOT / "src" / "python" / "qgc_check" / "pytest_plugin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("args, qgc_args, expected", [
    (["tests/"], "", ["tests/"]),
    (["-q", "--qgc-check", "tests/", "-k", "legend"], "", ["-q", "tests/", "-k", "legend"]),
    (["--qgc-check", "--qgc-check-args", "--fail-on high", "-x"], "--fail-on high", ["-x"]),
    (["--qgc-check-args=--junit 'a b.xml'", "--qgc-check", "t.py"], "--junit 'a b.xml'", ["t.py"]),
    # An argument of the suite's that merely starts like the plugin's is kept.
    (["--qgc-checkpoint", "--qgc-check"], "", ["--qgc-checkpoint"]),
])
def test_pytest_plugin_rerun_command(args, qgc_args, expected):
    plugin = load_pytest_plugin()
    argv = plugin.rerun_command("/venv/bin/qgc-check", qgc_args, args)
    split = {"": [], "--fail-on high": ["--fail-on", "high"], "--junit 'a b.xml'": ["--junit", "a b.xml"]}
    assert argv == ["/venv/bin/qgc-check", *split[qgc_args], "-m", "pytest", *expected]
    env = plugin.rerun_environment({"VIRTUAL_ENV": "/elsewhere", "PATH": "/usr/bin"})
    assert env[plugin.CHILD_ENV] == "1" and env["PATH"] == "/usr/bin"
    assert env.get("VIRTUAL_ENV") == (sys.prefix if sys.prefix != sys.base_prefix else None)
