/* SPDX-License-Identifier: MIT */
/* messages.cpp: the probe's Qt message handler (see messages.h). */
#include "config.h"

#include <QtCore/QLatin1String>
#include <QtCore/QString>
#include <QtCore/QtGlobal>

#include <atomic>
#include <cstdio>

#include "guard.h"
#include "messages.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

namespace {

/* The handler installed before ours (the app's), which every message is
 * passed on to; null: printed to stderr in Qt's format. */
std::atomic<QtMessageHandler> prev_message_handler;

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

/* The re-entry guard held: a qFatal message is reported before the
 * abort; a warning that an object was used from the wrong thread becomes
 * a finding, and what it names (timers, socket notifiers) evidence for the
 * next destruction in this thread. */
void
record_message (PerThread &me, QtMsgType type, const QString &msg)
{
        if (type == QtFatalMsg) {
                host->fatal_message (msg.toUtf8 ().constData ());
                return;
        }
        if (!is_thread_warning (msg))
                return;
        if (msg.contains (QLatin1String ("Timers cannot be stopped")) ||
            msg.contains (QLatin1String ("Possibly trying to stop from a different thread")))
                me.pending_evidence |= EVIDENCE_TIMERS;
        if (msg.contains (QLatin1String ("Socket notifiers")))
                me.pending_evidence |= EVIDENCE_SOCKET_NOTIFIER;
        finding f = threads_finding_here (FINDING_THREAD_WARNING);
        /* A warning is no object's end: its cause is a collection running
         * in this thread (finalizing objects, as a __del__ that stops a
         * timer), else none; never a reference dropped, which no data
         * here says happened. */
        if (f.cause != CAUSE_CYCLIC_GC)
                f.cause = CAUSE_NONE;
        f.message = host->intern (msg.toUtf8 ().constData ());
        f.evidence = EVIDENCE_QT_WARNING;
        host->add_finding (&f);
}

/* Any thread. Inside a hook of ours, or re-entered from its own work, it
 * records nothing: the message is only passed on. Its own guard ends
 * before that: the handler passed on to is the app's, and so is what it
 * does. */
void
on_message (QtMsgType type, const QMessageLogContext &context, const QString &msg)
{
        PerThread &me = this_thread ();
        if (!hot.forked) {
                ProbeGuard guard (me);
                if (guard.entered ())
                        record_message (me, type, msg);
        }
        if (QtMessageHandler prev = prev_message_handler.load ()) {
                prev (type, context, msg);
        } else {
                QString text = qFormatLogMessage (type, context, msg);
                fprintf (stderr, "%s\n", text.toLocal8Bit ().constData ());
        }
}

} // namespace

void
messages_keep_handler ()
{
        /* A handler the script installs replaces ours; take it back and
         * pass every message on to it. */
        QtMessageHandler current = qInstallMessageHandler (on_message);
        if (current != on_message)
                prev_message_handler = current;
}

} // namespace qgc::probe
