/* SPDX-License-Identifier: MIT */
/* objects.cpp: the object table and the threads' young objects (see
 * objects.h). */
#include "config.h"

#include <QtCore/QObject>

#include <vector>

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

/* Under the lock: the list's objects join the table and their creator's
 * naming list; the list is empty after. */
void
settle (Young &y)
{
        for (unsigned i = 0; i < y.used; i++) {
                QObject *obj = y.keys[i];
                if (!obj)
                        continue;
                hot.young_waiting--;
                objects.table.insert (obj, y.infos[i]);
                names_pending_add (y.infos[i].creator, obj, y.infos[i].created_at.frame != nullptr);
        }
        y.used = 0;
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

} // namespace

__attribute__ ((noinline)) void
young_settle_all ()
{
        for (Young *y : lists)
                if (y->used)
                        settle (*y);
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
