/* diagnosis.h: reading the stacks the runner's handlers leave (format in common/dump-format.h).
 *
 * Pure text processing, for the supervisor: whether a crash or a hang is
 * qgc-check's own fault rather than the app's.
 */
#pragma once

#include <stdbool.h>

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
