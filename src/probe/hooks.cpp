/* SPDX-License-Identifier: MIT */
/* hooks.cpp: the Qt side of qgc-check, loaded into the runner; its
 * interface is the contract in ../common/probe.h, whose entry points are
 * the only symbols qgc-probe.so exports.
 *
 * Modelled on GammaRay's probe: hooks installed once through qtHookData,
 * previous hooks chained, re-entry guarded per thread (guard.h), and each
 * hook and entry point a short forward to the module whose job it is:
 * creation.h (what the add hook records), destruction.h (what the remove
 * hook decides), names.h (class names, resolved later: when the creation
 * hook fires, only QObject's constructor has run and metaObject() still
 * says QObject), threads.h (which thread is which), scenes.h (graphics
 * objects), controller.h (the GUI thread's tick), messages.h (Qt's
 * message handler); shared.h holds what they share.
 */
#include "config.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QObject>

#include <cstdio>
#include <mutex>

#include <dlfcn.h>
#include <pthread.h>

#include "controller.h"
#include "creation.h"
#include "destruction.h"
#include "guard.h"
#include "messages.h"
#include "names.h"
#include "objects.h"
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
Hot hot;

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

StartupHook prev_startup;

/* In a forked child a lock another thread of the parent held at fork()
 * would never be released: the child gets a free one. */
void
forked_child ()
{
        hot.forked = true;
        hot.lock.reset ();
        young_forked ();
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

/* Qt calls this in every QObject's constructor, in the creating thread:
 * it only records (creation.h says why). */
void
on_add (QObject *obj)
{
        if (__builtin_expect (hot.prev_add != nullptr, 0))
                hot.prev_add (obj);
        if (__builtin_expect (hot.forked, 0))
                return;
        PerThread &me = this_thread ();
        ProbeGuard guard (me);
        if (__builtin_expect (guard.entered (), 1))
                creation_record (me, obj);
}

/* An object dying off its thread: what the tables knew of it is copied
 * as it leaves them, and reported. Out of line: its copy of the entry
 * (a cache line, aligned) would cost every destruction a realigned
 * frame. */
__attribute__ ((noinline, cold)) void
forget_off_thread (PerThread &me, QObject *obj, QThread *owner, uint32_t evidence)
{
        DyingObject dying {};
        destruction_take (me, obj, &dying);
        destruction_report (me, obj, owner, dying, evidence);
}

/* Qt calls this in every QObject's destructor, in the destroying thread.
 * The object leaves the probe's tables even when re-entered: no dangling
 * pointer may stay. Whether it dies off its thread is asked first, so
 * that what the tables knew of it is copied only then. */
void
on_remove (QObject *obj)
{
        if (__builtin_expect (hot.prev_remove != nullptr, 0))
                hot.prev_remove (obj);
        if (__builtin_expect (hot.forked, 0))
                return;
        PerThread &me = this_thread ();
        ProbeGuard guard (me);
        QThread *owner = nullptr;
        uint32_t evidence = 0;
        if (__builtin_expect (guard.entered (), 1))
                owner = destruction_off_thread_owner (me, obj, &evidence);
        if (__builtin_expect (owner != nullptr, 0))
                forget_off_thread (me, obj, owner, evidence);
        else
                destruction_forget (me, obj);
}

/* The QtCore this probe resolved against is the one the binding loaded
 * (the probe is loaded after it): its path, for the report, and the
 * modules that look things up in it or next to it. "" if unknown. */
const char *
bind_qtcore ()
{
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
        return path;
}

/* Once, from qgc_probe_start: ours take the hooks' places, and each calls
 * the one that was there before it first. */
void
install_hooks ()
{
        hot.prev_add = reinterpret_cast<ObjectHook> (qtHookData[HookAddQObject]);
        hot.prev_remove = reinterpret_cast<ObjectHook> (qtHookData[HookRemoveQObject]);
        prev_startup = reinterpret_cast<StartupHook> (qtHookData[HookStartup]);
        qtHookData[HookAddQObject] = reinterpret_cast<quintptr> (&on_add);
        qtHookData[HookRemoveQObject] = reinterpret_cast<quintptr> (&on_remove);
        qtHookData[HookStartup] = reinterpret_cast<quintptr> (&on_startup);
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
        if (!host || hot.forked)
                return;
        destruction_event_filter (static_cast<QObject *> (const_cast<void *> (watched)),
                                  static_cast<QObject *> (const_cast<void *> (filter)), installed);
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
        return creation_stack_of (static_cast<QObject *> (const_cast<void *> (qobject)), qt_class);
}

extern "C" Q_DECL_EXPORT uint32_t
qgc_probe_owner_thread (const void *qobject)
{
        return threads_name (static_cast<const QObject *> (qobject)->thread ());
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
        if (h->thread_block_size < sizeof (PerThread)) {
                snprintf (error, size, "the runner keeps %zu bytes per thread for the probe, which needs %zu",
                          h->thread_block_size, sizeof (PerThread));
                return false;
        }
        host = h;
        hot.thread_block_offset = h->thread_block_offset;
        hot.capture_creation = h->capture_creation;
        hot.current_test = h->current_test;
        pthread_atfork (nullptr, nullptr, forked_child);

        const char *qtcore_path = bind_qtcore ();
        host->qt_loaded (qVersion (), qtcore_path);
        young_start ();
        threads_register_gui ();
        install_hooks ();
        messages_keep_handler ();

        /* The binding may have made the application before we arrived. */
        if (QCoreApplication::instance ()) {
                host->app_started ();
                controller_start_soon ();
        }
        return true;
}
