/* SPDX-License-Identifier: MIT */
/* objects.cpp: the object table and the threads' young objects (see
 * objects.h). */
#include "config.h"

#include <QtCore/QObject>

#include <vector>

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "names.h"
#include "objects.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

Objects objects;

namespace {

/* Under the lock: every list given out, and those given back by threads
 * that exited, for the next new thread. */
std::vector<Young *> lists;
std::vector<Young *> free_lists;
/* The list of the threads past their exit handler, together. */
Young *exited;
/* membarrier(2) serves settles: the hooks may work on their lists
 * without the lock. Set once, before any hook runs. */
bool asymmetric;

long
membarrier (int cmd)
{
        return syscall (__NR_membarrier, cmd, 0, 0);
}

/* Under the lock: the list's objects join the table and their creator's
 * naming list; the list is empty after. */
void
settle (Young &y)
{
        for (unsigned i = 0; i < y.used; i++) {
                QObject *obj = y.keys[i];
                if (!obj)
                        continue;
                objects.table.insert (obj, y.infos[i]);
                names_pending_add (y.infos[i].creator, obj, y.infos[i].created_at.frame != nullptr);
        }
        y.set_in_use (0);
}

/* Under the lock: a list for a thread, given back by one that exited or
 * new. */
Young *
new_list ()
{
        if (!free_lists.empty ()) {
                Young *y = free_lists.back ();
                free_lists.pop_back ();
                return y;
        }
        Young *y = new Young {};
        lists.push_back (y);
        return y;
}

/* Under the lock: waits until list y's owner is out of it (it is inside
 * for a few instructions, unless it was preempted there). */
void
wait_out (Young &y)
{
        for (unsigned spins = 0; __atomic_load_n (&y.busy, __ATOMIC_ACQUIRE); spins++) {
                if (spins < 100)
                        cpu_relax ();
                else
                        sched_yield ();
        }
}

} // namespace

void
young_start ()
{
        /* The hooks take the lock until this says they need not. */
        hot.settling = true;
        long cmds = membarrier (MEMBARRIER_CMD_QUERY);
        asymmetric = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
                     membarrier (MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
        if (asymmetric)
                __atomic_store_n (&hot.settling, false, __ATOMIC_RELEASE);
}

void
young_forked ()
{
        /* A thread of the parent may have been inside its list at fork():
         * from now on every hook takes the lock, and a settle waits for
         * nobody. */
        asymmetric = false;
        hot.settling = true;
}

__attribute__ ((noinline)) bool
young_settle ()
{
        /* A list that holds an object the caller may look for shows it
         * here: its owner added the object before the caller could know
         * of it. The caller's own list needs no announcement. */
        Young *mine = this_thread ().young;
        bool others = false, any = false;
        for (Young *y : lists) {
                if (y->in_use ()) {
                        any = true;
                        others |= y != mine;
                }
        }
        if (!any)
                return false;
        bool announce = others && asymmetric;
        if (announce) {
                /* Registered at start (young_start): the call has no
                 * documented way left to fail. */
                __atomic_store_n (&hot.settling, true, __ATOMIC_RELAXED);
                membarrier (MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        }
        for (Young *y : lists) {
                if (y != mine && asymmetric) {
                        /* Not announced: its owner may be in it. */
                        if (!announce)
                                continue;
                        wait_out (*y);
                }
                if (y->used)
                        settle (*y);
        }
        if (announce)
                __atomic_store_n (&hot.settling, false, __ATOMIC_RELEASE);
        return true;
}

__attribute__ ((noinline)) unsigned
young_scan (const Young &y, const QObject *obj)
{
        for (unsigned i = y.used; i-- > 0;)
                if (y.keys[i] == obj)
                        return i;
        return Young::capacity;
}

__attribute__ ((noinline)) ObjectInfo &
young_add_slow (PerThread &me, QObject *obj)
{
        Young *y = me.young;
        if (me.young_done) {
                /* Past the thread's exit handler (another thread-local's
                 * destructor destroys and makes objects): the shared
                 * list, which the thread does not look in as objects
                 * die (they are found by a settle). */
                if (!exited)
                        exited = new_list ();
                y = exited;
        } else if (!y) {
                y = me.young = new_list ();
        }
        if (y->used == Young::capacity)
                settle (*y);
        return young_push (*y, obj);
}

void
young_thread_exit (PerThread &me)
{
        me.young_done = true;
        if (!me.young)
                return;
        settle (*me.young);
        free_lists.push_back (me.young);
        me.young = nullptr;
}

} // namespace qgc::probe
