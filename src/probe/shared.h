/* SPDX-License-Identifier: MIT */
/* shared.h: the little that every part of the probe shares.
 *
 * Each item is here because more than one module needs it; anything only
 * one module uses stays in that module's .cpp. Internal to qgc-probe.so:
 * built with hidden visibility, nothing here is exported.
 */
#pragma once

#include <QtCore/QObject>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <cxxabi.h>
#include <mutex>
#include <typeinfo>

#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "probe-lock.h"
#include "common/probe.h"

namespace qgc::probe {

/* The runner's side of the contract (probe.h), set once by
 * qgc_probe_start: every module reports or asks through it. */
extern const probe_host *host;

/* What the probe knows of one live QObject (objects.h keeps them):
 * written by the add hook, completed by the names module, read by the
 * remove hook and by qgc_probe_creation_stack. */
struct alignas (64) ObjectInfo { /* a cache line each */
        /* Resolved in the creating thread once the object is complete:
         * the C++ class (the most derived static meta-object) and the
         * Python subclass that the binding built it for, if any. */
        const char *qt_class; /* static string, or null until resolved */
        uint32_t py_class;    /* string id, 0: none or not resolved */
        uint32_t creation_stack;
        uint32_t creation_test; /* the pytest test running then */
        pid_t creator;
        probe_frame_point created_at; /* the Python call that made it, if any */
        /* The object this one was last installed on as an event filter
         * (from Python), until removed: that object calls it from its own
         * thread, so destroying the filter elsewhere races with it. */
        QObject *filters;
        /* Who made it, told by where its vtable lives (named with the
         * class): the binding (a wrapper class: made through Python) or
         * a C++ library (made by Qt's own code, e.g. QPicture's QBuffer:
         * no Python object owns it). String id of that library's name. */
        uint8_t origin;          /* enum finding_origin */
        /* When the naming first put it off (names.cpp: a binding's object
         * seen without its wrapper, with a C++ library's vtable): a
         * millisecond clock modulo 65536, never 0; 0 if it never did. */
        uint16_t put_off_ms;
        uint32_t class_library;
};

/* What every hook reads or writes, together on one cache line: a hook
 * runs between two stretches of the app's own work, which may have pushed
 * each line the hook touches out of the first-level cache, so their number
 * counts more than their instructions. */
struct alignas (64) Hot {
        /* One lock for the object table and every module's own tables
         * (threads, pending names, scenes): the hooks update several of
         * them in one step, and a destroyed object must leave all of them
         * at once. Never held across Python, and taken inside hooks only
         * around table updates: nothing that waits is called under it. */
        ProbeLock lock;
        /* A settle of the threads' young lists is under way, or the
         * hooks must always take the lock (objects.h). */
        bool settling;
        /* In a process forked from the run (multiprocessing's "fork",
         * os.fork): nothing it does is the run's. Read by every hook and
         * the message handler. */
        bool forked;
        /* Set once by qgc_probe_start, from the host: where each thread's
         * block is (threads.h), and what the add hook reads and calls in
         * the runner, copied here so that it need not read `host` too. */
        ptrdiff_t thread_block_offset;
        void (*capture_creation) (uint32_t *stack, probe_frame_point *at);
        const uint32_t *current_test;
        /* The hooks that were installed before the probe's (hooks.cpp). */
        void (*prev_add) (QObject *);
        void (*prev_remove) (QObject *);
};
static_assert (sizeof (Hot) == 64, "the hooks' shared state is one cache line");
extern Hot hot;

inline int64_t
now_ns ()
{
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

inline pid_t
current_tid ()
{
        return (pid_t) syscall (SYS_gettid);
}

/* It changes at each base class's destructor: the names and scenes
 * modules compare it to tell an object (or scene) being destroyed. */
inline const void *
vptr_of (const QObject *obj)
{
        return *reinterpret_cast<const void *const *> (obj);
}

/* An object's state read without calling it: the remove hook reads all
 * three, the names module asks whether an object is dying.
 *
 * QObjectData is declared in qobject.h, Qt's public header; its
 * postedEvents counts events posted to the object and not yet delivered
 * (QObject's own inline accessors read the same structure). */
/* Whether a type (its RTTI) is, or derives from, the class whose mangled
 * name is given: a walk up the type_info's bases, by name, because a
 * class private to Qt (QWindowPrivate) exports no type_info to compare
 * with. */
inline bool
type_inherits (const std::type_info &type, const char *mangled)
{
        if (strcmp (type.name (), mangled) == 0)
                return true;
        if (auto si = dynamic_cast<const __cxxabiv1::__si_class_type_info *> (&type))
                return type_inherits (*si->__base_type, mangled);
        if (auto vmi = dynamic_cast<const __cxxabiv1::__vmi_class_type_info *> (&type))
                for (unsigned i = 0; i < vmi->__base_count; i++)
                        if (type_inherits (*vmi->__base_info[i].__base_type, mangled))
                                return true;
        return false;
}

struct ObjectData : QObject {
        static int posted_events (const QObject *obj)
        {
                return static_cast<const ObjectData *> (obj)->d_ptr->postedEvents.loadRelaxed ();
        }
        /* ~QWidget clears isWidget before ~QObject (and so the remove
         * hook) runs, and sets wasWidget. */
        static bool was_widget (const QObject *obj)
        {
                const QObjectData *d = static_cast<const ObjectData *> (obj)->d_ptr.data ();
                return d->isWidget || d->wasWidget;
        }
        /* ~QWindow clears isWindow before ~QObject (and so the remove
         * hook) runs; its private part, freed only at the end of
         * ~QObject, still has the dynamic type QWindowPrivate (or a
         * subclass: QWidgetWindow's, QQuickWindow's). */
        static bool was_window (const QObject *obj)
        {
                const QObjectData *d = static_cast<const ObjectData *> (obj)->d_ptr.data ();
                return d->isWindow || type_inherits (typeid (*d), "14QWindowPrivate");
        }
        /* ~QObject (and ~QWidget) set wasDeleted first and
         * isDeletingChildren while they delete the children: a child
         * dying with either set on its parent dies of its parent's
         * destruction, whatever the parent's class. */
        static bool dying (const QObject *obj)
        {
                const QObjectData *d = static_cast<const ObjectData *> (obj)->d_ptr.data ();
                return d->wasDeleted || d->isDeletingChildren;
        }
        /* deleteLater() was called: the object waits for its thread's event
         * loop to delete it, and its Python wrapper may be gone already
         * (PyQt6 defers a wrapper's C++ object that way). */
        static bool delete_later_called (const QObject *obj)
        {
                return static_cast<const ObjectData *> (obj)->d_ptr->deleteLaterCalled;
        }
};

} // namespace qgc::probe
