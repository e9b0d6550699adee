/* SPDX-License-Identifier: MIT */
/* destruction.h: what a QObject's destruction off its thread says. */

/* Whether an object dies off the thread that owns it, the evidence that
 * it races with that thread, and the finding it makes. */
#pragma once

#include <QtCore/QObject>

#include "shared.h"
#include "threads.h"

namespace qgc::probe {

/* What the probe knew of a dying object off its thread, taken out of its
 * tables in one step: the report is made after the lock is released. */
struct DyingObject {
        ObjectInfo info;    /* zeroed if the object was not in the table */
        bool in_live_scene; /* a graphics object in a scene still alive */
        bool filters_live;  /* still the event filter of an object alive and not dying */
};

/* The remove hook, re-entry guard held, in the destroying thread (in
 * ~QObject: thread() and parent() are still valid), before the object
 * leaves the tables. Counts the destruction and takes the thread's
 * pending evidence (messages.h) into *evidence. Returns the object's
 * owner if it dies off the thread that owns it while that thread still
 * runs (it races with it), else null; then what children folded into it
 * left (destruction_report) is dropped with it. */
QThread *destruction_off_thread_owner (PerThread &me, QObject *obj, uint32_t *evidence);

/* The remove hook, even when re-entered: the object leaves every table
 * (objects, threads, scenes) under the lock, at once, so that no dangling
 * pointer stays in any of them. Most objects die where they live, and
 * nothing of theirs is copied; destruction_take, for one dying off its
 * thread, keeps what the tables knew in *dying. */
void destruction_forget (PerThread &me, QObject *obj);
void destruction_take (PerThread &me, QObject *obj, DyingObject *dying);

/* An object dying off its thread (destruction_off_thread_owner), out of
 * the tables: the evidence that it races with its owner is its state at
 * destruction plus what its children left. A child dies inside its
 * parent's ~QObject, before the parent's own hook: one whose parent is
 * dying is folded into the parent's finding (counted, its evidence added)
 * rather than reported on its own; any other is reported. */
void destruction_report (PerThread &me, QObject *obj, QThread *owner, const DyingObject &dying,
                         uint32_t evidence);

/* qgc_probe_event_filter: the app installed (or removed) filter as an
 * event filter of watched, from Python. watched calls its filter from its
 * own thread, so destroying a filter elsewhere while watched lives on is
 * evidence of a race. Any thread, not from a hook; takes the lock. */
void destruction_event_filter (QObject *watched, QObject *filter, bool installed);

} // namespace qgc::probe
