/* SPDX-License-Identifier: MIT */
/* crash-text.h: a crash as the text report shows it, read from the dump
 * (common/dump-format.h) rather than printed as it is.
 *
 * First a header in words: the signal, the fault address of a SIGSEGV or
 * SIGBUS, the thread (its Python name and its native one, whether it held
 * the GIL), the process when it is not the run's main one, the pytest test
 * that was running. Then the crashing thread: its Python frames as
 * faulthandler prints them, its native frames as gdb does ("#0  0x... in
 * f () from lib.so", "?? (lib.so+0x...)" where no symbol holds the
 * address). Then whether the finding groups' classes appear in its native
 * frames, or that no QObject was seen destroyed off its thread. Then the
 * other threads that ran Python or held the GIL, one line each, and a
 * count of the rest. It fits a screen (about 60 lines); verbose prints
 * every thread and every frame. The JSON report keeps the dump itself.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "supervisor/result.h"

void report_crash_text (FILE *out, const struct run_result *r, bool verbose, const char *dim,
                        const char *reset);

/* The stacks of a hang or of a stopped run, read from its dump the same
 * way: the GUI (main) thread and the GIL's holder in full, each capped as
 * the crashing thread is, then the other threads a line each; verbose
 * prints every thread and every frame. */
void report_stacks_text (FILE *out, const char *dump, bool verbose, const char *dim, const char *reset);
