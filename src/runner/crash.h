/* SPDX-License-Identifier: MIT */
/* crash.h: what the runner leaves behind when the app crashes or hangs.
 *
 * Signal handlers in the runner write, into the channel's dump area, the
 * Python traceback of every thread and the native frames (libunwind) of
 * the crashing thread, or on a hang request of every thread, each marked
 * with whether it holds the GIL. They use no file descriptor the script
 * could have closed: a fresh memfd is made at dump time.
 *
 * The handlers make system calls only, never malloc: a crash inside the
 * allocator (heap corruption) still gets its report. The dump's format
 * (a section per thread, then the Python tracebacks) is in
 * common/dump-format.h.
 *
 * Like CPython's faulthandler, the crash handler passes the crash on once
 * the dump is written: the action it replaced (faulthandler itself under
 * PYTHONFAULTHANDLER=1, or SIG_DFL) is put back and the signal raised
 * again, so that it still runs and the process dies of the signal.
 */
#pragma once

#include <setjmp.h>

#include "common/channel.h"

/* Installs the handlers. Main thread, after the interpreter started and
 * unwind_init (the handlers unwind too, and must take no lock). */
void crash_install (struct channel *ch);

/* Gives the calling thread its own alternate signal stack (mmap, once per
 * thread, freed at thread exit), so that a stack overflow in that thread
 * is still reported. Cheap after the first call: call it whenever a thread
 * first runs our code (a hook, a Python thread's start). */
void crash_thread_init (void);

/* Marks the calling thread's next reads as allowed to fault: until it
 * passes NULL, a SIGSEGV or SIGBUS in this thread resumes at guard
 * (sigsetjmp'd by the caller, signal mask saved) instead of being a crash
 * (neither reported nor passed on), and is counted (stats.guarded_faults).
 * For reading an object another thread may be destroying: no lock may be
 * taken between the two calls. */
void crash_guard_reads (sigjmp_buf *guard);

/* Before the process leaves by itself (the runner's end after the
 * interpreter finalized, the script's os._exit()): a dump that another
 * thread is writing right now (a crash: a daemon thread that the
 * finalizing interpreter ends inside a C++ destructor aborts, for one) is
 * finished first, at most 5 s, so that leaving does not cut it short. The
 * crashing thread then ends the process with its signal. */
void crash_let_dump_finish (void);

/* In a child forked from the runner, so that the child's crash stays the
 * child's: for the crash signals the actions ours replaced (where ours is
 * still the current one; one it reaches passes the crash on without a
 * dump), for the dump and thread signals the default action.
 * Async-signal-safe (for a pthread_atfork child handler). */
void crash_forked_child (void);

/* In that child, once it has a channel of its own (a fork of a checked
 * process that had not loaded Qt: channel_fork_file): its crashes are
 * reported again, into the same channel address. */
void crash_forked_checked (void);
