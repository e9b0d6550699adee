/* SPDX-License-Identifier: MIT */
/* Unit tests of the probe's lock (src/probe/probe-lock.h). */
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <setjmp.h>
#include <thread>
#include <vector>

extern "C" {
#include <cmocka.h>
}

#include "probe/probe-lock.h"

namespace {

/* Threads adding to a plain counter under the lock, contended all the way
 * (more threads than this machine may have cores, so holders are also
 * preempted and waiters sleep): no increment is lost, and every waiter
 * gets the lock in the end. */
void
test_mutual_exclusion_under_contention (void **)
{
        qgc::probe::ProbeLock lock;
        const int threads = 4, rounds = 200000;
        uint64_t counter = 0;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++)
                pool.emplace_back ([&] {
                        for (int i = 0; i < rounds; i++) {
                                std::lock_guard<qgc::probe::ProbeLock> guard (lock);
                                counter = counter + 1;
                        }
                });
        for (std::thread &t : pool)
                t.join ();
        assert_int_equal (counter, (uint64_t) threads * rounds);
}

/* A holder that keeps the lock long enough for the waiter to sleep in the
 * kernel: the waiter still gets it once it is released. */
void
test_sleeping_waiter_gets_the_lock (void **)
{
        qgc::probe::ProbeLock lock;
        std::atomic<int> stage { 0 };
        lock.lock ();
        std::thread waiter ([&] {
                stage = 1;
                std::lock_guard<qgc::probe::ProbeLock> guard (lock);
                stage = 2;
        });
        while (stage.load () == 0)
                std::this_thread::yield ();
        std::this_thread::sleep_for (std::chrono::milliseconds (20));
        assert_int_equal (stage.load (), 1);
        lock.unlock ();
        waiter.join ();
        assert_int_equal (stage.load (), 2);
}

} // namespace

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (test_mutual_exclusion_under_contention),
                cmocka_unit_test (test_sleeping_waiter_gets_the_lock),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
