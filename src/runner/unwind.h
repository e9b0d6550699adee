/* SPDX-License-Identifier: MIT */
/* unwind.h: the native stack of a finding, taken inside a Qt hook.
 *
 * libunwind's return addresses of the calling thread, raw: they are named
 * later, outside the hook (runner.c). Taken in whatever thread destroys a
 * QObject, so it takes no lock and survives a corrupt stack.
 */
#pragma once

#include <stdint.h>

/* Makes libunwind keep a cache per thread instead of one global cache
 * behind a mutex with signals blocked: then no unwinding in this process
 * takes a lock, neither a hook's (unwind_native_frames) nor a crash
 * handler's, which may have interrupted a thread holding that mutex.
 * Once, before the first unwind (the main thread, before crash_install). */
void unwind_init (void);

/* The calling thread's return addresses, innermost first (at most max,
 * itself at most 64). A fault while reading a corrupt stack gives 0 frames
 * instead of a crash (crash_guard_reads). Returns how many. */
int unwind_native_frames (uint64_t *out, int max);
