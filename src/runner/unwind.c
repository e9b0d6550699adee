/* SPDX-License-Identifier: MIT */
/* unwind.c: the native stack of a finding (see unwind.h). */
#include "config.h"

#include "runner/unwind.h"
#include "runner/crash.h"

#include <setjmp.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define MAX_FRAMES 64

void
unwind_init (void)
{
        unw_set_caching_policy (unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

int
unwind_native_frames (uint64_t *out, int max)
{
        void *frames[MAX_FRAMES];
        if (max > MAX_FRAMES)
                max = MAX_FRAMES;
        /* A corrupt stack must not turn a finding into a crash: a fault
         * while libunwind reads it comes back here as no frames. */
        sigjmp_buf guard;
        volatile int n = 0;
        if (sigsetjmp (guard, 1) != 0)
                return 0;
        crash_guard_reads (&guard);
        n = unw_backtrace (frames, max);
        crash_guard_reads (NULL);
        for (int i = 0; i < n; i++)
                out[i] = (uint64_t) (uintptr_t) frames[i];
        return n > 0 ? n : 0;
}
