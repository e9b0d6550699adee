/* messages.cpp: the probe's Qt message handler (see messages.h). */
#include "config.h"

#include <QtCore/QLatin1String>
#include <QtCore/QString>
#include <QtCore/QtGlobal>

#include <atomic>
#include <cstdio>

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

/* Any thread. Inside a hook of ours, or re-entered from its own work, it
 * records nothing: the message is only passed on. */
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
                        finding f = threads_finding_here (FINDING_THREAD_WARNING);
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
