/* SPDX-License-Identifier: MIT */
/* runner.h: the child process that embeds CPython and runs the script.
 *
 * Started by the supervisor after fork(). It initialises the interpreter
 * the way `python3 SCRIPT ARGS` would, loads the probe when the script's
 * binding loads its QtCore, starts the stress workers when the application
 * exists, and records everything in the channel. It never writes reports.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/channel.h"
#include "common/runner-args.h"

struct runner_config {
        const struct runner_args *args; /* its command line, as the supervisor wrote it */
        struct channel *channel;        /* attached to args->channel_fd */
};

/* Never returns: the process exits with the script's status. */
_Noreturn void runner_main (const struct runner_config *config);

/* True in a process forked from the runner (multiprocessing's "fork",
 * os.fork): it must not record into the channel, which is the parent's. */
bool runner_detached (void);
