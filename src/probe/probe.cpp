/* probe.cpp: the Qt side of qgc-check (see probe.h for the contract).
 *
 * Modelled on GammaRay's probe: hooks installed once through qtHookData,
 * previous hooks chained, re-entry guarded per thread, class names
 * resolved later in the GUI thread (when the creation hook fires, only
 * QObject's constructor has run and metaObject() still says QObject).
 */
#include "config.h"

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QCoreApplication>
#include <QtCore/QMetaObject>
#include <QtCore/QObject>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtWidgets/QGraphicsObject>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include <dlfcn.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "object-table.h"
#include "probe.h"

/* Exported by QtCore of every Qt 6 as qtHookData@@Qt_6; declared here
 * because wheels of Qt ship no private headers. Indices from
 * QtCore/private/qhooks_p.h, stable across Qt 6. */
QT_BEGIN_NAMESPACE
extern Q_CORE_EXPORT quintptr qtHookData[];
QT_END_NAMESPACE

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

const probe_host *host;
ObjectHook prev_add;
ObjectHook prev_remove;
StartupHook prev_startup;
std::atomic<QtMessageHandler> prev_message_handler;

/* Qt 6.8 has QThread::isCurrentThread(), free of side effects; earlier Qt
 * only has QThread::currentThread(), which creates a QAdoptedThread (a
 * QObject) in a foreign thread: the re-entry guard covers that. */
using IsCurrentFn = bool (*) (const QThread *);
IsCurrentFn is_current_thread_fn;

struct Collateral {
        uint32_t children;
        uint32_t evidence;
};

/* Everything the hooks keep per thread, in one thread-local block: the
 * probe is a dlopened module, where every thread-local access is a call. */
struct PerThread {
        bool in_hook;
        bool initialised;
        bool registered;
        QThread *self; /* this thread's QThread, once an object made here said */
        pid_t tid;
        /* Qt's own warnings in ~QObject/~QTimer/~QSocketNotifier say that
         * the object dying in this thread still had timers or notifiers:
         * evidence for the next destruction hook of this thread (the
         * object itself, or a child folded into it). */
        uint32_t pending_evidence;
        /* Children die inside their parent's ~QObject, before the parent's
         * own hook fires: they are counted into the parent's finding
         * rather than reported one by one. Parent -> children so far. */
        std::unordered_map<QObject *, Collateral> *collateral;
        ~PerThread ();
};
thread_local PerThread per_thread;

struct ObjectInfo {
        /* Resolved in the creating thread once the object is complete:
         * the C++ class (the most derived static meta-object) and the
         * Python subclass that the binding built it for, if any. */
        const char *qt_class; /* static string, or null until resolved */
        uint32_t py_class;    /* string id, 0: none or not resolved */
        uint32_t creation_stack;
        uint32_t creation_test; /* the pytest test running then */
        pid_t creator;
        probe_frame_point created_at; /* the Python call that made it, if any */
};

struct ThreadInfo {
        uint32_t name; /* string id, 0 until known */
        pid_t tid;
        bool ended; /* the OS thread has exited */
};

/* Guards everything below. Never held across Python, and taken inside
 * hooks only around table updates: nothing that waits is called under it. */
std::mutex lock;
qgc::ObjectTable<QObject, ObjectInfo> objects;
std::unordered_map<const QThread *, ThreadInfo> threads;
/* Meta-object -> static (in a loaded library: a C++ class) or dynamic
 * (made at run time by the binding for a Python subclass). */
std::unordered_map<const QMetaObject *, bool> meta_static;
QThread *gui_thread;

/* Graphics objects: the scene each was in when the GUI thread last looked
 * (a graphics item leaves its scene inside ~QGraphicsItem, before the
 * QObject hook fires), and each such scene's vtable pointer at that look
 * (it changes once the scene's own destructor runs). QtWidgets is looked
 * up at run time: the probe must not load a Qt of its own. */
struct GraphicsEntry {
        QObject *scene; /* at the last look, or null */
        uint32_t slot;  /* in graphics_slots */
};
std::unordered_map<QObject *, GraphicsEntry> item_scene;
std::unordered_map<QObject *, const void *> scene_vptr;
/* The same objects in a list the GUI thread walks a bounded stretch of per
 * tick (a null slot is free), so a scene of a million items costs each
 * tick no more than a small one. */
std::vector<QObject *> graphics_slots;
std::vector<uint32_t> free_graphics_slots;
size_t graphics_cursor;
constexpr size_t scene_looks_per_tick = 20000;
using SceneFn = QObject *(*) (const void *item);
SceneFn item_scene_fn;
std::atomic<const QMetaObject *> graphics_object_meta;
std::atomic<int64_t> widgets_looked_ns;
std::string qtcore_dir;

class Controller;
Controller *controller;

int64_t
now_ns ()
{
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

pid_t
current_tid ()
{
        return (pid_t) syscall (SYS_gettid);
}


/* Registered QThreads, so that a dying object is looked up in `threads`
 * only when it may be one: one bit per hash of the address. */
uint64_t thread_filter[16];

unsigned
filter_bit (const void *p)
{
        return (unsigned) ((reinterpret_cast<uintptr_t> (p) >> 4) * 0x9e3779b97f4a7c15ull >> 54);
}

const void *
vptr_of (const QObject *obj)
{
        return *reinterpret_cast<const void *const *> (obj);
}

/* QObjectData is declared in qobject.h, Qt's public header; its
 * postedEvents counts events posted to the object and not yet delivered
 * (QObject's own inline accessors read the same structure). */
struct ObjectData : QObject {
        static int posted_events (const QObject *obj)
        {
                return static_cast<const ObjectData *> (obj)->d_ptr->postedEvents.loadRelaxed ();
        }
        /* ~QObject (and ~QWidget) set wasDeleted first and
         * isDeletingChildren while they delete the children: a child
         * dying with either set on its parent dies of its parent's
         * destruction, whatever the parent's class. */
        /* ~QWidget clears isWidget before ~QObject (and so this hook)
         * runs, and sets wasWidget. */
        static bool was_widget (const QObject *obj)
        {
                const QObjectData *d = static_cast<const ObjectData *> (obj)->d_ptr.data ();
                return d->isWidget || d->wasWidget;
        }
        static bool dying (const QObject *obj)
        {
                const QObjectData *d = static_cast<const ObjectData *> (obj)->d_ptr.data ();
                return d->wasDeleted || d->isDeletingChildren;
        }
};

/* QtWidgets, once the binding has loaded it (the QtWidgets next to the
 * QtCore in use). Any thread, never under the lock (dlopen takes the
 * loader's lock, and a library's constructors may create QObjects);
 * looked for at most every 100 ms until found. */
void
find_widgets ()
{
        if (graphics_object_meta.load (std::memory_order_acquire) || qtcore_dir.empty ())
                return;
        int64_t now = now_ns (), last = widgets_looked_ns.load ();
        if (now - last < 100000000 || !widgets_looked_ns.compare_exchange_strong (last, now))
                return;
        void *widgets = dlopen ((qtcore_dir + "/libQt6Widgets.so.6").c_str (), RTLD_NOW | RTLD_NOLOAD);
        if (!widgets)
                return;
        auto fn = (SceneFn) dlsym (widgets, "_ZNK13QGraphicsItem5sceneEv");
        auto meta = (const QMetaObject *) dlsym (widgets, "_ZN15QGraphicsObject16staticMetaObjectE");
        if (fn && meta) {
                item_scene_fn = fn;
                graphics_object_meta.store (meta, std::memory_order_release);
        }
        dlclose (widgets); /* stays loaded: the binding holds it */
}

/* The QGraphicsItem inside a QGraphicsObject (a base class at a fixed
 * offset: the layout of public classes is part of Qt's ABI). */
const void *
as_graphics_item (QObject *obj)
{
        return static_cast<const QGraphicsItem *> (static_cast<QGraphicsObject *> (obj));
}

/* Under the lock: a graphics object starts being looked at each tick. */
void
watch_graphics (QObject *obj)
{
        if (item_scene.count (obj))
                return;
        uint32_t slot;
        if (free_graphics_slots.empty ()) {
                slot = (uint32_t) graphics_slots.size ();
                graphics_slots.push_back (obj);
        } else {
                slot = free_graphics_slots.back ();
                free_graphics_slots.pop_back ();
                graphics_slots[slot] = obj;
        }
        item_scene.emplace (obj, GraphicsEntry { nullptr, slot });
}

constexpr int max_meta_depth = 32;

/* Under the lock: the meta-object chain of a complete object, or 0 if it
 * is being destroyed in another thread (a binding may release the GIL
 * around a C++ destructor, and a slot on destroyed() waits for it there):
 * ~QObject has begun, or the object's vtable changed while we looked, as
 * it does at each base class's destructor. Left unnamed then. */
int
meta_chain (QObject *obj, const QMetaObject **chain)
{
        if (ObjectData::dying (obj))
                return 0;
        const void *before = vptr_of (obj);
        int n = 0;
        for (const QMetaObject *m = obj->metaObject (); m && n < max_meta_depth; m = m->superClass ())
                chain[n++] = m;
        if (vptr_of (obj) != before || ObjectData::dying (obj))
                return 0;
        return n;
}

/* Objects not named yet whose creation point is known (they were made
 * by Python code) can be named by any thread holding the GIL once that
 * call has returned; the others only by their creator. */
struct Pending {
        std::vector<QObject *> python;
        std::vector<QObject *> native;
};
std::unordered_map<pid_t, Pending> pending;

bool
same_point (const probe_frame_point &a, const probe_frame_point &b)
{
        return a.frame == b.frame && a.code == b.code && a.lasti == b.lasti;
}

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
 * may read its Python wrapper: the GIL is held. */
void
resolve_now (bool at_event_loop)
{
        PerThread &me = per_thread;
        if (!me.tid)
                me.tid = current_tid ();
        std::vector<QObject *> todo;
        std::vector<std::pair<pid_t, std::vector<QObject *>>> others;
        {
                std::lock_guard<std::mutex> guard (lock);
                for (auto &p : pending) {
                        /* This thread's own native objects only from its
                         * event loop: a collection can start inside a
                         * constructor (one that allocates Python objects,
                         * as PyQt6's slot proxies do). */
                        if (p.first == me.tid && at_event_loop) {
                                todo.insert (todo.end (), p.second.native.begin (), p.second.native.end ());
                                p.second.native.clear ();
                        }
                        /* Objects made by Python code, this thread's too:
                         * once the creating call has returned. */
                        if (!p.second.python.empty ()) {
                                others.emplace_back (p.first, std::move (p.second.python));
                                p.second.python.clear ();
                        }
                }
        }
        /* Other threads' calls still running: their frames and
         * instructions. No lock here: reading Python state allocates. */
        std::vector<std::pair<QObject *, probe_frame_point>> points;
        std::vector<probe_frame_point> stack (256);
        std::vector<QObject *> wait;
        for (auto &o : others) {
                size_t n = host->stack_points (o.first, stack.data (), stack.size ());
                std::lock_guard<std::mutex> guard (lock);
                for (QObject *obj : o.second) {
                        ObjectInfo *info = objects.find (obj);
                        if (!info || info->qt_class)
                                continue;
                        bool running = false;
                        for (size_t i = 0; i < n && n != probe_thread_gone && !running; i++)
                                running = same_point (stack[i], info->created_at);
                        /* A full stack may hide it deeper: wait. */
                        if (running || n == stack.size ())
                                wait.push_back (obj);
                        else
                                todo.push_back (obj);
                }
        }
        std::vector<const QMetaObject *> unknown;
        {
                std::lock_guard<std::mutex> guard (lock);
                for (QObject *obj : wait) {
                        ObjectInfo *info = objects.find (obj);
                        if (info && !info->qt_class)
                                pending[info->creator].python.push_back (obj);
                }
                /* Which meta-objects are new. dladdr() takes the loader's
                 * lock, which dlopen() holds while constructors may create
                 * QObjects (our hook takes this lock): it is called after
                 * this lock is released. */
                for (QObject *obj : todo) {
                        ObjectInfo *info = objects.find (obj);
                        if (!info || info->qt_class)
                                continue;
                        const QMetaObject *chain[max_meta_depth];
                        int n = meta_chain (obj, chain);
                        for (int i = 0; i < n; i++)
                                if (!meta_static.count (chain[i]))
                                        unknown.push_back (chain[i]);
                }
        }
        std::vector<std::pair<const QMetaObject *, bool>> classified;
        for (const QMetaObject *m : unknown) {
                Dl_info dl;
                classified.emplace_back (m, dladdr (m, &dl) != 0);
        }
        const QMetaObject *graphics = graphics_object_meta.load (std::memory_order_acquire);
        std::lock_guard<std::mutex> guard (lock);
        for (auto &c : classified)
                meta_static[c.first] = c.second;
        for (QObject *obj : todo) {
                /* A destroyed object left the table under this lock, so a
                 * pointer still in it is live: this object or a newer one
                 * at the same address, which is pending too (named here
                 * only if it passes the same test: see below). */
                ObjectInfo *info = objects.find (obj);
                if (!info || info->qt_class)
                        continue;
                if ((info->creator != me.tid || !at_event_loop) && info->created_at.frame == nullptr)
                        continue; /* a native object, not named from here */
                const QMetaObject *chain[max_meta_depth];
                int n = meta_chain (obj, chain);
                int first_static = -1;
                bool known = true;
                for (int i = 0; i < n && first_static < 0; i++) {
                        auto k = meta_static.find (chain[i]);
                        if (k == meta_static.end ())
                                known = false;
                        else if (k->second)
                                first_static = i;
                }
                if (!known || first_static < 0) {
                        /* A meta-object seen for the first time: next time. */
                        Pending &p = pending[info->creator];
                        (info->created_at.frame ? p.python : p.native).push_back (obj);
                        continue;
                }
                info->qt_class = chain[first_static]->className ();
                info->py_class = first_static > 0 ? host->intern (chain[0]->className ()) : 0;
                if (graphics && chain[0]->inherits (graphics))
                        watch_graphics (obj);
        }
}

/* GUI thread, the GIL and the lock held: which scene each graphics object
 * is in now. Objects are in the table, so none has reached ~QObject. */
void
look_at_scenes ()
{
        size_t n = graphics_slots.size ();
        for (size_t done = 0; done < n && done < scene_looks_per_tick; done++) {
                if (graphics_cursor >= n)
                        graphics_cursor = 0;
                QObject *obj = graphics_slots[graphics_cursor++];
                if (!obj)
                        continue;
                QObject *scene = item_scene_fn (as_graphics_item (obj));
                item_scene[obj].scene = scene;
                if (scene && objects.find (scene))
                        scene_vptr.emplace (scene, vptr_of (scene));
        }
}

/* GUI thread, from its event loop: names the objects it created and
 * looks at the scenes. Not while a collection runs in another thread: the
 * binding may have released the GIL there inside a C++ destructor, and an
 * object being destroyed must not be asked for its class or scene. */
void
gui_resolve_now ()
{
        if (host->collecting_elsewhere ())
                return;
        find_widgets ();
        resolve_now (true);
        std::lock_guard<std::mutex> guard (lock);
        if (!item_scene.empty ())
                look_at_scenes ();
}

void
gui_resolve ()
{
        host->with_gil (gui_resolve_now);
}

uint32_t
tid_name (pid_t tid)
{
        std::string s = tid > 0 ? "thread-" + std::to_string (tid) : "thread-unknown";
        return host->intern (s.c_str ());
}

/* The name of a thread that owns objects, as far as it is known: the
 * Python name it recorded when it registered, else the one the GUI thread
 * found for it since (its objectName or class), else its thread id. */
uint32_t
thread_name (const QThread *thread)
{
        std::lock_guard<std::mutex> guard (lock);
        auto it = threads.find (thread);
        if (it == threads.end ())
                return host->intern ("thread-unknown");
        return it->second.name ? it->second.name : tid_name (it->second.tid);
}

/* In a process forked from the run (multiprocessing's "fork", os.fork):
 * nothing it does is the run's, and a lock another thread of the parent
 * held at fork() would never be released here. */
bool forked;

void
forked_child ()
{
        forked = true;
        new (&lock) std::mutex ();
}

/* The first hook in a thread: what the thread needs before anything else. */
void
enter_thread (PerThread &me)
{
        if (me.initialised)
                return;
        me.initialised = true;
        if (!me.tid)
                me.tid = current_tid ();
        if (host->thread_init)
                host->thread_init ();
}

/* In a hook, the first time this thread makes an object whose thread()
 * is set (a QAdoptedThread is built before it is its thread's QThread):
 * remember which QThread this OS thread is, and its Python name if it has
 * one (read without running Python). */
void
register_thread (PerThread &me, QThread *thread)
{
        if (!thread)
                return;
        me.registered = true;
        me.self = thread;
        probe_thread_info info {};
        host->describe_thread (&info, false);
        if (!info.name && thread != gui_thread) {
                /* A QThread: named by its objectName, if it was given one
                 * before it started (a plain read, no lock). */
                QString name = thread->objectName ();
                if (!name.isEmpty ())
                        info.name = host->intern (name.toUtf8 ().constData ());
        }
        std::lock_guard<std::mutex> guard (lock);
        threads[thread] = ThreadInfo { info.name, me.tid, false };
        unsigned bit = filter_bit (thread);
        thread_filter[bit / 64] |= 1ull << (bit % 64);
}

PerThread::~PerThread ()
{
        /* The OS thread is exiting: objects it still owns can no longer
         * race with it. */
        if (!registered || !host)
                return;
        std::lock_guard<std::mutex> guard (lock);
        auto it = threads.find (self);
        if (it != threads.end () && it->second.tid == tid)
                it->second.ended = true;
        /* Its Python-made objects can still be named by others (its calls
         * have all returned); objects native code made here cannot. */
        auto p = pending.find (tid);
        if (p != pending.end ())
                p->second.native.clear ();
        delete collateral;
        collateral = nullptr;
}

/* Is `owner` the calling thread's QThread? Qt 6.8's isCurrentThread()
 * answers without side effects. Before it, the registry answers for every
 * thread that made an object; QThread::currentThread() is asked only when
 * neither side is known, since it builds a QAdoptedThread (a QObject) for
 * a thread Qt has not seen. */
bool
is_current (PerThread &me, QThread *owner)
{
        if (is_current_thread_fn)
                return is_current_thread_fn (owner);
        if (me.self)
                return me.self == owner;
        {
                std::lock_guard<std::mutex> guard (lock);
                auto it = threads.find (owner);
                if (it != threads.end () && !it->second.ended)
                        return it->second.tid == me.tid;
        }
        me.self = QThread::currentThread ();
        return me.self == owner;
}

/* Has the owner thread finished? Ended OS threads are known to the
 * registry; QThread::isFinished() covers a QThread whose run() returned
 * before its OS thread exited (it takes only the QThread's own mutex,
 * which Qt never holds while objects are created or destroyed). */
bool
owner_finished (QThread *owner)
{
        {
                std::lock_guard<std::mutex> guard (lock);
                auto it = threads.find (owner);
                if (it != threads.end () && it->second.ended)
                        return true;
        }
        return owner->isFinished ();
}

/* GUI thread, from its tick: names for registered threads that had none
 * (a QThread has no Python name: its objectName, else its class). */
void
name_threads ()
{
        std::vector<std::pair<const QThread *, pid_t>> unnamed;
        {
                std::lock_guard<std::mutex> guard (lock);
                for (auto &t : threads)
                        if (!t.second.name && !t.second.ended && t.first)
                                unnamed.emplace_back (t.first, t.second.tid);
        }
        for (auto &u : unnamed) {
                std::lock_guard<std::mutex> guard (lock);
                /* Still registered (a dying QThread leaves under this lock)
                 * and owned by this thread: nobody else destroys it now. */
                auto it = threads.find (u.first);
                if (it == threads.end () || it->second.name || u.first->thread () != gui_thread)
                        continue;
                QString name = u.first->objectName ();
                const char *cls = u.first->metaObject ()->className ();
                std::string s;
                if (!name.isEmpty ())
                        s = name.toStdString ();
                else if (strcmp (cls, "QThread") != 0)
                        s = std::string (cls) + "-" + std::to_string (u.second);
                else
                        continue; /* thread-<tid> until it has a name */
                it->second.name = host->intern (s.c_str ());
        }
}

class Controller : public QObject
{
public:
        Controller ()
        {
                start_ns = now_ns ();
                connect (&timer, &QTimer::timeout, this, &Controller::tick);
                connect (QCoreApplication::instance (), &QCoreApplication::aboutToQuit, this,
                         [] { host->heartbeat (0); });
                /* Precise: its lateness is measured (a coarse timer may
                 * fire 5% off on purpose). */
                timer.setTimerType (Qt::PreciseTimer);
                timer.start (tick_ms);
                due_ns = now_ns () + tick_ms * 1000000ll;
                /* This runs from the loop's first iteration: a beat now
                 * arms the hang watch even if the loop never turns again. */
                host->heartbeat (QThread::currentThread ()->loopLevel ());
        }

        void tick ()
        {
                /* Due times as Qt keeps them for a precise timer: one
                 * interval after the last due time, or after now if that
                 * has passed already. */
                int64_t fired = now_ns ();
                host->loop_lateness (fired - due_ns);
                due_ns += tick_ms * 1000000ll;
                if (due_ns <= fired)
                        due_ns = fired + tick_ms * 1000000ll;
                QThread *gui = QThread::currentThread ();
                host->heartbeat (gui->loopLevel ());
                gui_resolve ();
                name_threads ();
                host->gui_tick ();
                keep_message_handler ();
                if (host->duration_s <= 0)
                        return;
                int64_t now = now_ns ();
                if (now - start_ns < (int64_t) (host->duration_s * 1e9))
                        return;
                if (!stop_ns) {
                        /* Stop the workers first, so that the script's own
                         * teardown after exec() returns is not stressed. */
                        host->stop_stress ();
                        stop_ns = now;
                }
                /* exit() and not quit(): Qt 6.4's quit() does nothing outside
                 * exec(); repeating it also ends nested loops and modal
                 * dialogs the script opens afterwards. */
                if (host->stress_running () == 0 || now - stop_ns > 1000000000)
                        QCoreApplication::exit (0);
        }

        static void keep_message_handler ();

private:
        static constexpr int tick_ms = 50;
        QTimer timer;
        int64_t due_ns = 0;
        int64_t start_ns = 0;
        int64_t stop_ns = 0;
};

void on_message (QtMsgType type, const QMessageLogContext &context, const QString &msg);

void
Controller::keep_message_handler ()
{
        /* A handler the script installs replaces ours; take it back and
         * pass every message on to it. */
        QtMessageHandler current = qInstallMessageHandler (on_message);
        if (current != on_message)
                prev_message_handler = current;
}

void
start_controller ()
{
        if (controller || !QCoreApplication::instance ())
                return;
        controller = new Controller ();
        /* Name the GUI thread's new objects each time its event loop wakes
         * (not only every tick): the sooner an object is named, the fewer
         * die unnamed. The loop is outside any constructor here. */
        if (QAbstractEventDispatcher *d = QAbstractEventDispatcher::instance ())
                QObject::connect (d, &QAbstractEventDispatcher::awake, controller, gui_resolve);
        QObject::connect (QCoreApplication::instance (), &QObject::destroyed,
                          [] { controller = nullptr; });
}

void
on_startup ()
{
        if (prev_startup)
                prev_startup ();
        host->app_started ();
        /* The dispatcher may not be complete inside the application's
         * constructor; start the timers from its first loop iteration. */
        QMetaObject::invokeMethod (QCoreApplication::instance (), start_controller,
                                   Qt::QueuedConnection);
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
        enter_thread (me);
        host->count_object (true);
        if (!me.registered)
                register_thread (me, obj->thread ());
        ObjectInfo info { nullptr, 0, 0, host->current_test (), me.tid, { nullptr, nullptr, 0 } };
        host->capture_creation (&info.creation_stack, &info.created_at);
        {
                std::lock_guard<std::mutex> guard (lock);
                objects.insert (obj, info);
                Pending &p = pending[me.tid];
                (info.created_at.frame ? p.python : p.native).push_back (obj);
        }
        me.in_hook = false;
}

/* Under the lock, as a graphics object or scene dies: was the object in a
 * scene at the GUI thread's last look, one that is still alive and not in
 * its own destructor (its vtable pointer unchanged)? */
bool
forget_graphics (QObject *obj)
{
        bool live = false;
        auto it = item_scene.find (obj);
        if (it != item_scene.end ()) {
                QObject *scene = it->second.scene;
                graphics_slots[it->second.slot] = nullptr;
                free_graphics_slots.push_back (it->second.slot);
                item_scene.erase (it);
                if (scene && objects.find (scene)) {
                        auto sv = scene_vptr.find (scene);
                        live = sv != scene_vptr.end () && sv->second == vptr_of (scene);
                }
        }
        scene_vptr.erase (obj);
        return live;
}

/* A finding of the calling thread: its name, its Python stack, and what
 * the collector was doing in it, which decides the cause. */
finding
finding_here (uint32_t kind)
{
        probe_thread_info ti {};
        host->describe_thread (&ti, true);
        finding f {};
        f.kind = kind;
        f.cause = ti.gc_generation >= 0 ? CAUSE_CYCLIC_GC
                  : ti.has_python       ? CAUSE_REFCOUNT
                                        : CAUSE_NATIVE;
        f.gc_generation = ti.gc_generation;
        f.gc_trigger = ti.gc_trigger;
        PerThread &me = per_thread;
        if (!me.tid)
                me.tid = current_tid ();
        f.finalizing_thread = ti.name ? ti.name : me.self ? thread_name (me.self) : tid_name (me.tid);
        f.finalization_stack = ti.stack;
        return f;
}

void
report_off_thread (QObject *obj, QThread *owner, const ObjectInfo &info, uint32_t children,
                   uint32_t evidence)
{
        finding f = finding_here (FINDING_OFF_THREAD_FINALIZATION);
        /* Unresolved: it died before its creating thread could name it
         * (~QObject is running: its meta-object says QObject now). */
        f.qt_class = host->intern (info.qt_class ? info.qt_class : FINDING_CLASS_UNRESOLVED);
        f.py_class = info.py_class;
        f.object_name = host->intern (obj->objectName ().toUtf8 ().constData ());
        f.owner_thread = thread_name (owner);
        f.creation_stack = info.creation_stack;
        f.creation_test = info.creation_test;
        f.children = children;
        f.evidence = evidence;
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
        bool in_live_scene = false;
        unsigned bit = filter_bit (obj);
        {
                std::lock_guard<std::mutex> guard (lock);
                objects.take (obj, &info);
                if (thread_filter[bit / 64] & (1ull << (bit % 64)))
                        threads.erase (reinterpret_cast<QThread *> (obj));
                if (!item_scene.empty () || !scene_vptr.empty ())
                        in_live_scene = forget_graphics (obj);
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
        enter_thread (me);
        if (owner && !is_current (me, owner) && !owner_finished (owner)) {
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
                QObject *parent = obj->parent ();
                if (parent && ObjectData::dying (parent)) {
                        Collateral &c = (*collateral)[parent];
                        c.children += 1 + own.children;
                        c.evidence |= evidence;
                } else {
                        if (parent)
                                evidence |= EVIDENCE_LIVE_PARENT;
                        report_off_thread (obj, owner, info, own.children, evidence);
                }
        }
        me.in_hook = false;
}

bool
is_thread_warning (const QString &msg)
{
        static const char *const patterns[] = {
                "another thread",
                "different thread",
                "outside the GUI thread",
                "outside the main thread",
                "not the GUI thread",
                "Timers can only be used with threads started with QThread",
        };
        for (const char *p : patterns)
                if (msg.contains (QLatin1String (p)))
                        return true;
        return false;
}

void
on_message (QtMsgType type, const QMessageLogContext &context, const QString &msg)
{
        if (!per_thread.in_hook && !forked) {
                per_thread.in_hook = true;
                if (type == QtFatalMsg) {
                        host->fatal_message (msg.toUtf8 ().constData ());
                } else if (is_thread_warning (msg)) {
                        if (msg.contains (QLatin1String ("Timers cannot be stopped")) ||
                            msg.contains (QLatin1String ("Possibly trying to stop from a different thread")))
                                per_thread.pending_evidence |= EVIDENCE_TIMERS;
                        if (msg.contains (QLatin1String ("Socket notifiers")))
                                per_thread.pending_evidence |= EVIDENCE_SOCKET_NOTIFIER;
                        finding f = finding_here (FINDING_THREAD_WARNING);
                        f.message = host->intern (msg.toUtf8 ().constData ());
                        f.evidence = EVIDENCE_QT_WARNING;
                        host->add_finding (&f);
                }
                per_thread.in_hook = false;
        }
        if (QtMessageHandler prev = prev_message_handler.load ()) {
                prev (type, context, msg);
        } else {
                QString text = qFormatLogMessage (type, context, msg);
                fprintf (stderr, "%s\n", text.toLocal8Bit ().constData ());
        }
}

} // namespace

extern "C" Q_DECL_EXPORT void
qgc_probe_resolve_classes (void)
{
        /* A collection starts in the calling thread (GIL held): the
         * objects this thread made are complete (it is running Python,
         * not a constructor of theirs). */
        if (host && !host->collecting_elsewhere ())
                resolve_now (false);
}

extern "C" Q_DECL_EXPORT void
qgc_probe_retake_messages (void)
{
        if (host)
                Controller::keep_message_handler ();
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
                qtcore_dir = path;
                qtcore_dir.erase (qtcore_dir.find_last_of ('/') == std::string::npos
                                          ? 0
                                          : qtcore_dir.find_last_of ('/'));
                void *qtcore = dlopen (dl.dli_fname, RTLD_NOW | RTLD_NOLOAD);
                if (qtcore) {
                        is_current_thread_fn = (IsCurrentFn) dlsym (qtcore, "_ZNK7QThread15isCurrentThreadEv");
                        dlclose (qtcore);
                }
        }
        host->qt_loaded (qVersion (), path);

        per_thread.in_hook = true;
        per_thread.tid = current_tid ();
        gui_thread = QThread::currentThread ();
        register_thread (per_thread, gui_thread);
        per_thread.in_hook = false;

        prev_add = reinterpret_cast<ObjectHook> (qtHookData[HookAddQObject]);
        prev_remove = reinterpret_cast<ObjectHook> (qtHookData[HookRemoveQObject]);
        prev_startup = reinterpret_cast<StartupHook> (qtHookData[HookStartup]);
        qtHookData[HookAddQObject] = reinterpret_cast<quintptr> (&on_add);
        qtHookData[HookRemoveQObject] = reinterpret_cast<quintptr> (&on_remove);
        qtHookData[HookStartup] = reinterpret_cast<quintptr> (&on_startup);
        Controller::keep_message_handler ();

        /* The binding may have made the application before we arrived. */
        if (QCoreApplication::instance ()) {
                host->app_started ();
                QMetaObject::invokeMethod (QCoreApplication::instance (), start_controller,
                                           Qt::QueuedConnection);
        }
        return true;
}
