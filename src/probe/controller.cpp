/* SPDX-License-Identifier: MIT */
/* controller.cpp: the GUI thread's own QObject (see controller.h). */
#include "config.h"

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QCoreApplication>
#include <QtCore/QMetaObject>
#include <QtCore/QObject>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <cstdint>

#include "controller.h"
#include "messages.h"
#include "names.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

namespace {

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
                /* And the runner's first tick: the collections CPython would
                 * have made while the script started up (imports, the
                 * application's set-up), which the runner makes here when
                 * it makes them, rather than at whichever tick comes first. */
                host->gui_tick ();
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
                names_gui_resolve ();
                threads_name_unnamed ();
                host->gui_tick ();
                messages_keep_handler ();
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

private:
        static constexpr int tick_ms = 50;
        QTimer timer;
        int64_t due_ns = 0;
        int64_t start_ns = 0;
        int64_t stop_ns = 0;
};

Controller *controller;

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
                QObject::connect (d, &QAbstractEventDispatcher::awake, controller,
                                  names_gui_resolve);
        QObject::connect (QCoreApplication::instance (), &QObject::destroyed,
                          [] { controller = nullptr; });
}

} // namespace

void
controller_start_soon ()
{
        /* The dispatcher may not be complete inside the application's
         * constructor; start the timers from its first loop iteration. */
        QMetaObject::invokeMethod (QCoreApplication::instance (), start_controller,
                                   Qt::QueuedConnection);
}

} // namespace qgc::probe
