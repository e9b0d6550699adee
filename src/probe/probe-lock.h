/* SPDX-License-Identifier: MIT */
/* probe-lock.h: the lock the probe's hooks take (shared.h says what it
 * guards). Header-only and without Qt, so that the unit test builds it. */
#pragma once

#include <atomic>
#include <cerrno>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace qgc::probe {

/* In a spin-wait loop: tells the CPU (and a hypervisor) that it waits. */
inline void
cpu_relax ()
{
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause ();
#elif defined(__aarch64__)
        asm volatile ("yield");
#endif
}

/* The type of the probe's lock (below). The hooks take it for objects
 * that leave their thread's young list (objects.h), and whenever a
 * settle of those lists is under way, nearly always uncontended: taking it is one compare-and-swap and releasing it a plain
 * store (on x86 no locked instruction: about 20 cycles saved per QObject
 * made and destroyed), where a pthread mutex costs two library calls and
 * two locked instructions each time. A waiter spins a little, then sleeps
 * in the kernel (futex), as with a mutex.
 *
 * Releasing without an atomic exchange cannot tell for certain whether
 * someone waits: the holder wakes one if the count of sleepers says so,
 * and a waiter that went to sleep just as the lock was released (the
 * count read before its increment was seen) sleeps at most 1 ms, then
 * tries again. Process-private futex. A BasicLockable, for
 * std::lock_guard. */
class ProbeLock
{
public:
        void lock ()
        {
                int c = 0;
                if (state.compare_exchange_strong (c, 1, std::memory_order_acquire,
                                                   std::memory_order_relaxed))
                        return;
                lock_contended ();
        }

        void unlock ()
        {
                state.store (0, std::memory_order_release);
                if (sleepers.load (std::memory_order_relaxed))
                        futex (FUTEX_WAKE_PRIVATE, 1, nullptr);
        }

        /* In a forked child: whoever held it in the parent is not there. */
        void reset ()
        {
                state.store (0, std::memory_order_relaxed);
                sleepers.store (0, std::memory_order_relaxed);
        }

private:
        std::atomic<int> state { 0 }; /* 0 free, 1 held */
        std::atomic<int> sleepers { 0 };

        bool try_take ()
        {
                int c = 0;
                return state.load (std::memory_order_relaxed) == 0 &&
                       state.compare_exchange_strong (c, 1, std::memory_order_acquire,
                                                      std::memory_order_relaxed);
        }

        __attribute__ ((noinline)) void lock_contended ()
        {
                /* Held for a table update: usually free again within a
                 * few hundred nanoseconds. */
                for (int i = 0; i < 200; i++) {
                        cpu_relax ();
                        if (try_take ())
                                return;
                }
                sleepers.fetch_add (1, std::memory_order_seq_cst);
                const struct timespec backstop = { 0, 1000000 };
                while (!try_take ())
                        futex (FUTEX_WAIT_PRIVATE, 1, &backstop);
                sleepers.fetch_sub (1, std::memory_order_relaxed);
        }

        /* errno kept: the hooks run inside the app's constructors and
         * destructors. */
        void futex (int op, int val, const struct timespec *timeout)
        {
                int saved = errno;
                syscall (SYS_futex, reinterpret_cast<int *> (&state), op, val, timeout, nullptr, 0);
                errno = saved;
        }
};

} // namespace qgc::probe
