/* SPDX-License-Identifier: MIT */
/* names.cpp: class names for the objects the hooks recorded (see
 * names.h).
 *
 * When the creation hook fires, only QObject's constructor has run and
 * metaObject() still says QObject: an object is named later, once it is
 * complete and alive, and never once its destruction has begun.
 */
#include "config.h"

#include <QtCore/QMetaObject>
#include <QtCore/QObject>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <dlfcn.h>
#include <link.h>

#include "names.h"
#include "objects.h"

#include <setjmp.h>
#include "scenes.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

/* Objects not named yet whose creation point is known (they were made
 * by Python code) can be named by any thread holding the GIL once that
 * call has returned; the others only by their creator. Under the lock,
 * per creating thread. */
struct PendingNames {
        std::vector<QObject *> python;
        std::vector<QObject *> native;
};

namespace {

/* Entries are never removed: a thread id reused later finds its lists
 * again. */
std::unordered_map<pid_t, PendingNames> pending;

constexpr int max_meta_depth = 32;

/* PySide6 (shiboken) releases an object's wrapper, then deletes the C++
 * object with the GIL released: in between, metaObject() answers for the
 * C++ class alone. shiboken's own registry says whether the wrapper is
 * still there (looked up once, in the loaded libshiboken6). */
using BindingInstanceFn = void *(*) ();
using RetrieveWrapperFn = void *(*) (const void *manager, const void *cpp);
BindingInstanceFn shiboken_instance;
RetrieveWrapperFn shiboken_retrieve;

int
find_shiboken (struct dl_phdr_info *info, size_t, void *)
{
        if (!info->dlpi_name || !strstr (info->dlpi_name, "libshiboken6"))
                return 0;
        if (void *lib = dlopen (info->dlpi_name, RTLD_NOW | RTLD_NOLOAD)) {
                shiboken_instance = (BindingInstanceFn) dlsym (lib, "_ZN8Shiboken14BindingManager8instanceEv");
                /* const since 6.10; 6.9 and earlier (6.5.3, 6.8.3, 6.9.3
                 * measured) export it without: the same call. */
                shiboken_retrieve = (RetrieveWrapperFn) dlsym (lib, "_ZNK8Shiboken14BindingManager15retrieveWrapperEPKv");
                if (!shiboken_retrieve)
                        shiboken_retrieve = (RetrieveWrapperFn) dlsym (lib, "_ZN8Shiboken14BindingManager15retrieveWrapperEPKv");
                dlclose (lib); /* stays loaded: the binding holds it */
        }
        return 1;
}

/* Not under the lock (dl_iterate_phdr and dlopen take the loader's). */
void
look_for_shiboken ()
{
        /* Once, whichever thread names objects first (the binding loaded
         * its libshiboken6 before the probe was loaded). */
        static const bool looked = [] {
                dl_iterate_phdr (find_shiboken, nullptr);
                if (!shiboken_instance || !shiboken_retrieve)
                        shiboken_instance = nullptr, shiboken_retrieve = nullptr;
                return true;
        }();
        (void) looked;
}

/* False when the binding is PySide6 and the object's wrapper is gone. */
bool
wrapper_present (const QObject *obj)
{
        if (!shiboken_retrieve)
                return true;
        void *manager = shiboken_instance ();
        return manager && shiboken_retrieve (manager, obj);
}

/* Under the lock: the meta-object chain of a complete object, or 0 if it
 * is being destroyed in another thread (a binding may release the GIL
 * around a C++ destructor, and a slot on destroyed() waits for it there):
 * ~QObject has begun, or the object's vtable changed while we looked, as
 * it does at each base class's destructor. Left unnamed then. */
int
meta_chain (QObject *obj, const QMetaObject **chain, const void **vptr = nullptr)
{
        /* About to be deleted: a binding then answers for the C++ class
         * alone (its wrapper, which knew the Python subclass, is gone). */
        if (ObjectData::dying (obj) || ObjectData::delete_later_called (obj))
                return 0;
        const void *before = vptr_of (obj);
        /* The checks above and below cannot close the window in which
         * another thread, without the GIL, runs the object's destructors
         * while metaObject() reads it: a fault there abandons the lookup
         * (crash.h: crash_guard_reads) and the object stays unnamed. */
        sigjmp_buf guard;
        volatile int n = 0;
        if (sigsetjmp (guard, 1) != 0)
                return 0;
        host->guard_reads (&guard);
        for (const QMetaObject *m = obj->metaObject (); m && n < max_meta_depth; m = m->superClass ())
                chain[n++] = m;
        host->guard_reads (nullptr);
        if (vptr_of (obj) != before || ObjectData::dying (obj))
                return 0;
        if (vptr)
                *vptr = before; /* the class the chain was read for */
        return n;
}


bool
same_point (const probe_frame_point &a, const probe_frame_point &b)
{
        return a.frame == b.frame && a.code == b.code && a.instr == b.instr;
}

/* Under the lock. Meta-object -> static (in a loaded library: a C++
 * class) or dynamic (made at run time by the binding for a Python
 * subclass). */
std::unordered_map<const QMetaObject *, bool> meta_static;

/* Under the lock. Vtable -> who made objects of it: ORIGIN_PYTHON when it
 * lives in the binding's modules (its wrapper classes and the Python
 * subclasses built on them), else the C++ library's name (string id) with
 * ORIGIN_NATIVE; ORIGIN_UNKNOWN outside any library. */
struct Origin {
        uint32_t origin;
        uint32_t library;
};
std::unordered_map<const void *, Origin> vtable_origin;

/* Whether addr lies in a loaded object (the program or a library), and
 * its file name, as dladdr() says them. glibc 2.35's _dl_find_object()
 * answers without dladdr()'s search for the nearest symbol, a linear scan
 * of the object's symbol table (about 230,000 instructions for an address
 * in QtCore): once per class met. */
bool
loaded_object (const void *addr, const char **path)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)
        struct dl_find_object found;
        if (_dl_find_object (const_cast<void *> (addr), &found) != 0)
                return false;
        *path = found.dlfo_link_map->l_name;
        /* dladdr() names the program by its argv[0]. */
        if (!**path)
                *path = program_invocation_name;
        return true;
#else
        Dl_info dl;
        if (!dladdr (addr, &dl))
                return false;
        *path = dl.dli_fname;
        return true;
#endif
}

/* Not under the lock (dladdr, where it is used, takes the loader's). */
Origin
classify_vtable (const void *vptr)
{
        const char *path = nullptr;
        if (!loaded_object (vptr, &path) || !path)
                return { ORIGIN_UNKNOWN, 0 };
        const char *base = strrchr (path, '/');
        /* A wheel brings its Qt inside the binding's directory
         * (PySide6/Qt/lib/libQt6Core.so.6): Qt's own libraries are not
         * the binding's modules. */
        bool qt_library = strncmp (base ? base + 1 : path, "libQt6", 6) == 0;
        if (!qt_library && (strstr (path, "/PyQt6/") || strstr (path, "/PySide6/") || strstr (path, "shiboken6")))
                return { ORIGIN_PYTHON, 0 };
        return { ORIGIN_NATIVE, host->intern (base ? base + 1 : path) };
}

} // namespace

void
names_pending_add (pid_t creator, QObject *obj, bool by_python)
{
        PendingNames &p = pending[creator];
        std::vector<QObject *> &list = by_python ? p.python : p.native;
        /* A thread that never reaches a point where it names its native
         * objects (a C++ worker thread) only adds to its list: drop the
         * ones already destroyed when it is full (once its size has
         * doubled since the last look). */
        if (list.size () == list.capacity () && list.size () >= 4096) {
                size_t kept = 0;
                for (QObject *o : list)
                        if (objects.table.find (o))
                                list[kept++] = o;
                list.resize (kept);
                /* Mostly alive: room to double before the next look. */
                if (kept * 2 > list.capacity ())
                        list.reserve (list.capacity () * 2);
        }
        list.push_back (obj);
}

void
names_thread_ended (pid_t tid)
{
        /* Its Python-made objects can still be named by others (its calls
         * have all returned); objects native code made here cannot. */
        auto p = pending.find (tid);
        if (p != pending.end ())
                p->second.native.clear ();
}

namespace {

/* Objects made by Python code, per creating thread, whose creating call
 * may still be running.
 *
 * Everything in a pending list came there from the table (a settle puts
 * young objects in both): the naming looks them up in the table alone,
 * where a miss is an object that died, and never settles again for it
 * (a settle may cost a system call, objects.h). */
using PythonMade = std::vector<std::pair<pid_t, std::vector<QObject *>>>;

/* Under the lock: what this thread may look at now leaves the pending
 * lists. This thread's own native objects only from its event loop: a
 * collection can start inside a constructor (one that allocates Python
 * objects, as PyQt6's slot proxies do). Objects made by Python code, this
 * thread's too, all go to python_made: named once the creating call has
 * returned. */
void
take_pending (pid_t tid, bool at_event_loop, std::vector<QObject *> &todo, PythonMade &python_made)
{
        std::lock_guard<ProbeLock> guard (hot.lock);
        /* The young objects still alive wait to be named from now on. */
        young_settle ();
        for (auto &p : pending) {
                if (p.first == tid && at_event_loop) {
                        todo.insert (todo.end (), p.second.native.begin (), p.second.native.end ());
                        p.second.native.clear ();
                }
                if (!p.second.python.empty ()) {
                        /* The list starts again at the size it reached (up
                         * to a bound), not from nothing: a thread making
                         * objects steadily grows it once, not at each
                         * naming. */
                        size_t reached = std::min (p.second.python.size (), (size_t) 65536);
                        python_made.emplace_back (p.first, std::move (p.second.python));
                        p.second.python = std::vector<QObject *> ();
                        p.second.python.reserve (reached);
                }
        }
}

/* Which objects made by Python code are complete: those whose creating
 * call is no longer on their creating thread's stack go to todo, the
 * others to wait. The stacks are read without the lock (reading Python
 * state allocates); the table is read under it, a thread at a time. */
void
sort_python_made (pid_t tid, bool at_event_loop, PythonMade &python_made, std::vector<QObject *> &todo,
                  std::vector<QObject *> &wait)
{
        std::vector<probe_frame_point> stack (256);
        for (auto &o : python_made) {
                /* At its own event loop a thread is inside no constructor:
                 * all it made is complete, also what C++ made while a
                 * call that released the GIL (exec()) is still running. */
                if (o.first == tid && at_event_loop) {
                        todo.insert (todo.end (), o.second.begin (), o.second.end ());
                        continue;
                }
                size_t n = host->stack_points (o.first, stack.data (), stack.size ());
                std::lock_guard<ProbeLock> guard (hot.lock);
                for (QObject *obj : o.second) {
                        ObjectInfo *info = objects.table.find (obj);
                        if (!info || info->qt_class)
                                continue;
                        bool running = false;
                        for (size_t i = 0; i < n && n != probe_thread_gone && !running; i++)
                                running = same_point (stack[i], info->created_at);
                        /* PySide6 registers an object's wrapper once its C++
                         * constructor has returned: then it is complete, even
                         * if a call at the same point is running again (a
                         * loop making objects: frames are reused). A full
                         * stack may hide it deeper: wait. */
                        if ((running || n == stack.size ()) &&
                            !(shiboken_retrieve && wrapper_present (obj)))
                                wait.push_back (obj);
                        else
                                todo.push_back (obj);
                }
        }
}

/* Meta-objects and vtables not classified yet, found under the lock and
 * classified after it is released: dladdr() takes the loader's lock,
 * which dlopen() holds while constructors may create QObjects (our hook
 * takes this lock). */
struct Unclassified {
        std::vector<const QMetaObject *> metas;
        std::vector<const void *> vtables;
};

/* Under the lock: the objects still waiting for their creating call go
 * back to their pending lists; which meta-objects and vtables of the
 * objects to name are new. todo keeps the objects still alive and
 * unnamed (most die before their thread's next turn of its loop): a
 * pointer dropped here that a new object takes again is pending anew. */
Unclassified
requeue_and_find_new (const std::vector<QObject *> &wait, std::vector<QObject *> &todo)
{
        Unclassified unknown;
        std::lock_guard<ProbeLock> guard (hot.lock);
        for (QObject *obj : wait) {
                ObjectInfo *info = objects.table.find (obj);
                if (info && !info->qt_class)
                        pending[info->creator].python.push_back (obj);
        }
        size_t alive = 0;
        for (QObject *obj : todo) {
                ObjectInfo *info = objects.table.find (obj);
                if (!info || info->qt_class)
                        continue;
                todo[alive++] = obj;
                const QMetaObject *chain[max_meta_depth];
                int n = meta_chain (obj, chain);
                for (int i = 0; i < n; i++)
                        if (!meta_static.count (chain[i]))
                                unknown.metas.push_back (chain[i]);
                if (n > 0 && !vtable_origin.count (vptr_of (obj)))
                        unknown.vtables.push_back (vptr_of (obj));
        }
        todo.resize (alive);
        return unknown;
}

struct Classified {
        std::vector<std::pair<const QMetaObject *, bool>> metas;
        std::vector<std::pair<const void *, Origin>> vtables;
};

/* Not under the lock (dladdr, where it is used, takes the loader's): a
 * meta-object inside a loaded library is static. */
Classified
classify (const Unclassified &unknown)
{
        Classified classified;
        for (const QMetaObject *m : unknown.metas) {
                const char *path;
                classified.metas.emplace_back (m, loaded_object (m, &path));
        }
        for (const void *v : unknown.vtables)
                classified.vtables.emplace_back (v, classify_vtable (v));
        return classified;
}

/* Under the lock. */
void
remember (const Classified &classified)
{
        for (auto &c : classified.metas)
                meta_static[c.first] = c.second;
        for (auto &o : classified.vtables)
                vtable_origin[o.first] = o.second;
}

/* How long an object that may be one of the binding's being destroyed
 * in another thread (see name_object) is put off before it is named. */
constexpr uint16_t put_off_for_ms = 50;

/* A millisecond clock modulo 65536, never 0 (ObjectInfo.put_off_ms). */
uint16_t
coarse_ms ()
{
        uint16_t ms = (uint16_t) (now_ns () / 1000000);
        return ms ? ms : 1;
}

/* Under the lock: names one object, or puts it back in its pending list
 * when one of its meta-objects or its vtable is not classified yet. */
void
name_object (QObject *obj, pid_t tid, bool at_event_loop, const QMetaObject *graphics)
{
        /* A destroyed object left the table under this lock, so a pointer
         * still in it is live: this object or a newer one at the same
         * address, which is pending too (named here only if it passes the
         * same test: see below). */
        ObjectInfo *info = objects.table.find (obj);
        if (!info || info->qt_class)
                return;
        if ((info->creator != tid || !at_event_loop) && info->created_at.frame == nullptr)
                return; /* a native object, not named from here */
        const QMetaObject *chain[max_meta_depth];
        const void *vptr = nullptr;
        int n = meta_chain (obj, chain, &vptr);
        int first_static = -1;
        bool known = true;
        for (int i = 0; i < n && first_static < 0; i++) {
                auto k = meta_static.find (chain[i]);
                if (k == meta_static.end ())
                        known = false;
                else if (k->second)
                        first_static = i;
        }
        /* The vtable the chain was read with: another thread destroying
         * the object may have changed it since. */
        auto origin = vtable_origin.find (vptr);
        /* Made through the binding (its vtable is the binding's), yet no
         * Python subclass: under PySide6 that is also what a subclass says
         * once its wrapper is released, its C++ object about to be
         * deleted. An object C++ code made has no wrapper to release. */
        bool released = known && first_static == 0 && info->created_at.frame &&
                        origin != vtable_origin.end () && origin->second.origin == ORIGIN_PYTHON &&
                        !wrapper_present (obj);
        if (released)
                return; /* left unnamed: it is going */
        /* Made during a Python call, under PySide6, with a C++ library's
         * vtable and no wrapper: either an object C++ code made (a
         * scene's addText(), whose wrapper Python dropped), or one of the
         * binding's being destroyed in another thread with the GIL
         * released, already past its own destructor and the binding's
         * (the vtable is a Qt base class's, metaObject() answers for that
         * base: QGraphicsObject for a QGraphicsTextItem). Put off until
         * it has been seen so for put_off_for_ms: the first is still
         * there then, the second is gone. Not until the next naming
         * only: namings can follow each other within microseconds (each
         * collection's start names objects), and the destroying thread
         * can stall in a base class's destructor (a warning its
         * killTimer() gives, passed on to the app's message handler). */
        if (known && info->created_at.frame && origin != vtable_origin.end () &&
            origin->second.origin == ORIGIN_NATIVE && shiboken_retrieve && !wrapper_present (obj)) {
                uint16_t now = coarse_ms ();
                if (!info->put_off_ms)
                        info->put_off_ms = now;
                if ((uint16_t) (now - info->put_off_ms) < put_off_for_ms) {
                        pending[info->creator].python.push_back (obj);
                        return;
                }
        }
        if (!known || first_static < 0 || origin == vtable_origin.end ()) {
                /* A meta-object or vtable seen for the first time: next time. */
                PendingNames &p = pending[info->creator];
                (info->created_at.frame ? p.python : p.native).push_back (obj);
                return;
        }
        info->qt_class = chain[first_static]->className ();
        info->py_class = first_static > 0 ? host->intern (chain[0]->className ()) : 0;
        info->origin = origin->second.origin;
        info->class_library = origin->second.library;
        if (graphics && chain[0]->inherits (graphics))
                scenes_watch (obj);
}

} // namespace

/* Names objects, the GIL held (if this thread runs Python): objects made
 * by Python code, in any thread, whose creating call has returned (that
 * thread's stack no longer holds the frame at the creating instruction;
 * with the GIL held here, it cannot start a new call meanwhile), and, at
 * this thread's event loop (outside any constructor), the objects native
 * code made here.
 *
 * The class comes from the meta-object chain: dynamic meta-objects (not
 * inside any loaded library) are the binding's Python subclasses, the
 * first static one is the C++ class. metaObject() of a binding's subclass
 * may read its Python wrapper: the GIL is held.
 *
 * Steps alternate between the lock and what must not run under it
 * (Python, the loader's lock). */
__attribute__ ((noinline)) void /* one function to profile (tools/bench-hooks) */
names_resolve (bool at_event_loop)
{
        PerThread &me = this_thread ();
        if (!me.tid)
                me.tid = current_tid ();
        std::vector<QObject *> todo;
        PythonMade python_made;
        take_pending (me.tid, at_event_loop, todo, python_made);
        /* Once, not under the lock: whether the wrapper of an object is
         * still there is asked below, under it. */
        look_for_shiboken ();
        std::vector<QObject *> wait;
        sort_python_made (me.tid, at_event_loop, python_made, todo, wait);
        Classified classified = classify (requeue_and_find_new (wait, todo));
        const QMetaObject *graphics = scenes_graphics_object_meta ();
        std::lock_guard<ProbeLock> guard (hot.lock);
        remember (classified);
        for (QObject *obj : todo)
                name_object (obj, me.tid, at_event_loop, graphics);
}

namespace {

/* GUI thread, from its event loop: names the objects it created and
 * looks at the scenes. Not while a collection runs in another thread: the
 * binding may have released the GIL there inside a C++ destructor, and an
 * object being destroyed must not be asked for its class or scene. */
void
gui_resolve_now ()
{
        if (host->collecting_elsewhere ())
                return;
        scenes_find_widgets ();
        names_resolve (true);
        scenes_look ();
}

} // namespace

void
names_gui_resolve ()
{
        host->with_gil (gui_resolve_now);
}

} // namespace qgc::probe
