/* SPDX-License-Identifier: MIT */
/* signals.h: the real-time signals qgc-check uses, in one place.
 *
 * The supervisor sends one to the runner; the runner's crash handlers use
 * the others among its own threads. Real-time signals, so that none of
 * them is one the app or Qt is likely to use, counted from SIGRTMIN
 * (glibc reserves the first ones for its threads).
 */
#pragma once

#include <signal.h>

/* Supervisor -> runner: write every thread's stacks into the dump area
 * (a hang, or a run stopped at its limit). */
#define QGC_SIGNAL_DUMP (SIGRTMIN + 4)

/* Runner, thread -> thread: the crashing or dumping thread asks each other
 * thread to write its own native frames. */
#define QGC_SIGNAL_THREAD (SIGRTMIN + 5)

/* Runner: faulthandler, registered for it on a descriptor of the crash
 * handler's, writes every thread's Python traceback when raised. */
#define QGC_SIGNAL_FAULTHANDLER (SIGRTMIN + 6)
