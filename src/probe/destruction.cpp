/* SPDX-License-Identifier: MIT */
/* destruction.cpp: the analysis of a dying QObject (see destruction.h). */
#include "config.h"

#include <QtCore/QObject>
#include <QtCore/QThread>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "destruction.h"
#include "objects.h"
#include "scenes.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

namespace {

/* What the children folded into obj left, taken out of the thread's map
 * (nothing if none was folded). The map is made on first use. */
Collateral
take_collateral (PerThread &me, QObject *obj)
{
        if (!me.collateral)
                me.collateral = new std::unordered_map<QObject *, Collateral> ();
        Collateral own { 0, 0 };
        auto it = me.collateral->find (obj);
        if (it != me.collateral->end ()) {
                own = it->second;
                me.collateral->erase (it);
        }
        return own;
}

/* The object's state at destruction, through public API (and what the
 * tables said of it as it left them). */
uint32_t
state_evidence (QObject *obj, const DyingObject &dying)
{
        uint32_t evidence = 0;
        if (ObjectData::was_widget (obj))
                evidence |= EVIDENCE_WIDGET;
        if (ObjectData::was_window (obj))
                evidence |= EVIDENCE_WINDOW;
        if (ObjectData::posted_events (obj) > 0)
                evidence |= EVIDENCE_POSTED_EVENTS;
        if (dying.in_live_scene)
                evidence |= EVIDENCE_IN_SCENE;
        if (dying.filters_live)
                evidence |= EVIDENCE_EVENT_FILTER;
        return evidence;
}

/* Under the lock: the QObject parents of a dying object, nearest first,
 * as "Class (PyClass)" lines; only those in the table (alive: a parent
 * leaves it under this lock, in its own ~QObject, after its children). */
uint32_t
parents_of (QObject *obj)
{
        std::string text;
        int depth = 0;
        for (QObject *p = obj->parent (); p && depth < 8; p = p->parent (), depth++) {
                const ObjectInfo *pi = objects.find (p);
                if (!pi)
                        break;
                text += pi->qt_class ? pi->qt_class : FINDING_CLASS_UNRESOLVED;
                if (pi->py_class) {
                        text += " (";
                        text += host->string (pi->py_class);
                        text += ")";
                }
                text += "\n";
        }
        return text.empty () ? 0 : host->intern (text.c_str ());
}

void
report_off_thread (QObject *obj, QThread *owner, const ObjectInfo &info, uint32_t children,
                   uint32_t evidence, uint32_t parents)
{
        finding f = threads_finding_here (FINDING_OFF_THREAD_FINALIZATION);
        /* Unresolved: it died before its creating thread could name it
         * (~QObject is running: its meta-object says QObject now). */
        f.qt_class = host->intern (info.qt_class ? info.qt_class : FINDING_CLASS_UNRESOLVED);
        f.py_class = info.py_class;
        f.object_name = host->intern (obj->objectName ().toUtf8 ().constData ());
        f.owner_thread = threads_name (owner);
        f.owner_event_loop = threads_event_loop (owner);
        f.creation_stack = info.creation_stack;
        f.creation_test = info.creation_test;
        f.children = children;
        f.evidence = evidence;
        f.origin = info.qt_class ? info.origin : (uint32_t) ORIGIN_UNKNOWN;
        f.class_library = info.class_library;
        f.parents = parents;
        /* No wrapper was ever freed for an object C++ code made: in a
         * Python thread that released the GIL for a call (waitForDone()),
         * with no collection running, C++ code destroyed it, not a
         * dropped reference. */
        if (f.cause == CAUSE_REFCOUNT && f.origin == ORIGIN_NATIVE) {
                probe_thread_info ti {};
                host->describe_thread (&ti, false);
                if (!ti.holds_gil)
                        f.cause = CAUSE_NATIVE;
        }
        host->add_finding (&f);
}

} // namespace

QThread *
destruction_off_thread_owner (PerThread &me, QObject *obj, uint32_t *evidence)
{
        threads_enter (me);
        threads_count_object (me, false);
        *evidence = me.pending_evidence;
        me.pending_evidence = 0;
        /* thread() is valid in ~QObject: the hook runs before the parent
         * link is cut. No affinity: nobody owns it, nothing to compare.
         * A finished owner thread races with nobody (normal teardown of a
         * worker QThread). */
        QThread *owner = obj->thread ();
        if (__builtin_expect (owner && !threads_is_current (me, owner), 0) && !threads_owner_finished (owner))
                return owner;
        /* Not reported: what its children left goes with it. A child that
         * found the owner running was folded into it, and the owner may
         * have finished since; left in the map, that entry would be
         * added to whatever object the allocator puts at this address
         * next. The map is empty unless a parent is dying right now. */
        if (__builtin_expect (me.collateral && !me.collateral->empty (), 0))
                me.collateral->erase (obj);
        return nullptr;
}

namespace {

/* Under the lock: obj leaves the tables, what they knew of it copied into
 * *dying if not null. Its thread's own list was looked in already if
 * looked_young. */
void
forget_locked (PerThread &me, QObject *obj, DyingObject *dying, bool looked_young)
{
        ObjectInfo *out = dying ? &dying->info : nullptr;
        bool young = !looked_young && me.young && young_take (*me.young, obj, out);
        if (!young) {
                auto copy = [out] (const ObjectInfo &info) {
                        if (out)
                                *out = info;
                };
                /* Not in the table: perhaps young in another thread. */
                if (!objects.table.take (obj, copy) && young_settle ())
                        objects.table.take (obj, copy);
        }
        threads_forget (obj);
        bool in_live_scene = !young && scenes_forget (obj);
        if (!dying)
                return;
        dying->in_live_scene = in_live_scene;
        /* Still filtering an object that is alive and not dying. */
        dying->filters_live = dying->info.filters && objects.find (dying->info.filters) &&
                              !ObjectData::dying (dying->info.filters);
}

} // namespace

void
destruction_forget (PerThread &me, QObject *obj)
{
        /* Most die young, where they were made: in this thread's list,
         * never named, hence in no scene; taken out without the lock
         * unless a settle is under way (objects.h). */
        Taken taken = young_take_own (me, obj);
        if (__builtin_expect (taken == Taken::yes, 1)) {
                if (__builtin_expect (threads_maybe_registered (obj), 0)) {
                        std::lock_guard<ProbeLock> guard (hot.lock);
                        threads_forget (obj);
                }
                return;
        }
        std::lock_guard<ProbeLock> guard (hot.lock);
        forget_locked (me, obj, nullptr, taken == Taken::no);
}

void
destruction_take (PerThread &me, QObject *obj, DyingObject *dying)
{
        std::lock_guard<ProbeLock> guard (hot.lock);
        forget_locked (me, obj, dying, false);
}

/* Out of line and cold: the remove hook's own code stays small. */
__attribute__ ((noinline, cold)) void
destruction_report (PerThread &me, QObject *obj, QThread *owner, const DyingObject &dying,
                    uint32_t evidence)
{
        Collateral own = take_collateral (me, obj);
        evidence |= own.evidence;
        evidence |= state_evidence (obj, dying);
        QObject *parent = obj->parent ();
        if (parent && ObjectData::dying (parent)) {
                /* It dies of its parent's destruction: it counts in the
                 * parent's finding, made when the parent's hook fires. */
                Collateral &c = (*me.collateral)[parent];
                c.children += 1 + own.children;
                c.evidence |= evidence;
                return;
        }
        uint32_t parents = 0;
        if (parent) {
                evidence |= EVIDENCE_LIVE_PARENT;
                std::lock_guard<ProbeLock> guard (hot.lock);
                parents = parents_of (obj);
        }
        report_off_thread (obj, owner, dying.info, own.children, evidence, parents);
}

void
destruction_event_filter (QObject *watched, QObject *filter, bool installed)
{
        std::lock_guard<ProbeLock> guard (hot.lock);
        ObjectInfo *info = objects.find (filter);
        if (!info)
                return;
        if (installed)
                info->filters = watched;
        else if (info->filters == watched)
                info->filters = nullptr;
}

} // namespace qgc::probe
