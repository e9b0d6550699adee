/* SPDX-License-Identifier: MIT */
/* stress.h: the GC stress engine.
 *
 * N Python threads named qgc-stress-1..N allocate cyclic garbage so that
 * CPython's automatic collections trigger in them rather than in the GUI
 * thread. They pause often enough that the GUI thread gets the GIL, never
 * call gc.collect() and never enable the collector: an app that disabled
 * automatic collection stays unstressed, as it would be in the field.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/stress-mode.h"

/* Starts the workers. GIL held, in the GUI thread. Idempotent. */
bool stress_start (unsigned threads, uint32_t seed, enum stress_mode mode);

/* Asks the workers to stop. Any thread; runs no Python. */
void stress_stop (void);

/* Workers still running. Any thread; runs no Python. */
unsigned stress_running (void);

/* Waits for the workers to end. GIL held. */
void stress_join (void);
