/* SPDX-License-Identifier: MIT */
/* probe.h: the Qt-side probe, loaded into the runner with dlopen() once the
 * script's binding has loaded its QtCore, so that it binds to that Qt.
 *
 * The probe is the only code that includes Qt. It hooks QObject creation
 * and destruction through qtHookData, resolves class names in the GUI
 * thread, compares owning and destroying threads, and drives the GUI
 * thread's heartbeat and the duration limit. Everything it needs from
 * Python comes through struct probe_host, implemented by the runner.
 */
#pragma once

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "common/finding.h"

/* What the runner knows about the calling thread, from Python's side. */
struct probe_thread_info {
        bool has_python;     /* the thread has a Python thread state */
        int gc_generation;   /* generation being collected here, or -1 */
        uint32_t gc_trigger; /* enum gc_trigger */
        uint32_t name;       /* Python's thread name (string id) or 0 */
        uint32_t stack;      /* current Python stack (string id) or 0 */
        bool holds_gil;      /* the thread holds the GIL now */
};

/* Where a Python call is: its frame and the instruction in it, as the
 * frame records it (an address in the code, or an offset: compared, never
 * read). */
struct probe_frame_point {
        const void *frame;
        const void *code;
        const void *instr;
};

/* probe_host.stack_points: the thread has no Python state (any more). */
#define probe_thread_gone ((size_t) -1)

struct probe_host {
        double duration_s; /* 0: no limit */
        /* The findings channel, reached only through these calls: the
         * probe is C++ and the channel's layout is C11 atomics. */
        uint32_t (*intern) (const char *s);
        /* The text of a string id ("" for 0 or an unknown id). */
        const char *(*string) (uint32_t id);
        void (*add_finding) (const struct finding *f);
        void (*count_object) (bool created);
        /* The calling thread's own QObject counts, (made, destroyed): two
         * 64-bit lock-free atomics in the channel that only this thread
         * writes (relaxed). NULL: count through count_object. Once per
         * thread. */
        uint64_t *(*object_counts) (void);
        /* GUI thread: the event loop made progress at this depth. */
        void (*heartbeat) (int loop_level);
        /* GUI thread: its 50 ms timer fired late_ns after it was due. */
        void (*loop_lateness) (int64_t late_ns);
        /* The Qt the probe is bound to. */
        void (*qt_loaded) (const char *version, const char *library_path);
        /* A qFatal message is about to abort the process. */
        void (*fatal_message) (const char *text);
        /* Called in every QObject creation: the creation stack as a string
         * id and the innermost call (0 and null if the thread holds no GIL
         * now). Cheap; never waits, never runs Python code, never starts a
         * collection. */
        void (*capture_creation) (uint32_t *stack, struct probe_frame_point *at);
        /* GIL held: the calls of thread tid now, innermost first, at most
         * max; probe_thread_gone if it has no Python state. */
        size_t (*stack_points) (pid_t tid, struct probe_frame_point *out, size_t max);
        /* Describes the calling thread; the stack only if want_stack and
         * known without waiting. Never waits, never runs Python code. */
        void (*describe_thread) (struct probe_thread_info *info, bool want_stack);
        /* Marks the calling thread's next reads as allowed to fault (see
         * crash_guard_reads in crash.h); NULL ends it. */
        void (*guard_reads) (sigjmp_buf *guard);
        /* The pytest test running now (string id, 0: none), read in place
         * (relaxed atomic load) on every QObject made; any thread. */
        const uint32_t *current_test;
        /* Called once in each thread the first time a hook runs in it
         * (its own alternate signal stack for crash reports): no lock,
         * no Python. */
        void (*thread_init) (void);
        /* A collection runs in another thread now (any thread). */
        bool (*collecting_elsewhere) (void);
        /* Every GUI-thread tick (50 ms) of the event loop. */
        void (*gui_tick) (void);
        /* The application object exists (called in its thread). */
        void (*app_started) (void);
        /* The duration has passed: stop stressing (any thread, no Python). */
        void (*stop_stress) (void);
        /* Runs fn holding the GIL when the calling thread has a Python
         * state (else plainly): while the GUI thread holds it, no Python
         * thread can be destroying wrappers under it. */
        void (*with_gil) (void (*fn) (void));
        /* Stress workers still running (any thread, no Python). */
        unsigned (*stress_running) (void);
        /* Thread-local storage for the probe, cheaper to reach than its
         * own (a dlopened module's costs a call on each access):
         * thread_block_size bytes, aligned to 64 and zero in each new
         * thread, at thread_block_offset bytes from the thread pointer
         * (__builtin_thread_pointer ()), the same offset in every thread. */
        ptrdiff_t thread_block_offset;
        size_t thread_block_size;
};

/* Installs the hooks. Returns false with a message in error when this Qt
 * cannot be hooked. Entry point looked up by name: */
#define PROBE_START_SYMBOL "qgc_probe_start"
typedef bool (*probe_start_fn) (const struct probe_host *host, char *error, size_t size);

bool qgc_probe_start (const struct probe_host *host, char *error, size_t size);

/* Names the objects the calling thread created since its last call. Called
 * by the runner when a collection starts in that thread (GIL held). */
#define PROBE_RESOLVE_SYMBOL "qgc_probe_resolve_classes"
typedef void (*probe_resolve_fn) (void);
void qgc_probe_resolve_classes (void);

/* The creation stack (string id, 0 if unknown) of a live QObject, and its
 * resolved class if qt_class is not NULL. */
#define PROBE_CREATION_SYMBOL "qgc_probe_creation_stack"
typedef uint32_t (*probe_creation_fn) (const void *qobject, const char **qt_class);
uint32_t qgc_probe_creation_stack (const void *qobject, const char **qt_class);

/* The name (string id) of the thread that owns a live QObject, as the
 * probe's findings name owners. Any thread, not from a hook. */
#define PROBE_OWNER_SYMBOL "qgc_probe_owner_thread"
typedef uint32_t (*probe_owner_fn) (const void *qobject);
uint32_t qgc_probe_owner_thread (const void *qobject);

/* The app installed (or removed) filter as an event filter of watched,
 * from Python; addresses of the C++ objects. Any thread, not from a hook. */
#define PROBE_EVENT_FILTER_SYMBOL "qgc_probe_event_filter"
void qgc_probe_event_filter (const void *watched, const void *filter, bool installed);

/* Makes the probe's Qt message handler current again, chaining the one
 * installed since (the app's). Any thread, not from a hook. */
#define PROBE_RETAKE_MESSAGES_SYMBOL "qgc_probe_retake_messages"
void qgc_probe_retake_messages (void);

#ifdef __cplusplus
}
#endif
