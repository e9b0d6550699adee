/* SPDX-License-Identifier: MIT */
/* guard.h: the per-thread re-entry guard of the hooks and the message handler. */
#pragma once

#include "threads.h"

namespace qgc::probe {

/* Held while the probe itself works in a thread: in a hook, in the message
 * handler, or around a Qt call of its own that may create a QObject
 * (QThread::currentThread() builds a QAdoptedThread for a thread Qt has
 * not seen) or print a warning. A hook or the handler that this work sets
 * off in the same thread finds the guard held and records nothing, so the
 * probe's own objects and messages are never taken for the app's. Per
 * thread: other threads' hooks run meanwhile as usual.
 *
 * RAII, as GammaRay's ProbeGuard: the flag is set on construction and put
 * back as it was on destruction, on every return path. It is a field of
 * the caller's PerThread block, passed in rather than looked up: in a
 * dlopened module every thread-local access is a call (threads.h). Only
 * that plain bool is touched: no allocation, no lock, no Qt call. */
class ProbeGuard
{
public:
        explicit ProbeGuard (PerThread &me) : me (me), outermost (!me.in_hook)
        {
                me.in_hook = true;
        }
        ~ProbeGuard () { me.in_hook = !outermost; }

        /* False when the thread was inside the probe already: the caller
         * then does nothing of its own. */
        bool entered () const { return outermost; }

        ProbeGuard (const ProbeGuard &) = delete;
        ProbeGuard &operator= (const ProbeGuard &) = delete;

private:
        PerThread &me;
        const bool outermost;
};

} // namespace qgc::probe
