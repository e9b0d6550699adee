/* SPDX-License-Identifier: MIT */
/* diagnosis.h: reading the stacks the runner's handlers leave (format in common/dump-format.h).
 *
 * Text processing, for the supervisor: whether a crash or a hang is
 * qgc-check's own fault rather than the app's, what a hang's threads wait
 * for, and the dump as the reports show it.
 */
#pragma once

#include <stdbool.h>

struct channel;

/* The tool frame that faulted (hang = false: the crashing thread's frames
 * from the interrupted one outward) or that a thread is blocked in (hang =
 * true: every thread), as "FRAME (thread NAME)"; malloc'd, or NULL when the
 * tool is not to blame. Frames are followed outward across the C and C++
 * runtimes, Qt and Python's lock waits, to the first code that called
 * them: qgc-check's hooks (the probe module, the runner's host, channel
 * and crash-handler functions) make it the tool's; anything else (the app,
 * its binding, Python) does not. A fault in the allocator is heap
 * corruption found late, not attributed to its caller. A fault inside the
 * crash handler itself ("crashed=handler") is always the tool's; so is a
 * crash whose innermost Python frame is the tool's own inspection of the
 * app's objects (the at-risk analysis: a binding call made there). */
char *dump_tool_frame (const char *dump, bool hang);

/* What a hang's threads were doing, each "LABEL, waiting for WHAT" with
 * LABEL "NAME (tid N, Python thread id I)"; malloc'd. */
struct hang_diagnosis {
        char *gil_holder;  /* the thread holding the GIL, or a sentence saying none did */
        char *gui_waiting; /* what the GUI thread waits for (WHAT only) */
        char *collector;   /* the thread inside a garbage collection (collecting_tid
                            * > 0, from the channel), or NULL */
};

void dump_diagnose_hang (const char *dump, int collecting_tid, struct hang_diagnosis *out);

/* The dump as the reports show it, malloc'd: faulthandler's "Thread
 * 0x00007f..." lines and the sections' headers get the Python thread names
 * the runner recorded in ch (headers as DUMP_PYTHON_NAME), C++ names in
 * frames are demangled. */
char *dump_annotate (const char *dump, const struct channel *ch);
