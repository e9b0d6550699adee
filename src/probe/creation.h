/* SPDX-License-Identifier: MIT */
/* creation.h: what the probe records as a QObject is created. */
#pragma once

#include <QtCore/QObject>

#include <cstdint>

#include "threads.h"

namespace qgc::probe {

/* The add hook, re-entry guard held, in the creating thread. Qt calls it
 * from QObject's constructor, possibly while it holds its own locks
 * (posting an event from a thread Qt has not seen builds that thread's
 * QAdoptedThread under the receiver's post-event lock). So it only
 * records: the object goes into the thread's young objects (objects.h)
 * with its creation stack and test, and waits to be named (names.h) by the
 * creating thread's event loop or a collection, if it lives that long; no
 * Qt call that locks, posts or creates, no GIL wait, no Python code. The
 * thread is registered with the first object it makes whose thread() is
 * set. */
void creation_record (PerThread &me, QObject *obj);

/* qgc_probe_creation_stack: the creation stack of a live object (string
 * id, 0 if it is not in the table) and its class as resolved so far, if
 * qt_class is not null. Takes the lock. */
uint32_t creation_stack_of (QObject *obj, const char **qt_class);

} // namespace qgc::probe
