/* SPDX-License-Identifier: MIT */
/* host.h: how a runner starts inside the interpreter's own program.
 *
 * The runner is a library (qgc-check-runner[-3.X].so), not a program: the
 * supervisor, and the exec shim for a child of the run, exec the venv's
 * interpreter itself (its python3, the very file `python3 app.py` runs)
 * with the host (qgc-host.so) preloaded and HOST_RUNNER_ENV naming the
 * runner library. The host replaces that process's main: it loads the
 * runner, whose C API calls bind to the interpreter's own exported
 * functions, and calls HOST_RUNNER_ENTRY with the process's argv
 * (common/runner-args.h). So the script runs on the interpreter's code as
 * its build made it (Debian links python3 with link-time and
 * profile-guided optimisation; its libpython3.X.a and .so are not).
 *
 * The host needs libc only and does nothing in a process that does not
 * carry CPython's C API or whose environment does not name a runner (a
 * debugger's or valgrind's launcher that inherits the preload, say). In
 * the runner it removes itself and HOST_RUNNER_ENV from the environment
 * before the script starts, so that the script's own children inherit
 * neither.
 */
#pragma once

#define HOST_RUNNER_ENV "QGC_RUNNER"
#define HOST_RUNNER_ENTRY "qgc_runner_main"
#define HOST_SHIM_NAME "qgc-host.so"

/* The runner library's entry: argv is the runner's command line, argv[0]
 * the interpreter. Returns the process's exit status (it usually exits
 * itself, as Python's main does). */
typedef int (*host_runner_entry) (int argc, char **argv);
