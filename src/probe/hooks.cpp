/* hooks.cpp: the Qt side of qgc-check, loaded into the runner; its
 * interface is the contract in ../probe.h, whose entry points are the
 * only symbols qgc-probe.so exports.
 *
 * Modelled on GammaRay's probe: hooks installed once through qtHookData,
 * previous hooks chained, re-entry guarded per thread, class names
 * resolved later (names.h: when the creation hook fires, only QObject's
 * constructor has run and metaObject() still says QObject). The rest of
 * the probe, by job: threads.h (which thread is which), names.h (class
 * names), scenes.h (graphics objects), controller.h (the GUI thread's
 * tick), messages.h (Qt's message handler); shared.h holds what they
 * share.
 */
#include "config.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QObject>
#include <QtCore/QThread>

#include <cstdio>
#include <mutex>
#include <string>
#include <new>
#include <unordered_map>

#include <dlfcn.h>
#include <pthread.h>

#include "controller.h"
#include "messages.h"
#include "names.h"
#include "object-table.h"
#include "common/probe.h"
#include "scenes.h"
#include "shared.h"
#include "threads.h"

/* Exported by QtCore of every Qt 6 as qtHookData@@Qt_6; declared here
 * because wheels of Qt ship no private headers. Indices from
 * QtCore/private/qhooks_p.h, stable across Qt 6. */
QT_BEGIN_NAMESPACE
extern Q_CORE_EXPORT quintptr qtHookData[];
QT_END_NAMESPACE

namespace qgc::probe {

const probe_host *host;
std::mutex lock;
qgc::ObjectTable<QObject, ObjectInfo> objects;
bool forked;

namespace {

enum HookIndex {
        HookDataVersion = 0,
        HookDataSize = 1,
        HookQtVersion = 2,
        HookAddQObject = 3,
        HookRemoveQObject = 4,
        HookStartup = 5,
};

using ObjectHook = void (*) (QObject *);
using StartupHook = void (*) ();

ObjectHook prev_add;
ObjectHook prev_remove;
StartupHook prev_startup;

/* In a forked child a lock another thread of the parent held at fork()
 * would never be released: the child gets a fresh one. */
void
forked_child ()
{
        forked = true;
        new (&lock) std::mutex ();
}

/* Qt calls this from QCoreApplication's constructor. */
void
on_startup ()
{
        if (prev_startup)
                prev_startup ();
        host->app_started ();
        controller_start_soon ();
}

/* Qt calls this in every QObject's constructor, in the creating thread,
 * possibly while it holds its own locks (posting an event from a thread
 * Qt has not seen builds that thread's QAdoptedThread under the receiver's
 * post-event lock). So it only records: no Qt call that locks, posts or
 * creates, no GIL wait, no Python code; the creating thread names the
 * object later, from its event loop or a collection. */
void
on_add (QObject *obj)
{
        if (prev_add)
                prev_add (obj);
        if (forked)
                return;
        PerThread &me = per_thread;
        if (me.in_hook)
                return;
        me.in_hook = true;
        threads_enter (me);
        host->count_object (true);
        if (!me.registered)
                threads_register (me, obj->thread ());
        ObjectInfo info { nullptr, 0, 0, host->current_test (), me.tid, { nullptr, nullptr, 0 }, nullptr,
                          ORIGIN_UNKNOWN, 0 };
        host->capture_creation (&info.creation_stack, &info.created_at);
        {
                std::lock_guard<std::mutex> guard (lock);
                objects.insert (obj, info);
                names_pending_add (me.tid, obj, info.created_at.frame != nullptr);
        }
        me.in_hook = false;
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
        f.creation_stack = info.creation_stack;
        f.creation_test = info.creation_test;
        f.children = children;
        f.evidence = evidence;
        f.origin = info.qt_class ? info.origin : (uint32_t) ORIGIN_UNKNOWN;
        f.class_library = info.class_library;
        f.parents = parents;
        host->add_finding (&f);
}

void
on_remove (QObject *obj)
{
        if (prev_remove)
                prev_remove (obj);
        if (forked)
                return;
        /* Forget the object even when re-entered: no dangling pointer may
         * stay. */
        ObjectInfo info {};
        bool in_live_scene, filters_live = false;
        {
                std::lock_guard<std::mutex> guard (lock);
                objects.take (obj, &info);
                threads_forget (obj);
                in_live_scene = scenes_forget (obj);
                /* Still filtering an object that is alive and not dying. */
                filters_live = info.filters && objects.find (info.filters) &&
                               !ObjectData::dying (info.filters);
        }
        PerThread &me = per_thread;
        if (me.in_hook)
                return;
        me.in_hook = true;
        host->count_object (false);
        /* thread() is valid in ~QObject: the hook runs before the parent
         * link is cut. No affinity: nobody owns it, nothing to compare.
         * A finished owner thread races with nobody (normal teardown of a
         * worker QThread). */
        QThread *owner = obj->thread ();
        uint32_t evidence = me.pending_evidence;
        me.pending_evidence = 0;
        threads_enter (me);
        if (owner && !threads_is_current (me, owner) && !threads_owner_finished (owner)) {
                if (!me.collateral)
                        me.collateral = new std::unordered_map<QObject *, Collateral> ();
                std::unordered_map<QObject *, Collateral> *collateral = me.collateral;
                Collateral own { 0, 0 };
                auto it = collateral->find (obj);
                if (it != collateral->end ()) {
                        own = it->second;
                        collateral->erase (it);
                }
                evidence |= own.evidence;
                /* The object's state at destruction, through public API. */
                if (ObjectData::was_widget (obj))
                        evidence |= EVIDENCE_WIDGET;
                if (obj->isWindowType ())
                        evidence |= EVIDENCE_WINDOW;
                if (ObjectData::posted_events (obj) > 0)
                        evidence |= EVIDENCE_POSTED_EVENTS;
                if (in_live_scene)
                        evidence |= EVIDENCE_IN_SCENE;
                if (filters_live)
                        evidence |= EVIDENCE_EVENT_FILTER;
                QObject *parent = obj->parent ();
                if (parent && ObjectData::dying (parent)) {
                        Collateral &c = (*collateral)[parent];
                        c.children += 1 + own.children;
                        c.evidence |= evidence;
                } else {
                        uint32_t parents = 0;
                        if (parent) {
                                evidence |= EVIDENCE_LIVE_PARENT;
                                std::lock_guard<std::mutex> guard (lock);
                                parents = parents_of (obj);
                        }
                        report_off_thread (obj, owner, info, own.children, evidence, parents);
                }
        }
        me.in_hook = false;
}

} // namespace

} // namespace qgc::probe

using namespace qgc::probe;

extern "C" Q_DECL_EXPORT void
qgc_probe_resolve_classes (void)
{
        /* A collection starts in the calling thread (GIL held): the
         * objects this thread made are complete (it is running Python,
         * not a constructor of theirs). */
        if (host && !host->collecting_elsewhere ())
                names_resolve (false);
}

extern "C" Q_DECL_EXPORT void
qgc_probe_event_filter (const void *watched, const void *filter, bool installed)
{
        if (!host || forked)
                return;
        std::lock_guard<std::mutex> guard (qgc::probe::lock);
        using qgc::probe::objects;
        auto *info = objects.find (static_cast<QObject *> (const_cast<void *> (filter)));
        if (!info)
                return;
        QObject *w = static_cast<QObject *> (const_cast<void *> (watched));
        if (installed)
                info->filters = w;
        else if (info->filters == w)
                info->filters = nullptr;
}

extern "C" Q_DECL_EXPORT void
qgc_probe_retake_messages (void)
{
        if (host)
                messages_keep_handler ();
}

extern "C" Q_DECL_EXPORT uint32_t
qgc_probe_creation_stack (const void *qobject, const char **qt_class)
{
        std::lock_guard<std::mutex> guard (lock);
        ObjectInfo *info = objects.find (static_cast<QObject *> (const_cast<void *> (qobject)));
        if (!info)
                return 0;
        if (qt_class)
                *qt_class = info->qt_class;
        return info->creation_stack;
}

extern "C" Q_DECL_EXPORT bool
qgc_probe_start (const struct probe_host *h, char *error, size_t size)
{
        if (host) {
                snprintf (error, size, "the probe was started twice");
                return false;
        }
        if (qtHookData[HookDataSize] < 6) {
                snprintf (error, size, "Qt %s has no QObject hooks (hook table size %llu)",
                          qVersion (), (unsigned long long) qtHookData[HookDataSize]);
                return false;
        }
        host = h;
        pthread_atfork (nullptr, nullptr, forked_child);

        /* The QtCore this probe resolved against is the one the binding
         * loaded (the probe is loaded after it); name it in the report. */
        Dl_info dl {};
        const char *path = "";
        if (dladdr ((void *) &qVersion, &dl) && dl.dli_fname) {
                path = dl.dli_fname;
                scenes_set_qtcore (path);
                void *qtcore = dlopen (dl.dli_fname, RTLD_NOW | RTLD_NOLOAD);
                if (qtcore) {
                        threads_bind_qtcore (qtcore);
                        dlclose (qtcore);
                }
        }
        host->qt_loaded (qVersion (), path);

        threads_register_gui ();

        prev_add = reinterpret_cast<ObjectHook> (qtHookData[HookAddQObject]);
        prev_remove = reinterpret_cast<ObjectHook> (qtHookData[HookRemoveQObject]);
        prev_startup = reinterpret_cast<StartupHook> (qtHookData[HookStartup]);
        qtHookData[HookAddQObject] = reinterpret_cast<quintptr> (&on_add);
        qtHookData[HookRemoveQObject] = reinterpret_cast<quintptr> (&on_remove);
        qtHookData[HookStartup] = reinterpret_cast<quintptr> (&on_startup);
        messages_keep_handler ();

        /* The binding may have made the application before we arrived. */
        if (QCoreApplication::instance ()) {
                host->app_started ();
                controller_start_soon ();
        }
        return true;
}
