/* SPDX-License-Identifier: MIT */
/* names.h: class names for recorded objects: the C++ class (the first
 * static meta-object of the chain) and the binding's Python subclass, if
 * any. Objects wait in per-thread pending lists until they can be named
 * safely.
 */
#pragma once

#include <QtCore/QObject>

#include <sys/types.h>

#include "threads.h"

namespace qgc::probe {

/* Under the lock, as a young object joins the table (objects.h): an
 * object its creator made waits to be named. One made by Python code
 * (by_python: its creating call is known) can be named by any thread
 * holding the GIL once that call has returned; the others only by their
 * creator. */
void names_pending_add (pid_t creator, QObject *obj, bool by_python);

/* Under the lock, as an OS thread exits: its native objects can no longer
 * be named. */
void names_thread_ended (pid_t tid);

/* Names the objects the calling thread may name now, the GIL held (if it
 * runs Python); at_event_loop: called from this thread's event loop,
 * outside any constructor. */
void names_resolve (bool at_event_loop);

/* GUI thread, from its event loop: names its objects and looks at the
 * scenes, holding the GIL. */
void names_gui_resolve ();

} // namespace qgc::probe
