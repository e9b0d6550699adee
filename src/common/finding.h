/* SPDX-License-Identifier: MIT */
/* finding.h: the one data type every part of qgc-check agrees on.
 *
 * A finding is one kind of thread-safety violation seen in the checked
 * application. Identical findings are grouped: a group carries a count and
 * the time the first one was seen. Strings are interned in the channel and
 * referred to by id (0 means "none").
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum finding_kind {
        FINDING_OFF_THREAD_FINALIZATION = 1, /* QObject destroyed off its thread */
        FINDING_THREAD_WARNING = 2,          /* Qt's own wrong-thread warning */
        FINDING_AT_RISK_CYCLE = 3,           /* unreachable cycle that would race */
        FINDING_KIND_MAX
};

enum finding_cause {
        CAUSE_NONE = 0,
        CAUSE_CYCLIC_GC = 1, /* a collection ran in the finalizing thread */
        CAUSE_REFCOUNT = 2,  /* a Python thread dropped the last reference */
        CAUSE_NATIVE = 3,    /* C++ destroyed it in a thread without Python */
        CAUSE_MAX
};

enum gc_trigger {
        GC_TRIGGER_NONE = 0,      /* no collection running */
        GC_TRIGGER_AUTOMATIC = 1, /* allocation threshold reached */
        GC_TRIGGER_EXPLICIT = 2,  /* gc.collect() */
};

/* What the tool saw that makes a finding a real hazard (risk "high")
 * rather than only against Qt's rule (risk "rule"). */
enum finding_evidence {
        EVIDENCE_WIDGET = 1 << 0,          /* a QWidget */
        EVIDENCE_WINDOW = 1 << 1,          /* a QWindow */
        EVIDENCE_TIMERS = 1 << 2,          /* had active timers (Qt warned) */
        EVIDENCE_SOCKET_NOTIFIER = 1 << 3, /* had a socket notifier (Qt warned) */
        EVIDENCE_LIVE_PARENT = 1 << 4,     /* its parent lives on in the owning thread */
        EVIDENCE_QT_WARNING = 1 << 5,      /* Qt itself warned about the thread */
        EVIDENCE_POSTED_EVENTS = 1 << 6,   /* events posted to it, not yet delivered */
        EVIDENCE_IN_SCENE = 1 << 7,        /* a graphics item still in a live scene */
        EVIDENCE_EVENT_FILTER = 1 << 8,    /* an event filter of an object still alive */
        EVIDENCE_MAX = 1 << 9,
};

static inline const char *
finding_evidence_name (uint32_t bit)
{
        switch (bit) {
        case EVIDENCE_WIDGET: return "widget";
        case EVIDENCE_WINDOW: return "window";
        case EVIDENCE_TIMERS: return "active-timers";
        case EVIDENCE_SOCKET_NOTIFIER: return "socket-notifier";
        case EVIDENCE_LIVE_PARENT: return "live-parent";
        case EVIDENCE_QT_WARNING: return "qt-warning";
        case EVIDENCE_POSTED_EVENTS: return "posted-events";
        case EVIDENCE_IN_SCENE: return "in-scene";
        case EVIDENCE_EVENT_FILTER: return "event-filter";
        default: return "unknown";
        }
}

/* Who made the object (see the probe's ObjectInfo). */
enum finding_origin {
        ORIGIN_UNKNOWN = 0, /* not named (unresolved) */
        ORIGIN_PYTHON = 1,  /* through the binding: a class of its, or a Python subclass */
        ORIGIN_NATIVE = 2,  /* by C++ code (Qt's own, or a C++ library): no wrapper owns it */
};

static inline const char *
finding_origin_name (uint32_t origin)
{
        switch (origin) {
        case ORIGIN_PYTHON: return "python";
        case ORIGIN_NATIVE: return "native";
        default: return NULL;
        }
}

/* Whether the thread that owns the object runs an event loop, where a
 * deleteLater() or a queued call to it would run (see the probe's
 * threads_event_loop): it decides which fix can work. */
enum finding_loop {
        LOOP_UNKNOWN = 0, /* not asked (thread warnings, at-risk cycles) */
        LOOP_NONE = 1,    /* a worker that runs none: a pool thread, a Python thread */
        LOOP_RUNS = 2,    /* a QThread inside exec() */
        LOOP_GUI = 3,     /* the GUI thread: runs one if it dispatched events for
                           * the script (the channel's script_loop_ran says, at
                           * the end; the tool's loop after a script that
                           * returned without one is not the app's) */
};

/* The class of an object that died before its creating thread named it. */
#define FINDING_CLASS_UNRESOLVED "(unresolved)"

#define FINDING_NATIVE_FRAMES 40

struct finding {
        uint32_t kind;               /* enum finding_kind */
        uint32_t cause;              /* enum finding_cause */
        int32_t gc_generation;       /* -1: no collection running */
        uint32_t gc_trigger;         /* enum gc_trigger */
        uint32_t qt_class;           /* string ids from here on */
        uint32_t py_class;
        uint32_t object_name;
        uint32_t owner_thread;
        uint32_t finalizing_thread;
        uint32_t message;            /* thread-warning text */
        uint32_t creation_stack;     /* pyframe.h lines, innermost first */
        uint32_t creation_site;      /* its line of the call that made the object: the
                                      * innermost outside the object's own constructors */
        uint32_t finalization_stack; /* same format */
        uint32_t children;           /* child QObjects destroyed with it */
        uint32_t test;               /* test running when it happened (pytest id) */
        uint32_t creation_test;      /* test running when the object was created */
        uint32_t evidence;           /* enum finding_evidence bits */
        uint32_t origin;             /* enum finding_origin */
        uint32_t class_library;      /* the library of its C++ class (vtable), native only */
        uint32_t parents;            /* its QObject parents when it died, nearest
                                      * first: "Class (PyClass)" lines */
        /* Return addresses in the thread when it happened, innermost first,
         * 0 after the last: raw, named later (channel_describe_native_stacks). */
        uint64_t native_frames[FINDING_NATIVE_FRAMES];
        uint32_t during_teardown;    /* 1: made after the script ended (its
                                      * threads joined, atexit, Py_Finalize) */
        uint32_t owner_event_loop;   /* enum finding_loop, when it died */
};

static inline const char *
finding_kind_name (uint32_t kind)
{
        switch (kind) {
        case FINDING_OFF_THREAD_FINALIZATION: return "off-thread-finalization";
        case FINDING_THREAD_WARNING: return "thread-warning";
        case FINDING_AT_RISK_CYCLE: return "at-risk-cycle";
        default: return "unknown";
        }
}

static inline const char *
finding_cause_name (uint32_t cause)
{
        switch (cause) {
        case CAUSE_CYCLIC_GC: return "cyclic-gc";
        case CAUSE_REFCOUNT: return "refcount";
        case CAUSE_NATIVE: return "native";
        default: return "none";
        }
}

static inline const char *
gc_trigger_name (uint32_t trigger)
{
        switch (trigger) {
        case GC_TRIGGER_AUTOMATIC: return "automatic";
        case GC_TRIGGER_EXPLICIT: return "explicit";
        default: return "none";
        }
}
