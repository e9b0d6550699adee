/* crash.h: what the runner leaves behind when the app crashes or hangs.
 *
 * Signal handlers in the runner write, into the channel's dump area, the
 * Python traceback of every thread and the native frames (libunwind) of
 * the crashing thread, or on a hang request of every thread, each marked
 * with whether it holds the GIL. They use no file descriptor the script
 * could have closed: a fresh memfd is made at dump time.
 */
#pragma once

#include "channel.h"

/* The signal the supervisor sends to the runner to ask for a hang dump. */
int crash_dump_signal (void);

/* Installs the handlers. Main thread, after the interpreter started. */
void crash_install (struct channel *ch);
