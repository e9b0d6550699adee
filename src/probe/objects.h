/* SPDX-License-Identifier: MIT */
/* objects.h: every live QObject the probe knows, and what it knows of it:
 * the object table, and each thread's newest objects, kept apart from the
 * table until something looks at them.
 *
 * Most QObjects die in the thread that made them, soon after, before that
 * thread's next naming (a parent with its children, a temporary timer):
 * such an object never needs a hash-table entry, a place in a naming list,
 * or a name. The add hook puts a new object at the end of its thread's
 * young list (32 slots), the remove hook looks there first (where a hint
 * per address hash says, else through the list). Everything else sees the young objects as if they were in
 * the table: before it reads the table, every thread's young objects move
 * there and into their naming lists (young_settle), which costs one test
 * when there are none. Under the probe's lock, like the table; a list is
 * written by its own thread's hooks and, in a settle, by whoever holds
 * the lock.
 */
#pragma once

#include <QtCore/QObject>

#include "object-table.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

struct Young {
        static constexpr unsigned capacity = 32;
        /* Slots in use: [0, used); a slot whose object died is null until
         * the slots above it are free too. */
        unsigned used;
        /* Where an object is likely to be: the slot last given to an
         * object of the same hash (objects die in no set order: a
         * parent's children in the order they were made, the parent
         * after them). */
        uint8_t hint[64];
        QObject *keys[capacity];
        ObjectInfo infos[capacity];

        static unsigned hash (const QObject *obj)
        {
                return (unsigned) ((reinterpret_cast<uintptr_t> (obj) >> 4) * 0x9e3779b97f4a7c15ull >> 58);
        }
};

/* Under the lock: every thread's young objects go into the table and into
 * their creators' naming lists. */
void young_settle_all ();
inline void
young_settle ()
{
        if (__builtin_expect (hot.young_waiting != 0, 0))
                young_settle_all ();
}

/* The table, under the lock. find() sees the young objects too (they
 * settle first); the hooks and the settle itself use `table`. */
struct Objects {
        qgc::ObjectTable<QObject, ObjectInfo> table;

        ObjectInfo *find (QObject *obj)
        {
                young_settle ();
                return table.find (obj);
        }
};
extern Objects objects;

/* young_add's parts: a new object's slot at the end of a list that has
 * room, and, out of line, the list for a thread that has none or whose
 * list is full (settled first). */
inline ObjectInfo &
young_push (Young &y, QObject *obj)
{
        unsigned i = y.used++;
        y.keys[i] = obj;
        y.hint[Young::hash (obj)] = (uint8_t) i;
        hot.young_waiting++;
        return y.infos[i];
}
ObjectInfo &young_add_slow (PerThread &me, QObject *obj);

/* The add hook, under the lock: the entry of a new object of the calling
 * thread, to be filled in by the caller. The first object of a thread
 * gives it its list; a full list is settled first. */
inline ObjectInfo &
young_add (PerThread &me, QObject *obj)
{
        Young *y = me.young;
        if (__builtin_expect (!y || y->used == Young::capacity, 0))
                return young_add_slow (me, obj);
        return young_push (*y, obj);
}

/* young_take's parts: the scan, out of line, for an object not where its
 * hint says (another of the same hash came after it) or not in the list
 * at all (then it returns Young::capacity); and a slot's release. */
unsigned young_scan (const Young &y, const QObject *obj);
inline void
young_remove (Young &y, unsigned i)
{
        y.keys[i] = nullptr;
        hot.young_waiting--;
        if (i + 1 == y.used) {
                while (i > 0 && y.keys[i - 1] == nullptr)
                        i--;
                y.used = i;
        }
}

/* The remove hook, under the lock: takes obj out of the calling thread's
 * young list, its entry copied into *out if out is not null. False if it
 * is not there (it is in the table, or in another thread's list). */
inline bool
young_take (PerThread &me, QObject *obj, ObjectInfo *out)
{
        Young *y = me.young;
        if (!y)
                return false;
        unsigned i = y->hint[Young::hash (obj)];
        if (__builtin_expect (i >= y->used || y->keys[i] != obj, 0)) {
                i = young_scan (*y, obj);
                if (i == Young::capacity)
                        return false;
        }
        if (out)
                *out = y->infos[i];
        young_remove (*y, i);
        return true;
}

/* Under the lock, as the calling thread exits: its young objects settle,
 * its list is given back for a later thread, and what it makes from now
 * on (another thread-local's destructor may) waits in a list shared by
 * exited threads, which only a settle empties. */
void young_thread_exit (PerThread &me);

} // namespace qgc::probe
