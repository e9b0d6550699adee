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
 * per address hash says, else through the list). Everything else sees
 * the young objects as if they were in the table: when it does not find
 * an object there, every thread's young objects move there and into
 * their naming lists (young_settle), and it looks again.
 *
 * A thread's hooks work on its own list without the probe's lock (whose
 * compare-and-swap, a full fence, waits for the app's pending stores on
 * every QObject made and destroyed): the list's owner marks it busy, then checks that no settle is
 * under way; a settler, holding the lock, announces itself, makes every
 * thread of the process pass a full memory barrier (membarrier(2)), then
 * waits until no list it takes from is busy. Either the owner sees the
 * settle announced and takes the lock instead, or the settler sees the
 * list busy and waits: never both miss. The owner's side costs two plain
 * stores and a load; the settler's one system call, only when another
 * thread's list holds objects. Without membarrier (older kernels, some
 * sandboxes) a settle is announced for good and every hook takes the
 * lock as before.
 */
#pragma once

#include <QtCore/QObject>

#include <mutex>

#include "object-table.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

struct Young {
        static constexpr unsigned capacity = 32;
        /* Set by the owning thread while it works on the list without
         * the lock (young_enter, young_leave). */
        bool busy;
        /* Slots in use: [0, used); a slot whose object died is null until
         * the slots above it are free too. Written by the owner, or by a
         * settle while the owner is out; read by a settler before it
         * starts (relaxed atomic accesses). */
        unsigned used;
        /* Where an object is likely to be: the slot last given to an
         * object of the same hash (objects die in no set order: a
         * parent's children in the order they were made, the parent
         * after them). */
        uint8_t hint[32];
        QObject *keys[capacity];
        ObjectInfo infos[capacity];

        static unsigned hash (const QObject *obj)
        {
                return (unsigned) ((reinterpret_cast<uintptr_t> (obj) >> 4) * 0x9e3779b97f4a7c15ull >> 59);
        }
        unsigned in_use () const { return __atomic_load_n (&used, __ATOMIC_RELAXED); }
        void set_in_use (unsigned n) { __atomic_store_n (&used, n, __ATOMIC_RELAXED); }
};

/* Called once, from qgc_probe_start: whether the hooks may work on their
 * own lists without the lock (membarrier(2) is there to serve settles). */
void young_start ();

/* In a forked child, where a thread of the parent may have been inside
 * its list at fork(): from now on every hook takes the lock. */
void young_forked ();

/* The calling thread starts working on its own list without the lock:
 * false if a settle is under way (then it takes the lock instead). The
 * settler's membarrier() orders the store before the load on the
 * hardware; the empty asm statements keep the compiler from moving the
 * list's accesses out of the section. */
inline bool
young_enter (Young &y)
{
        __atomic_store_n (&y.busy, true, __ATOMIC_RELAXED);
        asm volatile ("" ::: "memory");
        if (__builtin_expect (__atomic_load_n (&hot.settling, __ATOMIC_RELAXED), 0)) {
                __atomic_store_n (&y.busy, false, __ATOMIC_RELEASE);
                return false;
        }
        asm volatile ("" ::: "memory");
        return true;
}
inline void
young_leave (Young &y)
{
        __atomic_store_n (&y.busy, false, __ATOMIC_RELEASE);
}

/* Under the lock: every thread's young objects go into the table and into
 * their creators' naming lists. False if there were none. */
bool young_settle ();

/* The table, under the lock. find() sees the young objects too (they
 * settle when it does not find one); the hooks and the settle itself use
 * `table`. */
struct Objects {
        qgc::ObjectTable<QObject, ObjectInfo> table;

        ObjectInfo *find (QObject *obj)
        {
                ObjectInfo *info = table.find (obj);
                if (__builtin_expect (!info, 0) && young_settle ())
                        info = table.find (obj);
                return info;
        }
};
extern Objects objects;

/* young_add's parts: a new object's slot at the end of a list that has
 * room (its owner in it, or under the lock), and, under the lock and out
 * of line, the list for a thread that has none or whose list is full
 * (settled first). */
inline ObjectInfo &
young_push (Young &y, QObject *obj)
{
        unsigned i = y.used;
        y.set_in_use (i + 1);
        y.keys[i] = obj;
        y.hint[Young::hash (obj)] = (uint8_t) i;
        return y.infos[i];
}
ObjectInfo &young_add_slow (PerThread &me, QObject *obj);

/* Under the lock: the entry of a new object of the calling thread, to be
 * filled in by the caller. The first object of a thread gives it its
 * list; a full list is settled first. */
inline ObjectInfo &
young_add_locked (PerThread &me, QObject *obj)
{
        Young *y = me.young;
        if (__builtin_expect (!y || y->used == Young::capacity, 0))
                return young_add_slow (me, obj);
        return young_push (*y, obj);
}

/* The add hook: a new object of the calling thread at the end of its
 * list, without the lock unless a settle is under way (or the list is
 * full, or there is none yet); fill (ObjectInfo &) fills in its entry. */
template <typename Fill>
inline void
young_add (PerThread &me, QObject *obj, Fill fill)
{
        Young *y = me.young;
        if (__builtin_expect (y && y->used < Young::capacity, 1) && young_enter (*y)) {
                fill (young_push (*y, obj));
                young_leave (*y);
                return;
        }
        std::lock_guard<ProbeLock> guard (hot.lock);
        fill (young_add_locked (me, obj));
}

/* young_take's parts: the scan, out of line, for an object not where its
 * hint says (another of the same hash came after it) or not in the list
 * at all (then it returns Young::capacity); and a slot's release. */
unsigned young_scan (const Young &y, const QObject *obj);
inline void
young_remove (Young &y, unsigned i)
{
        y.keys[i] = nullptr;
        if (i + 1 == y.used) {
                while (i > 0 && y.keys[i - 1] == nullptr)
                        i--;
                y.set_in_use (i);
        }
}

/* The remove hook (its owner in the list, or under the lock): takes obj
 * out of list y, its entry copied into *out if out is not null. False if
 * it is not there (it is in the table, or in another thread's list). */
inline bool
young_take (Young &y, QObject *obj, ObjectInfo *out)
{
        unsigned i = y.hint[Young::hash (obj)];
        if (__builtin_expect (i >= y.used || y.keys[i] != obj, 0)) {
                i = young_scan (y, obj);
                if (i == Young::capacity)
                        return false;
        }
        if (out)
                *out = y.infos[i];
        young_remove (y, i);
        return true;
}

/* The remove hook, without the lock: whether obj was in the calling
 * thread's own list (and is out of it now), unless a settle was under way
 * and it did not look. */
enum class Taken { yes, no, not_looked };
inline Taken
young_take_own (PerThread &me, QObject *obj)
{
        Young *y = me.young;
        if (__builtin_expect (!y, 0) || !young_enter (*y))
                return Taken::not_looked;
        bool taken = young_take (*y, obj, nullptr);
        young_leave (*y);
        return taken ? Taken::yes : Taken::no;
}

/* Under the lock, as the calling thread exits: its young objects settle,
 * its list is given back for a later thread, and what it makes from now
 * on (another thread-local's destructor may) waits in a list shared by
 * exited threads, which only a settle empties. */
void young_thread_exit (PerThread &me);

} // namespace qgc::probe
