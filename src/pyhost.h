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

#include "channel.h"
#include "probe.h"

/* Installs the gc.callbacks entry and the gc.collect() wrapper. Call once
 * from the main thread after the interpreter started, GIL held. */
bool pyhost_init (struct channel *ch);

/* Called at the start of every collection once the probe is loaded. */
void pyhost_set_resolver (void (*resolve) (void));

/* probe_host.capture_creation: cheap, cached per distinct stack. */
void pyhost_capture_creation (uint32_t *stack, uint32_t *py_class);

/* probe_host.describe_thread. */
void pyhost_describe_thread (struct probe_thread_info *info, bool want_stack);

/* The known workaround's collector, as pyqtgraph's GarbageCollector does
 * it: collect each generation whose count passed the app's threshold.
 * GUI thread, GIL held. */
void pyhost_collect_by_thresholds (void);

/* True in the thread that started the interpreter (the GUI thread). */
bool pyhost_is_main_thread (void);
