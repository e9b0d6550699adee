/* SPDX-License-Identifier: MIT */
/* pyhost.h: what the runner learns from the interpreter for the probe.
 *
 * Thread names, Python stacks, the Python class of a wrapper being built,
 * and whether a collection is running in the calling thread (and which
 * generation, automatic or gc.collect()). Nothing here runs Python code
 * in a thread that was not already running Python.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/channel.h"
#include "common/probe.h"

/* Installs the gc.callbacks entry and the gc.collect() wrapper. Call once
 * from the main thread after the interpreter started, GIL held. */
bool pyhost_init (struct channel *ch);

/* Called at the start of every collection once the probe is loaded. */
void pyhost_set_resolver (void (*resolve) (void));

/* probe_host.capture_creation: cached per distinct stack; reads only the
 * calling thread's own frames and only when it already holds the GIL. */
void pyhost_capture_creation (uint32_t *stack, struct probe_frame_point *at);

/* probe_host.stack_points. */
size_t pyhost_stack_points (pid_t tid, struct probe_frame_point *out, size_t max);

/* probe_host.describe_thread: never waits for the GIL, runs no Python. */
void pyhost_describe_thread (struct probe_thread_info *info, bool want_stack);

/* probe_host.collecting_elsewhere. */
bool pyhost_collecting_elsewhere (void);

/* The known workaround's collector, as pyqtgraph's GarbageCollector does
 * it: collect each generation whose count passed the app's threshold.
 * GUI thread, GIL held. */
void pyhost_collect_by_thresholds (void);

/* _qgc.collect(generation): a collection the tool makes in the app's stead
 * (the at-risk reading): counted and described as an automatic one, not
 * as the app's gc.collect(). GIL held; a new reference or NULL. */
PyObject *pyhost_tool_collect (PyObject *args);

/* _qgc.free(garbage, generation): frees a list of garbage a collection
 * saved (gc.DEBUG_SAVEALL) as that collection would have, bracketed as a
 * collection of the tool's, and nothing else; the list is left holding
 * None. If something referenced the objects meanwhile, the collector
 * decides instead (a collection of the next generation, where the saved
 * objects went). GIL held; the
 * number of objects, or NULL. */
PyObject *pyhost_tool_free (PyObject *args);

/* The interpreter is about to be finalized: from now on nothing here
 * reads its state (Qt's hooks still fire as its objects die). */
void pyhost_finalizing (void);

/* True in the thread that started the interpreter (the GUI thread). */
bool pyhost_is_main_thread (void);
