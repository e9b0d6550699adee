/* probe.cpp: the Qt side of qgc-check (see probe.h for the contract).
 *
 * Modelled on GammaRay's probe: hooks installed once through qtHookData,
 * previous hooks chained, re-entry guarded per thread, class names
 * resolved later in the GUI thread (when the creation hook fires, only
 * QObject's constructor has run and metaObject() still says QObject).
 */
#include "config.h"

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
#include <string>
#include <unordered_map>
#include <vector>

#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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
QtMessageHandler prev_message_handler;

/* Qt 6.8 has QThread::isCurrentThread(), free of side effects; earlier Qt
 * only has QThread::currentThread(), which creates a QAdoptedThread (a
 * QObject) in a foreign thread: the re-entry guard covers that. */
using IsCurrentFn = bool (*) (const QThread *);
IsCurrentFn is_current_thread_fn;

struct Collateral;

/* Everything the hooks keep per thread, in one thread-local block: the
 * probe is a dlopened module, where every thread-local access is a call. */
struct PerThread {
        bool in_hook;
        bool registered;
        QThread *self; /* QThread::currentThread(), once known */
        /* Qt's own warnings in ~QObject/~QTimer/~QSocketNotifier say that
         * the object dying in this thread still had timers or notifiers:
         * evidence for the next destruction hook of this thread (the
         * object itself, or a child folded into it). */
        uint32_t pending_evidence;
        /* Children die inside their parent's ~QObject, before the parent's
         * own hook fires: they are counted into the parent's finding
         * rather than reported one by one. Parent -> children so far. */
        std::unordered_map<QObject *, Collateral> *collateral;
};
thread_local PerThread per_thread;

struct ObjectInfo {
        const char *qt_class; /* static string of the meta-object, or null */
        uint32_t creation_stack;
        uint32_t py_class;
};

struct ThreadInfo {
        uint32_t name; /* Python's name when the thread first made a QObject */
        pid_t tid;
};

/* Every live QObject -> what we know of it. Open addressing with linear
 * probing and tombstones: no allocation per object on the hot path. */
class ObjectTable
{
public:
        ObjectInfo *find (QObject *key)
        {
                if (!buckets.size ())
                        return nullptr;
                for (size_t i = hash (key);; i = (i + 1) & mask ()) {
                        Slot &s = buckets[i];
                        if (s.key == key)
                                return &s.info;
                        if (s.key == nullptr)
                                return nullptr;
                }
        }

        void insert (QObject *key, const ObjectInfo &info)
        {
                if ((used + 1) * 2 > buckets.size ())
                        grow ();
                size_t i = hash (key);
                Slot *tomb = nullptr;
                for (;; i = (i + 1) & mask ()) {
                        Slot &s = buckets[i];
                        if (s.key == key) {
                                s.info = info;
                                return;
                        }
                        if (s.key == tombstone () && !tomb)
                                tomb = &s;
                        if (s.key == nullptr)
                                break;
                }
                Slot &target = tomb ? *tomb : buckets[i];
                if (!tomb)
                        used++;
                target.key = key;
                target.info = info;
                live++;
        }

        bool take (QObject *key, ObjectInfo *out)
        {
                ObjectInfo *info = find (key);
                if (!info)
                        return false;
                *out = *info;
                Slot *slot = reinterpret_cast<Slot *> (reinterpret_cast<char *> (info) - offsetof (Slot, info));
                slot->key = tombstone ();
                live--;
                return true;
        }

private:
        struct Slot {
                QObject *key;
                ObjectInfo info;
        };
        std::vector<Slot> buckets;
        size_t used = 0; /* live + tombstones */
        size_t live = 0;

        static QObject *tombstone () { return reinterpret_cast<QObject *> (uintptr_t (1)); }
        size_t mask () const { return buckets.size () - 1; }
        size_t hash (QObject *key) const
        {
                uintptr_t k = reinterpret_cast<uintptr_t> (key);
                return (size_t) ((k >> 4) * 0x9e3779b97f4a7c15ull >> 16) & mask ();
        }
        void grow ()
        {
                std::vector<Slot> old;
                old.swap (buckets);
                size_t size = 1024;
                while (size < live * 4)
                        size *= 2;
                buckets.assign (size, Slot { nullptr, ObjectInfo {} });
                used = live = 0;
                for (Slot &s : old)
                        if (s.key && s.key != tombstone ())
                                insert (s.key, s.info);
        }
};

std::mutex lock; /* guards everything below; never held across Python */
ObjectTable objects;
std::vector<QObject *> pending; /* class not resolved yet */
std::unordered_map<const QThread *, ThreadInfo> threads;
std::atomic<bool> resolve_posted;

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

/* In a hook (re-entry guarded): currentThread() may create the thread's
 * QAdoptedThread; its result is then the same for the thread's life. */
bool
is_current (PerThread &me, QThread *thread)
{
        if (is_current_thread_fn)
                return is_current_thread_fn (thread);
        if (!me.self)
                me.self = QThread::currentThread ();
        return me.self == thread;
}

/* Registered QThreads, so that a dying object is looked up in `threads`
 * only when it may be one: one bit per hash of the address. */
uint64_t thread_filter[16];

unsigned
filter_bit (const void *p)
{
        return (unsigned) ((reinterpret_cast<uintptr_t> (p) >> 4) * 0x9e3779b97f4a7c15ull >> 54);
}

/* Objects created by Python code (the GIL held, a Python frame present)
 * are complete whenever another thread holds the GIL; objects created by
 * native code may still be under construction or destruction elsewhere,
 * so only the GUI thread's timer names those. */
std::vector<QObject *> pending_native;

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

void
resolve_list (std::vector<QObject *> &list)
{
        for (QObject *obj : list) {
                /* A destroyed object left the table under this lock, so the
                 * pointer is live. */
                if (ObjectInfo *info = objects.find (obj)) {
                        const QMetaObject *meta = obj->metaObject ();
                        const QMetaObject *graphics = graphics_object_meta.load (std::memory_order_acquire);
                        info->qt_class = meta->className ();
                        if (graphics && meta->inherits (graphics) && !item_scene.count (obj)) {
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
                }
        }
        list.clear ();
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

void
resolve_pending_now ()
{
        find_widgets ();
        std::lock_guard<std::mutex> guard (lock);
        resolve_list (pending);
        resolve_list (pending_native);
        resolve_posted.store (false);
        if (!item_scene.empty ())
                look_at_scenes ();
}

void
resolve_python_created ()
{
        find_widgets ();
        std::lock_guard<std::mutex> guard (lock);
        resolve_list (pending);
}

/* metaObject() of a binding's subclass may read its Python wrapper: hold
 * the GIL, so that no Python thread is deallocating that wrapper now. */
void
resolve_pending ()
{
        host->with_gil (resolve_pending_now);
}

/* The vtable pointer an object has while ~QObject runs: QObject's own. */
const void *qobject_vptr;

bool
in_qobject_destructor (QObject *obj, const char *resolved_class)
{
        /* A live plain QObject has the same vtable; only a resolved
         * subclass that now shows QObject's vtable is being destroyed. */
        return resolved_class && strcmp (resolved_class, "QObject") != 0 &&
               *reinterpret_cast<const void *const *> (obj) == qobject_vptr;
}

struct Collateral {
        uint32_t children;
        uint32_t evidence;
};

uint32_t
thread_name (const QThread *thread, pid_t fallback_tid)
{
        pid_t tid = fallback_tid;
        {
                std::lock_guard<std::mutex> guard (lock);
                auto it = threads.find (thread);
                if (it != threads.end ()) {
                        if (it->second.name)
                                return it->second.name;
                        tid = it->second.tid;
                }
        }
        if (thread) {
                QString name = thread->objectName ();
                if (!name.isEmpty ())
                        return host->intern (name.toUtf8 ().constData ());
        }
        if (tid <= 0)
                return host->intern ("thread-unknown");
        std::string s = "thread-" + std::to_string (tid);
        return host->intern (s.c_str ());
}

void
register_thread (QThread *thread)
{
        per_thread.registered = true;
        probe_thread_info info {};
        host->describe_thread (&info, false);
        std::lock_guard<std::mutex> guard (lock);
        threads[thread] = ThreadInfo { info.name, current_tid () };
        unsigned bit = filter_bit (thread);
        thread_filter[bit / 64] |= 1ull << (bit % 64);
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
                resolve_pending ();
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

void
on_add (QObject *obj)
{
        if (prev_add)
                prev_add (obj);
        PerThread &me = per_thread;
        if (me.in_hook)
                return;
        me.in_hook = true;
        host->count_object (true);
        if (!me.registered)
                register_thread (obj->thread ());
        ObjectInfo info { nullptr, 0, 0 };
        host->capture_creation (&info.creation_stack, &info.py_class);
        bool post = false;
        {
                std::lock_guard<std::mutex> guard (lock);
                objects.insert (obj, info);
                (info.creation_stack ? pending : pending_native).push_back (obj);
                post = controller && !resolve_posted.exchange (true);
        }
        if (post)
                QMetaObject::invokeMethod (controller, resolve_pending, Qt::QueuedConnection);
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
        f.finalizing_thread = ti.name ? ti.name : thread_name (QThread::currentThread (), current_tid ());
        f.finalization_stack = ti.stack;
        return f;
}

void
report_off_thread (QObject *obj, QThread *owner, const ObjectInfo &info, uint32_t children,
                   uint32_t evidence)
{
        finding f = finding_here (FINDING_OFF_THREAD_FINALIZATION);
        /* Unresolved means it died before the GUI thread looked: ~QObject
         * is running, so the meta-object can only say QObject now. */
        f.qt_class = host->intern (info.qt_class ? info.qt_class : obj->metaObject ()->className ());
        f.py_class = info.py_class;
        f.object_name = host->intern (obj->objectName ().toUtf8 ().constData ());
        f.owner_thread = thread_name (owner, 0);
        f.creation_stack = info.creation_stack;
        f.children = children;
        f.evidence = evidence;
        host->add_finding (&f);
}

void
on_remove (QObject *obj)
{
        if (prev_remove)
                prev_remove (obj);
        /* Forget the object even when re-entered (a collection can run
         * inside our own Python calls): no dangling pointer may stay. */
        ObjectInfo info { nullptr, 0, 0 };
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
        if (owner && !is_current (me, owner) && !owner->isFinished ()) {
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
                if (obj->isWidgetType ())
                        evidence |= EVIDENCE_WIDGET;
                if (obj->isWindowType ())
                        evidence |= EVIDENCE_WINDOW;
                if (ObjectData::posted_events (obj) > 0)
                        evidence |= EVIDENCE_POSTED_EVENTS;
                if (in_live_scene)
                        evidence |= EVIDENCE_IN_SCENE;
                QObject *parent = obj->parent ();
                const char *parent_class = nullptr;
                if (parent) {
                        std::lock_guard<std::mutex> guard (lock);
                        if (ObjectInfo *p = objects.find (parent))
                                parent_class = p->qt_class;
                }
                if (parent && in_qobject_destructor (parent, parent_class)) {
                        Collateral &c = (*collateral)[parent];
                        c.children += 1 + own.children;
                        c.evidence |= evidence;
                } else {
                        if (parent && *reinterpret_cast<const void *const *> (parent) != qobject_vptr)
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
        if (!per_thread.in_hook) {
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
        if (prev_message_handler) {
                prev_message_handler (type, context, msg);
        } else {
                QString text = qFormatLogMessage (type, context, msg);
                fprintf (stderr, "%s\n", text.toLocal8Bit ().constData ());
        }
}

} // namespace

extern "C" Q_DECL_EXPORT void
qgc_probe_resolve_classes (void)
{
        if (host)
                resolve_python_created ();
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
        {
                QObject plain;
                qobject_vptr = *reinterpret_cast<const void *const *> (&plain);
        }

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
        register_thread (QThread::currentThread ());
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
