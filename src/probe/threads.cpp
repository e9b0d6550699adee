/* SPDX-License-Identifier: MIT */
/* threads.cpp: the per-thread block and the registry of QThreads that
 * own objects (see threads.h). */
#include "config.h"

#include <QtCore/QString>
#include <QtCore/QThread>

#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <dlfcn.h>

#include "guard.h"
#include "names.h"
#include "objects.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

uint64_t thread_filter[16];

namespace {

/* Made in a thread as it registers (threads_register); its destructor
 * runs as the OS thread exits, while the thread's block (this_thread ())
 * is still there. */
struct ThreadExit {
        ~ThreadExit ();
};

struct ThreadInfo {
        uint32_t name; /* string id, 0 until known */
        pid_t tid;
        bool ended; /* the OS thread has exited */
};

/* Under the lock. */
std::unordered_map<const QThread *, ThreadInfo> threads;
QThread *gui_thread;


/* Qt 6.8 has QThread::isCurrentThread(), free of side effects; earlier Qt
 * only has QThread::currentThread(), which creates a QAdoptedThread (a
 * QObject) in a foreign thread: the re-entry guard covers that. */
using IsCurrentFn = bool (*) (const QThread *);
IsCurrentFn is_current_thread_fn;


uint32_t
tid_name (pid_t tid)
{
        std::string s = tid > 0 ? "thread-" + std::to_string (tid) : "thread-unknown";
        return host->intern (s.c_str ());
}

} // namespace

void
threads_bind_qtcore (void *qtcore)
{
        is_current_thread_fn = (IsCurrentFn) dlsym (qtcore, "_ZNK7QThread15isCurrentThreadEv");
}

/* Guarded like a hook: QThread::currentThread() may build the thread's
 * QThread object here. */
void
threads_register_gui ()
{
        PerThread &me = this_thread ();
        ProbeGuard guard (me);
        me.tid = current_tid ();
        gui_thread = QThread::currentThread ();
        threads_register (me, gui_thread);
}

void
threads_first_enter (PerThread &me)
{
        me.initialised = true;
        if (!me.tid)
                me.tid = current_tid ();
        if (host->thread_init)
                host->thread_init ();
        me.counts = host->object_counts ? host->object_counts () : nullptr;
}

void
threads_count_shared (bool created)
{
        host->count_object (created);
}

/* A QAdoptedThread is built before it is its thread's QThread, hence
 * "whose thread() is set". The Python name is read without running
 * Python. */
void
threads_register (PerThread &me, QThread *thread)
{
        if (!thread)
                return;
        me.registered = true;
        me.self = thread;
        /* Local to this function, so that no other thread-local needs an
         * initialisation call: this one is made (and its destructor
         * registered) the first time a thread gets here. */
        static thread_local ThreadExit thread_exit;
        (void) &thread_exit;
        probe_thread_info info {};
        host->describe_thread (&info, false);
        if (!info.name && thread != gui_thread) {
                /* A QThread: named by its objectName, if it was given one
                 * before it started (a plain read, no lock). */
                QString name = thread->objectName ();
                if (!name.isEmpty ())
                        info.name = host->intern (name.toUtf8 ().constData ());
        }
        std::lock_guard<ProbeLock> guard (hot.lock);
        threads[thread] = ThreadInfo { info.name, me.tid, false };
        unsigned bit = threads_filter_bit (thread);
        __atomic_store_n (&thread_filter[bit / 64], thread_filter[bit / 64] | 1ull << (bit % 64),
                          __ATOMIC_RELAXED);
}

void
threads_forget (QObject *obj)
{
        if (threads_maybe_registered (obj))
                threads.erase (reinterpret_cast<QThread *> (obj));
}

ThreadExit::~ThreadExit ()
{
        /* The OS thread is exiting: objects it still owns can no longer
         * race with it. */
        PerThread &me = this_thread ();
        if (!me.registered || !host)
                return;
        std::lock_guard<ProbeLock> guard (hot.lock);
        auto it = threads.find (me.self);
        if (it != threads.end () && it->second.tid == me.tid)
                it->second.ended = true;
        young_thread_exit (me);
        names_thread_ended (me.tid);
        delete me.collateral;
        me.collateral = nullptr;
}

/* This thread's QThread, once an object made here said which it is,
 * answers with a comparison. Else Qt 6.8's isCurrentThread() answers
 * without side effects; before 6.8, the registry answers for every thread
 * that made an object; QThread::currentThread() is asked only when
 * neither side is known,
 * since it builds a QAdoptedThread (a QObject) for a thread Qt has not
 * seen. */
bool
threads_is_current (PerThread &me, QThread *owner)
{
        if (__builtin_expect (me.self != nullptr, 1))
                return me.self == owner;
        if (is_current_thread_fn)
                return is_current_thread_fn (owner);
        {
                std::lock_guard<ProbeLock> guard (hot.lock);
                auto it = threads.find (owner);
                if (it != threads.end () && !it->second.ended)
                        return it->second.tid == me.tid;
        }
        me.self = QThread::currentThread ();
        return me.self == owner;
}

/* Ended OS threads are known to the registry; QThread::isFinished()
 * covers a QThread whose run() returned before its OS thread exited (it
 * takes only the QThread's own mutex, which Qt never holds while objects
 * are created or destroyed). */
bool
threads_owner_finished (QThread *owner)
{
        {
                std::lock_guard<ProbeLock> guard (hot.lock);
                auto it = threads.find (owner);
                if (it != threads.end () && it->second.ended)
                        return true;
        }
        return owner->isFinished ();
}

/* The GUI thread runs one if it dispatched events for the script at all
 * (LOOP_GUI: the supervisor decides at the end; in a script that never
 * calls exec(), processEvents() or qWait(), a deleteLater() or a timer
 * there never runs). Another thread runs one while its loop level is
 * above 0 (QThread::exec(), a QEventLoop::exec() in a Python thread): a
 * pool thread, a ThreadPoolExecutor worker or a QThread whose run() has no
 * exec() never does. QThread::loopLevel() reads the size of the thread
 * data's stack of loops, without a lock and without side effects: the
 * answer is a snapshot, which is all a report needs. The owner has not
 * finished (the caller checked), and an object keeps its thread data,
 * hence its QThread, alive. */
uint32_t
threads_event_loop (QThread *owner)
{
        if (owner == gui_thread)
                return LOOP_GUI;
        return owner->loopLevel () > 0 ? LOOP_RUNS : LOOP_NONE;
}

/* The Python name it recorded when it registered, else the one the GUI
 * thread found for it since (its objectName or class), else its thread
 * id. */
uint32_t
threads_name (const QThread *thread)
{
        std::lock_guard<ProbeLock> guard (hot.lock);
        auto it = threads.find (thread);
        if (it == threads.end ())
                return host->intern ("thread-unknown");
        return it->second.name ? it->second.name : tid_name (it->second.tid);
}

/* A QThread has no Python name: its objectName, else its class. */
void
threads_name_unnamed ()
{
        std::vector<std::pair<const QThread *, pid_t>> unnamed;
        {
                std::lock_guard<ProbeLock> guard (hot.lock);
                for (auto &t : threads)
                        if (!t.second.name && !t.second.ended && t.first)
                                unnamed.emplace_back (t.first, t.second.tid);
        }
        for (auto &u : unnamed) {
                std::lock_guard<ProbeLock> guard (hot.lock);
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

/* Used by the remove hook and the message handler alike: both report
 * what the calling thread is doing. */
finding
threads_finding_here (uint32_t kind)
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
        PerThread &me = this_thread ();
        if (!me.tid)
                me.tid = current_tid ();
        f.finalizing_thread = ti.name   ? ti.name
                              : me.self ? threads_name (me.self)
                                        : tid_name (me.tid);
        f.finalization_stack = ti.stack;
        return f;
}

} // namespace qgc::probe
