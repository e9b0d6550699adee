/* SPDX-License-Identifier: MIT */
/* main.c: the runner library's entry, qgc_runner_main (see runner.h).
 *
 * The supervisor execs the interpreter in the child it forked, with the
 * host preloaded, which calls this entry instead of Python's main
 * (common/host.h): the app inherits nothing of the supervisor but the
 * findings channel's descriptor (mapped and closed at once) and its
 * standard streams. Its command line is private to qgc-check:
 * common/runner-args.h writes and reads it.
 */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/host.h"
#include "common/runner-args.h"
#include "runner/runner.h"

__attribute__ ((visibility ("default"))) int
qgc_runner_main (int argc, char **argv)
{
        /* The host's type for this entry, checked here. */
        host_runner_entry self = qgc_runner_main;
        (void) self;
        /* Built against one interpreter's headers (its frame and thread
         * state layout), loaded into whichever python3 the venv has now:
         * the same minor version, and the same build (free-threaded or
         * not), or nothing. */
        const char *running = Py_GetVersion ();
        char built[32];
        snprintf (built, sizeof built, "%d.%d", PY_MAJOR_VERSION, PY_MINOR_VERSION);
        size_t n = strlen (built);
        bool free_threaded = strstr (running, "free-threading") != NULL;
#ifdef Py_GIL_DISABLED
        bool built_free_threaded = true;
#else
        bool built_free_threaded = false;
#endif
        if (strncmp (running, built, n) != 0 || (running[n] != '.' && running[n] != ' ' && running[n] != '\0') ||
            free_threaded != built_free_threaded) {
                fprintf (stderr, "qgc-check: its runner for Python %s%s cannot run in %s, which is Python %.*s%s: "
                                 "the venv's interpreter changed since qgc-check was installed; pip install "
                                 "qgc-check into the venv again (or recreate the venv)\n",
                         built, built_free_threaded ? " (free-threaded)" : "", argc > 0 ? argv[0] : "python3",
                         (int) strcspn (running, " "), running, free_threaded ? " (free-threaded)" : "");
                return 3;
        }
        struct runner_args args;
        char error[256];
        if (runner_args_parse (&args, argc, argv, error, sizeof error) != RUNNER_ARGS_OK) {
                fprintf (stderr, "qgc-check-runner: %s; it is started by qgc-check, not by hand\n", error);
                return 2;
        }
        /* A child exec'd by a relative path: sys.executable is absolute,
         * as python makes it, so that the child's own children find it. */
        char cwd[4096], absolute[8192];
        const char *relative = args.python_executable;
        while (relative[0] == '.' && relative[1] == '/')
                relative += 2;
        if (args.child && relative[0] != '/' && getcwd (cwd, sizeof cwd) &&
            (size_t) snprintf (absolute, sizeof absolute, "%s/%s", cwd, relative) < sizeof absolute)
                args.python_executable = absolute;
        /* A child of the run has its own channel, a file the supervisor
         * finds in the run's follow directory. */
        struct runner_config rc = {
                .args = &args,
                .channel = args.child ? channel_create_file (args.follow_dir) : channel_attach (args.channel_fd),
        };
        if (!rc.channel && args.child) {
                fprintf (stderr, "qgc-check-runner: cannot make the findings channel of a child process in "
                                 "'%s': %s; the run's directory is gone or full\n",
                         args.follow_dir, strerror (errno));
                return 127;
        }
        if (!rc.channel) {
                fprintf (stderr, "qgc-check-runner: cannot map the findings channel (descriptor %d): %s; "
                                 "reinstall qgc-check (its two programs must come from one build)\n",
                         args.channel_fd, strerror (errno));
                return 127;
        }
        runner_main (&rc);
}
