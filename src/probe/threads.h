/* SPDX-License-Identifier: MIT */
/* threads.h: which thread is which. The per-thread block the hooks keep,
 * the registry of QThreads that own objects (their OS thread, name and
 * whether it has ended), and the finding of the calling thread.
 */
#pragma once

#include <QtCore/QThread>

#include <cstdint>
#include <unordered_map>

#include <sys/types.h>

#include "common/finding.h"
#include "shared.h"

namespace qgc::probe {

struct Collateral {
        uint32_t children;
        uint32_t evidence;
};

struct Young;

/* Everything the hooks keep per thread, in one block of the runner's
 * static thread-local storage (probe_host.thread_block_offset): the probe
 * is a dlopened module, where a thread-local of its own would cost a call
 * on every access. Zero in a new thread and trivially destructible: what
 * must happen as the thread exits is done by a thread-local object of the
 * probe, made once the thread registers. What every hook reads comes
 * first, so that it shares a cache line with the guard. */
struct PerThread {
        bool in_hook; /* set and put back only by ProbeGuard (guard.h) */
        bool initialised;
        bool registered;
        /* young_done once its exit handler ran (what it makes after that
         * waits in the list shared by exited threads). */
        bool young_done;
        pid_t tid;
        /* This thread's QObject counts in the channel (probe_host's
         * object_counts), once it entered a hook; null: the shared ones. */
        uint64_t *counts;
        /* This thread's newest objects (objects.h), once it made one. */
        Young *young;
        QThread *self; /* this thread's QThread, once an object made here said */
        /* Children die inside their parent's ~QObject, before the parent's
         * own hook fires: they are counted into the parent's finding
         * rather than reported one by one. Parent -> children so far. */
        std::unordered_map<QObject *, Collateral> *collateral;
        /* Qt's own warnings in ~QObject/~QTimer/~QSocketNotifier say that
         * the object dying in this thread still had timers or notifiers:
         * evidence for the next destruction hook of this thread (the
         * object itself, or a child folded into it). */
        uint32_t pending_evidence;
};
static_assert (sizeof (PerThread) <= 64, "a thread's block is one cache line");

/* The calling thread's block, to be looked up once per hook and passed
 * on: the thread pointer plus the offset the host gave (hot, shared.h),
 * the same in every thread. The empty asm hides where the address came
 * from: once the functions a hook calls are inlined into it, the compiler
 * would otherwise work it out again after every call the hook makes. */
inline PerThread &
this_thread ()
{
        PerThread *me = reinterpret_cast<PerThread *> (static_cast<char *> (__builtin_thread_pointer ()) +
                                                       hot.thread_block_offset);
        asm ("" : "+r"(me));
        return *me;
}

/* qgc_probe_start, with the QtCore in use (dlopened, RTLD_NOLOAD): looks
 * up QThread::isCurrentThread() (Qt 6.8+). */
void threads_bind_qtcore (void *qtcore);

/* qgc_probe_start, in the GUI thread: registers it as such. */
void threads_register_gui ();

/* The first hook in a thread: what the thread needs before anything else
 * (threads_first_enter, once). */
void threads_first_enter (PerThread &me);
inline void
threads_enter (PerThread &me)
{
        if (__builtin_expect (!me.initialised, 0))
                threads_first_enter (me);
}

/* The shared counts, for a thread without its own. */
__attribute__ ((cold)) void threads_count_shared (bool created);

/* One QObject made or destroyed by this thread (after threads_enter). */
inline void
threads_count_object (PerThread &me, bool created)
{
        if (__builtin_expect (!me.counts, 0)) {
                threads_count_shared (created);
                return;
        }
        uint64_t *n = me.counts + (created ? 0 : 1);
        __atomic_store_n (n, __atomic_load_n (n, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* In a hook, the first time this thread makes an object whose thread()
 * is set: remember which QThread this OS thread is, and its name. */
void threads_register (PerThread &me, QThread *thread);

/* One bit per hash of the address of each registered QThread: set under
 * the lock as a thread registers, never cleared. */
extern uint64_t thread_filter[16];
inline unsigned
threads_filter_bit (const void *p)
{
        return (unsigned) ((reinterpret_cast<uintptr_t> (p) >> 4) * 0x9e3779b97f4a7c15ull >> 54);
}

/* May obj be a registered QThread? Any thread, without the lock: a
 * QThread registers (in its own thread) before any other thread can
 * destroy it. */
inline bool
threads_maybe_registered (const QObject *obj)
{
        unsigned bit = threads_filter_bit (obj);
        return __atomic_load_n (&thread_filter[bit / 64], __ATOMIC_RELAXED) & (1ull << (bit % 64));
}

/* Under the lock, as an object dies: if it is a registered QThread, it
 * leaves the registry. */
void threads_forget (QObject *obj);

/* Is `owner` the calling thread's QThread? Never creates a QObject when
 * either side is known. */
bool threads_is_current (PerThread &me, QThread *owner);

/* Has the owner thread finished? */
bool threads_owner_finished (QThread *owner);

/* Does `owner` (not finished) run an event loop now? An enum
 * finding_loop. */
uint32_t threads_event_loop (QThread *owner);

/* The name of a thread that owns objects, as far as it is known (a
 * string id). */
uint32_t threads_name (const QThread *thread);

/* GUI thread, from its tick: names for registered threads that had none. */
void threads_name_unnamed ();

/* A finding of the calling thread: its name, its Python stack, and what
 * the collector was doing in it, which decides the cause. */
finding threads_finding_here (uint32_t kind);

} // namespace qgc::probe
