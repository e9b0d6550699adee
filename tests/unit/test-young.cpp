/* SPDX-License-Identifier: MIT */
/* Unit tests of the threads' young objects and the object table together
 * (src/probe/objects.h): whatever order objects die in, whichever thread
 * looks, an object is found exactly once, in the young list of its
 * thread or in the table, with what was recorded of it, and every object
 * that lives long enough to be looked at waits to be named once. */
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <setjmp.h>
#include <thread>
#include <vector>

extern "C" {
#include <cmocka.h>
}

#include "probe/objects.h"

namespace qgc::probe {

/* The hooks' shared state (hooks.cpp defines it in the probe), and each
 * thread's block, which the runner keeps in the probe (this_thread ()). */
Hot hot;
__thread PerThread thread_block;

/* What the settle hands to the names module: creator, object, whether
 * Python made it. */
struct Named {
        pid_t creator;
        bool by_python;
};
std::multimap<QObject *, Named> named;

void
names_pending_add (pid_t creator, QObject *obj, bool by_python)
{
        named.emplace (obj, Named { creator, by_python });
}

} // namespace qgc::probe

using namespace qgc::probe;

namespace {

/* Addresses that are never dereferenced: the lists and the table only
 * compare and hash them. */
alignas (64) char arena[1 << 20];

QObject *
at (size_t i)
{
        return reinterpret_cast<QObject *> (arena + 16 * (i + 1));
}

void
record (PerThread &me, QObject *obj, uint32_t stack, bool by_python)
{
        ObjectInfo &info = young_add_locked (me, obj);
        info = ObjectInfo {};
        info.creation_stack = stack;
        info.creator = me.tid;
        info.created_at.frame = by_python ? obj : nullptr;
}

/* As destruction_forget looks: the thread's own list, else the table,
 * else (another thread's young object) after a settle. */
bool
forget (PerThread &me, QObject *obj, ObjectInfo *out)
{
        if (me.young && young_take (*me.young, obj, out))
                return true;
        auto copy = [out] (const ObjectInfo &info) {
                if (out)
                        *out = info;
        };
        if (objects.table.take (obj, copy))
                return true;
        young_settle ();
        return objects.table.take (obj, copy);
}

void
reset ()
{
        young_settle ();
        named.clear ();
}

/* A parent and its children die in every order: each is found with its
 * own entry, and nothing is left or named. */
void
test_any_order_of_death (void **)
{
        std::mt19937 rng (1);
        PerThread me {};
        me.tid = 100;
        for (int round = 0; round < 2000; round++) {
                size_t n = 1 + rng () % 20;
                std::vector<size_t> order;
                for (size_t i = 0; i < n; i++) {
                        record (me, at (i + round % 7), 1000 + (uint32_t) i, i % 2);
                        order.push_back (i);
                }
                std::shuffle (order.begin (), order.end (), rng);
                for (size_t i : order) {
                        ObjectInfo info {};
                        assert_true (forget (me, at (i + round % 7), &info));
                        assert_int_equal (info.creation_stack, 1000 + i);
                        assert_int_equal (info.creator, 100);
                }
                assert_false (young_settle ());
                assert_int_equal (me.young->used, 0);
        }
        assert_int_equal (objects.table.size (), 0);
        assert_true (named.empty ());
        reset ();
}

/* Objects of one hash: the hint names the last, the others are found by
 * the scan. */
void
test_same_hash (void **)
{
        PerThread me {};
        me.tid = 101;
        std::vector<QObject *> same;
        unsigned h = Young::hash (at (0));
        for (size_t i = 0; same.size () < 5; i++)
                if (Young::hash (at (i)) == h)
                        same.push_back (at (i));
        for (size_t i = 0; i < same.size (); i++)
                record (me, same[i], (uint32_t) i, false);
        for (size_t i = 0; i < same.size (); i++) {
                ObjectInfo info {};
                assert_true (young_take (*me.young, same[i], &info));
                assert_int_equal (info.creation_stack, i);
                assert_false (young_take (*me.young, same[i], nullptr));
        }
        assert_false (young_settle ());
        reset ();
}

/* More objects alive than a list holds: the older ones join the table and
 * wait to be named, each once, with its creator; all are still found. */
void
test_full_list_settles (void **)
{
        PerThread me {};
        me.tid = 102;
        size_t n = 3 * Young::capacity + 5;
        for (size_t i = 0; i < n; i++)
                record (me, at (i), (uint32_t) i, i % 3 == 0);
        assert_int_equal (objects.table.size () + me.young->used, n);
        assert_true (objects.table.size () >= 3 * Young::capacity);
        assert_int_equal (named.size (), objects.table.size ());
        for (auto &nm : named) {
                assert_int_equal (nm.second.creator, 102);
                assert_int_equal (named.count (nm.first), 1);
        }
        for (size_t i = 0; i < n; i++) {
                ObjectInfo info {};
                assert_true (forget (me, at (i), &info));
                assert_int_equal (info.creation_stack, i);
                assert_int_equal (info.created_at.frame != nullptr, i % 3 == 0);
        }
        assert_int_equal (objects.table.size (), 0);
        assert_false (young_settle ());
        reset ();
}

/* A thread destroys another's young object (off its thread, or moved to
 * it): not in its own list, found after a settle; the other thread's
 * remaining objects wait to be named, and it finds them in the table. */
void
test_other_thread (void **)
{
        PerThread a {}, b {};
        a.tid = 103;
        b.tid = 104;
        for (size_t i = 0; i < 6; i++)
                record (a, at (i), (uint32_t) i, true);
        record (b, at (50), 50, true);
        ObjectInfo info {};
        assert_false (young_take (*b.young, at (3), &info));
        assert_true (forget (b, at (3), &info));
        assert_int_equal (info.creation_stack, 3);
        assert_int_equal (info.creator, 103);
        assert_false (young_settle ());
        /* All of a's were alive at the settle, at (3) too, and b's. */
        assert_int_equal (named.size (), 7);
        assert_int_equal (named.count (at (3)), 1);
        for (size_t i : { 0, 1, 2, 4, 5 }) {
                assert_true (forget (a, at (i), &info));
                assert_int_equal (info.creation_stack, i);
        }
        assert_true (forget (b, at (50), &info));
        assert_int_equal (objects.table.size (), 0);
        reset ();
}

/* find() sees young objects (they settle first), and an entry changed
 * through it is the one the remove hook gets. */
void
test_find_sees_young (void **)
{
        PerThread me {};
        me.tid = 105;
        record (me, at (7), 7, false);
        ObjectInfo *info = objects.find (at (7));
        assert_non_null (info);
        assert_int_equal (info->creation_stack, 7);
        info->qt_class = "QTimer";
        assert_null (objects.find (at (8)));
        ObjectInfo out {};
        assert_true (forget (me, at (7), &out));
        assert_string_equal (out.qt_class, "QTimer");
        assert_null (objects.find (at (7)));
        reset ();
}

/* A thread that exits: its objects settle, its list goes to the next
 * thread, and what it makes after its exit handler is still found. */
void
test_thread_exit (void **)
{
        PerThread a {};
        a.tid = 106;
        record (a, at (1), 1, false);
        young_thread_exit (a);
        assert_null (a.young);
        assert_false (young_settle ());
        assert_int_equal (named.count (at (1)), 1);
        record (a, at (2), 2, false); /* a thread-local's destructor */
        ObjectInfo info {};
        assert_true (forget (a, at (2), &info));
        assert_int_equal (info.creation_stack, 2);
        assert_true (forget (a, at (1), &info));
        /* The next thread to exit gives its list to the next new one. */
        PerThread b {}, c {};
        b.tid = 107;
        c.tid = 108;
        record (b, at (3), 3, false);
        Young *list = b.young;
        young_thread_exit (b);
        record (c, at (4), 4, false);
        assert_ptr_equal (c.young, list);
        assert_true (forget (b, at (3), &info));
        assert_true (forget (c, at (4), &info));
        assert_int_equal (info.creation_stack, 4);
        assert_int_equal (objects.table.size (), 0);
        reset ();
}

/* Threads make and destroy their objects, some destroyed by another
 * thread, while a settler moves the young lists into the table over and
 * over: every object is found exactly once, by its own thread without
 * the lock or by anyone under it, with what its creator recorded, and
 * nothing is left. The hooks' way of working on their lists without the
 * lock (objects.h) is what is under test: skipped where membarrier(2)
 * cannot serve it. */
constexpr int workers = 3;
constexpr size_t per_worker = 20000;
std::atomic<int> lost, wrong, running;
std::mutex handed_lock;
std::vector<std::pair<QObject *, uint32_t>> handed;

/* As destruction_forget: the thread's own list without the lock, else
 * under it the table, else (another thread's young object) after a
 * settle; false if the object is nowhere. */
bool
forget_as_hook (PerThread &me, QObject *obj, uint32_t stack)
{
        Taken taken = young_take_own (me, obj);
        if (taken == Taken::yes)
                return true;
        std::lock_guard<ProbeLock> guard (hot.lock);
        ObjectInfo info {};
        bool found = taken == Taken::not_looked && me.young && young_take (*me.young, obj, &info);
        auto copy = [&info] (const ObjectInfo &i) { info = i; };
        if (!found)
                found = objects.table.take (obj, copy) || (young_settle () && objects.table.take (obj, copy));
        if (found && info.creation_stack != stack)
                wrong++;
        return found;
}

void
worker (int w)
{
        PerThread &me = this_thread ();
        me.tid = 200 + w;
        std::mt19937 rng (w);
        size_t base = w * per_worker, next = 0;
        for (int round = 0; round < 3000; round++) {
                std::vector<std::pair<QObject *, uint32_t>> made;
                size_t n = 1 + rng () % 40;
                for (size_t i = 0; i < n; i++, next++) {
                        QObject *obj = at (base + next % per_worker);
                        uint32_t stack = (uint32_t) (base + next);
                        young_add (me, obj, [&] (ObjectInfo &info) {
                                info = ObjectInfo {};
                                info.creation_stack = stack;
                                info.creator = me.tid;
                        });
                        made.emplace_back (obj, stack);
                }
                std::shuffle (made.begin (), made.end (), rng);
                for (auto &m : made) {
                        if (rng () % 8 == 0) {
                                std::lock_guard<std::mutex> g (handed_lock);
                                handed.push_back (m);
                                continue;
                        }
                        if (!forget_as_hook (me, m.first, m.second))
                                lost++;
                }
                /* Whatever the others handed over dies here, before its
                 * address can come round again. */
                std::vector<std::pair<QObject *, uint32_t>> theirs;
                {
                        std::lock_guard<std::mutex> g (handed_lock);
                        theirs.swap (handed);
                }
                for (auto &m : theirs)
                        if (!forget_as_hook (me, m.first, m.second))
                                lost++;
        }
        std::lock_guard<ProbeLock> guard (hot.lock);
        young_thread_exit (me);
        running--;
}

void
test_threads_and_settles (void **)
{
        young_start ();
        if (hot.settling)
                skip ();
        running = workers;
        std::vector<std::thread> threads;
        for (int w = 0; w < workers; w++)
                threads.emplace_back (worker, w);
        unsigned settles = 0;
        while (running > 0) {
                std::lock_guard<ProbeLock> guard (hot.lock);
                settles += young_settle ();
        }
        for (auto &t : threads)
                t.join ();
        PerThread &me = this_thread ();
        for (auto &m : handed)
                if (!forget_as_hook (me, m.first, m.second))
                        lost++;
        handed.clear ();
        assert_int_equal (lost, 0);
        assert_int_equal (wrong, 0);
        assert_true (settles > 0);
        assert_false (young_settle ());
        assert_int_equal (objects.table.size (), 0);
        named.clear ();
}

} // namespace

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (test_any_order_of_death), cmocka_unit_test (test_same_hash),
                cmocka_unit_test (test_full_list_settles),  cmocka_unit_test (test_other_thread),
                cmocka_unit_test (test_find_sees_young),    cmocka_unit_test (test_thread_exit),
                cmocka_unit_test (test_threads_and_settles),
        };
        hot.thread_block_offset = reinterpret_cast<char *> (&thread_block) -
                                  static_cast<char *> (__builtin_thread_pointer ());
        return cmocka_run_group_tests (tests, nullptr, nullptr);
}
