/* SPDX-License-Identifier: MIT */
/* Unit tests of the probe's re-entry guard (src/probe/guard.h). */
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <setjmp.h>

extern "C" {
#include <cmocka.h>
}

#include "probe/guard.h"

using qgc::probe::PerThread;
using qgc::probe::ProbeGuard;

namespace {

/* What a hook does: its own work only when entered. */
int
hook (PerThread &me, int depth)
{
        ProbeGuard guard (me);
        if (!guard.entered ())
                return 0;
        /* Work of the probe's own that sets off the hook again. */
        return 1 + (depth > 0 ? hook (me, depth - 1) : 0);
}

void
test_outermost_enters_and_clears (void **)
{
        PerThread me {};
        {
                ProbeGuard guard (me);
                assert_true (guard.entered ());
                assert_true (me.in_hook);
        }
        assert_false (me.in_hook);
}

/* Re-entered: the inner guard does nothing and leaves the flag set for
 * the rest of the outer one. */
void
test_nested_is_skipped (void **)
{
        PerThread me {};
        {
                ProbeGuard outer (me);
                {
                        ProbeGuard inner (me);
                        assert_false (inner.entered ());
                        assert_true (me.in_hook);
                }
                assert_true (me.in_hook);
        }
        assert_false (me.in_hook);
        assert_int_equal (hook (me, 3), 1);
        assert_false (me.in_hook);
}

/* Per thread: each thread's block is its own, and a guard touches only the
 * block it was given. */
void
test_blocks_are_independent (void **)
{
        PerThread a {}, b {};
        ProbeGuard in_a (a);
        assert_true (a.in_hook);
        assert_false (b.in_hook);
        {
                ProbeGuard in_b (b);
                assert_true (in_b.entered ());
        }
        assert_false (b.in_hook);
        assert_true (a.in_hook);
}

} // namespace

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (test_outermost_enters_and_clears),
                cmocka_unit_test (test_nested_is_skipped),
                cmocka_unit_test (test_blocks_are_independent),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
