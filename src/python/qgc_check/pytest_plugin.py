# SPDX-License-Identifier: MIT
"""pytest --qgc-check: rerun this very pytest command under qgc-check.

A CI job adds one flag and changes nothing else: the plugin replaces the
pytest process with `qgc-check [--qgc-check-args] -m pytest <the same
arguments>`, so the job sees qgc-check's report on stderr and its exit
status (0 clean, 1 race, 4 crash, 5 hang, 6 tests failed without a
finding; README, "Exit status"). The rerun runs in the same interpreter and
venv: qgc-check's runner embeds this interpreter's libpython."""
import os
import shlex
import sys

import pytest

# Set in the rerun's environment: there the flag (from PYTEST_ADDOPTS or an
# ini file's addopts, which the rerun reads again) does nothing.
CHILD_ENV = "QGC_CHECK_PYTEST_RERUN"


def pytest_addoption(parser):
    group = parser.getgroup("qgc-check", "qgc-check: Qt objects destroyed in the wrong thread")
    group.addoption("--qgc-check", action="store_true", default=False,
                    help="rerun this pytest command under qgc-check (same arguments) and exit with "
                         "qgc-check's status: 1 race, 4 crash, 5 hang, 6 failing tests")
    group.addoption("--qgc-check-args", default="", metavar="ARGS",
                    help="options for qgc-check, split as a shell would, "
                         "e.g. --qgc-check-args='--fail-on high --junit qgc.xml'")


def rerun_arguments(args):
    """The pytest arguments without the plugin's own options."""
    out = []
    skip_value = False
    for arg in args:
        if skip_value:
            skip_value = False
        elif arg == "--qgc-check":
            pass
        elif arg == "--qgc-check-args":
            skip_value = True
        elif not arg.startswith("--qgc-check-args="):
            out.append(arg)
    return out


def rerun_command(supervisor, qgc_args, pytest_args):
    return [supervisor, *shlex.split(qgc_args), "-m", "pytest", *rerun_arguments(pytest_args)]


def rerun_environment(environ):
    env = dict(environ)
    env[CHILD_ENV] = "1"
    # The venv this pytest runs in, whichever one the shell activated: the
    # embedded interpreter runs as this venv's python.
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    else:
        env.pop("VIRTUAL_ENV", None)
    return env


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if not config.getoption("qgc_check") or os.environ.get(CHILD_ENV):
        return None
    from qgc_check import supervisor
    exe = supervisor()
    if exe is None:
        raise pytest.UsageError("qgc-check: --qgc-check cannot find the qgc-check executable; "
                                "reinstall the qgc-check package (pip install qgc-check)")
    try:
        argv = rerun_command(exe, config.getoption("qgc_check_args"), config.invocation_params.args)
    except ValueError as e:
        raise pytest.UsageError(f"qgc-check: --qgc-check-args: {e}") from None
    # Give the terminal back before the exec: whatever pytest captured while
    # it loaded conftest files goes out first.
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.stop_global_capturing()
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(config.invocation_params.dir)
    os.execve(exe, argv, rerun_environment(os.environ))
