/* SPDX-License-Identifier: MIT */
/* process.h: the runner's place among the run's processes.
 *
 * Every checked process of a run has its own channel; its header says
 * which process wrote it (common/channel.h, struct channel_process), so
 * that the supervisor names each finding, crash and stat by its process.
 */
#pragma once

#include <stdbool.h>

#include "common/channel.h"

/* Records who writes ch: its origin, parent and command line (program
 * first, then args, as python's own sys.orig_argv). */
void process_identify (struct channel *ch, enum channel_origin origin, const char *program, int argc,
                       char *const *argv);

/* One more word of its command line. */
void process_identify_append (struct channel *ch, const char *word);

/* The pytest-xdist worker id this process runs as (PYTEST_XDIST_WORKER). */
void process_set_worker (struct channel *ch, const char *worker);
