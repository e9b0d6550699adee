/* SPDX-License-Identifier: MIT */
/* supervisor.h: runs the checked app in a child process and watches it.
 *
 * The supervisor is C only: it links neither Python nor Qt. It creates the
 * findings channel, forks the runner into its own process group, relays
 * the app's stderr (keeping its last lines), streams findings as live
 * events, watches the GUI heartbeat for hangs (the runner's and, unless
 * --no-follow, every checked child's: processes.h) and the duration limit,
 * forwards Ctrl-C and SIGTERM, and leaves no process of the run behind.
 * The runner's environment preloads the exec shim (src/follow) and names
 * the run's follow directory, so that its Python children are checked.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/channel.h"
#include "supervisor/report/report.h"
#include "supervisor/result.h"

struct supervisor_config {
        const struct options *opts;
        uint32_t seed;
        const char *probe_path;
        const char *runner_path;       /* the runner library (qgc-check-runner[-3.X].so) */
        const char *host_path;         /* qgc-host.so: loads it into python_executable (common/host.h) */
        const char *python_executable; /* the program exec'd: the venv's python3 */
        const char *python_version;    /* its minor version, the one the runner is built for */
        const char *follow_path;      /* the exec shim (qgc-follow.so); NULL: --no-follow */
        struct report_events *events; /* NULL: no live events */
        bool progress;                /* redraw one progress line on stderr */
};

/* Runs the script to its end. On success returns true with the channel
 * (to be read by result_build, then channel_destroy; the children's
 * findings counted in) and what happened to the child and every other
 * process of the run (sup->processes); SIGINT, SIGTERM, SIGHUP and SIGCHLD stay blocked and SIGPIPE
 * ignored, so that an interrupt after the run waits for the next one
 * rather than killing qgc-check before it writes its reports. On failure
 * returns false with a one-line message in error, no channel and no
 * descriptor left open, the signal mask and SIGPIPE as they were. */
bool supervisor_run (const struct supervisor_config *config, struct channel **channel,
                     struct supervision *sup, char *error, size_t error_size);
