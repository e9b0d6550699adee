/* SPDX-License-Identifier: MIT */
/* Unit tests of the probe's object table (src/probe/object-table.h). */
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <setjmp.h>
#include <vector>

extern "C" {
#include <cmocka.h>
}

#include "probe/object-table.h"

namespace {

struct Obj {
        int pad[4];
};

struct Info {
        int value;
};

using Table = qgc::ObjectTable<Obj, Info>;

void
test_insert_find_take (void **)
{
        Table t;
        std::vector<Obj> objs (5000);
        for (size_t i = 0; i < objs.size (); i++)
                t.insert (&objs[i], Info { (int) i });
        assert_int_equal (t.size (), objs.size ());
        for (size_t i = 0; i < objs.size (); i++) {
                Info *info = t.find (&objs[i]);
                assert_non_null (info);
                assert_int_equal (info->value, (int) i);
        }
        Info out {};
        for (size_t i = 0; i < objs.size (); i += 2)
                assert_true (t.take (&objs[i], &out));
        assert_int_equal (t.size (), objs.size () / 2);
        for (size_t i = 0; i < objs.size (); i++)
                assert_true ((t.find (&objs[i]) != nullptr) == (i % 2 == 1));
        assert_false (t.take (&objs[0], &out)); /* already gone */
}

/* An address freed and reused by a new object: the new entry is found, with
 * its own information, never the dead one's. */
void
test_reused_address (void **)
{
        Table t;
        Obj a;
        t.insert (&a, Info { 1 });
        Info out {};
        assert_true (t.take (&a, &out));
        assert_int_equal (out.value, 1);
        assert_null (t.find (&a));
        t.insert (&a, Info { 2 });
        assert_int_equal (t.find (&a)->value, 2);
        assert_int_equal (t.size (), 1);
}

/* Churn: millions of insert/take pairs over a small live set must not grow
 * the table without bound (tombstones are reclaimed when it is rebuilt). */
void
test_churn_keeps_table_small (void **)
{
        Table t;
        std::vector<Obj> objs (64);
        Info out {};
        for (int round = 0; round < 200000; round++) {
                Obj *o = &objs[round % objs.size ()];
                t.insert (o, Info { round });
                assert_true (t.take (o, &out));
                assert_int_equal (out.value, round);
        }
        assert_int_equal (t.size (), 0);
        size_t visited = 0;
        t.for_each ([&] (Obj *, Info &) { visited++; });
        assert_int_equal (visited, 0);
}

/* Random inserts and takes over a pool of addresses (clusters, wrap-around
 * at the table's end, slots emptied behind tombstones): the table always
 * agrees with a reference map, entry for entry. */
void
test_random_against_a_reference (void **)
{
        Table t;
        std::vector<Obj> objs (3000);
        std::map<Obj *, int> reference;
        std::mt19937 random (12345);
        Info out {};
        for (int step = 0; step < 400000; step++) {
                Obj *o = &objs[random () % objs.size ()];
                if (random () % 2) {
                        t.insert (o, Info { step });
                        reference[o] = step;
                } else {
                        bool had = reference.erase (o) > 0;
                        assert_int_equal (t.take (o, &out), had);
                }
                if (step % 9973 == 0) {
                        for (Obj &each : objs) {
                                Info *info = t.find (&each);
                                auto r = reference.find (&each);
                                assert_int_equal (info != nullptr, r != reference.end ());
                                if (info)
                                        assert_int_equal (info->value, r->second);
                        }
                }
        }
        assert_int_equal (t.size (), reference.size ());
}

/* The hooks' calls: insert (key) hands back the entry to fill in place,
 * the one already there for a key present; take (key, fn) shows fn the
 * entry before it goes, and nothing for a key not there. */
void
test_fill_in_place_and_take_through_a_callback (void **)
{
        Table t;
        std::vector<Obj> objs (2000);
        for (size_t i = 0; i < objs.size (); i++)
                t.insert (&objs[i])->value = (int) i;
        Info *again = t.insert (&objs[7]);
        assert_int_equal (again->value, 7);
        assert_int_equal (t.size (), objs.size ());
        for (size_t i = 0; i < objs.size (); i++) {
                int seen = -1;
                assert_true (t.take (&objs[i], [&] (const Info &info) { seen = info.value; }));
                assert_int_equal (seen, (int) i);
                assert_null (t.find (&objs[i]));
        }
        int calls = 0;
        assert_false (t.take (&objs[0], [&] (const Info &) { calls++; }));
        assert_int_equal (calls, 0);
        assert_int_equal (t.size (), 0);
}

} // namespace

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (test_insert_find_take),
                cmocka_unit_test (test_reused_address),
                cmocka_unit_test (test_churn_keeps_table_small),
                cmocka_unit_test (test_random_against_a_reference),
                cmocka_unit_test (test_fill_in_place_and_take_through_a_callback),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
