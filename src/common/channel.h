/* SPDX-License-Identifier: MIT */
/* channel.h: the findings channel between the runner and the supervisor.
 *
 * One shared, anonymous memory area (memfd + MAP_SHARED) created by the
 * supervisor before it forks. The runner and the probe write into it; the
 * supervisor only reads. Because the mapping is shared memory and not a
 * file descriptor stream, it survives whatever the checked script does:
 * a crash at any instant, os._exit(), or os.closerange() over every fd.
 *
 * Writers publish a record by a release store of its state after filling
 * it; the reader acquires the state before reading the record. Counts are
 * atomic. Nothing here is ever freed or rewritten once published, apart
 * from one field filled in once later (channel_group.native_stack).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "common/finding.h"

#define CHANNEL_MAX_GROUPS 4096
/* The string area: strings in general (thread, class and object names,
 * finalization stacks, messages) fill at most its first 8 MiB; the rest is
 * kept for the strings a finding's group is keyed on and shows (creation
 * stack and site, tests, first finalization stack: channel_intern_finding),
 * room for 4,096 groups of 14 KiB each, so that none of them is ever
 * dropped. The memory is a shared file's: pages never written cost
 * nothing. */
#define CHANNEL_STRINGS_SIZE (64u << 20)
#define CHANNEL_STRINGS_GENERAL (8u << 20)
#define CHANNEL_TEST_SIZE 512
#define CHANNEL_DUMP_SIZE (512u << 10)
#define CHANNEL_TEXT_SIZE 1024
#define CHANNEL_MAX_THREADS 512
#define CHANNEL_OBJECT_COUNTS 256
#define CHANNEL_LATENESS_BUCKETS 1001 /* 1 ms each; the last: 1 s or more */

enum run_phase {
        PHASE_STARTING = 0, /* interpreter starting */
        PHASE_SCRIPT = 1,   /* the script's body runs */
        PHASE_TOOL_LOOP = 2, /* the tool runs an event loop after the body */
        PHASE_TEARDOWN = 3, /* stress stopped, atexit handlers run */
        PHASE_DONE = 4,     /* runner finished; exit status recorded */
};

enum script_outcome {
        OUTCOME_NONE = 0,
        OUTCOME_RETURNED = 1,  /* the body ran to its end */
        OUTCOME_EXIT = 2,      /* sys.exit(n) or os._exit(n) */
        OUTCOME_EXCEPTION = 3, /* uncaught exception */
        OUTCOME_CANNOT_RUN = 4, /* unreadable, not Python, syntax error */
};

/* The outcome's name in every report, NULL for none. */
static inline const char *
script_outcome_name (uint32_t outcome)
{
        switch (outcome) {
        case OUTCOME_RETURNED: return "returned";
        case OUTCOME_EXIT: return "exit";
        case OUTCOME_EXCEPTION: return "exception";
        case OUTCOME_CANNOT_RUN: return "cannot-run";
        default: return NULL;
        }
}

enum slot_state { SLOT_EMPTY = 0, SLOT_WRITING = 1, SLOT_PUBLISHED = 2 };

/* A finding is never dropped: when the groups run short, new kinds of
 * findings are merged into coarser groups whose counts stay exact and
 * whose details are those of their first occurrence. */
enum group_merge {
        MERGE_NONE = 0,  /* one group per distinct finding */
        MERGE_CLASS = 1, /* same kind and Qt class */
        MERGE_KIND = 2,  /* same kind */
};

struct channel_group {
        _Atomic uint32_t state;  /* enum slot_state */
        uint32_t hash;
        uint32_t merged;         /* enum group_merge */
        struct finding finding;
        double first_seen_s;     /* since the runner started */
        _Atomic uint64_t count;
        _Atomic uint64_t children; /* child QObjects destroyed with them */
        /* Set once an occurrence had another objectName than the first
         * one's (which the group keeps): the name is an example. */
        _Atomic uint32_t names_vary;
        /* The first one's native frames, named: string id, 0 until the
         * runner names them (the one field written after publishing). */
        _Atomic uint32_t native_stack;
        /* Set by the supervisor when it merges the channels of a run's
         * processes (channel_merge): the index of the process where the
         * group was first seen (0: the run's main process), and how many
         * other processes' findings were counted into it. */
        uint32_t process;
        uint32_t other_processes;
};

struct channel_stats {
        _Atomic uint64_t objects_created;
        _Atomic uint64_t objects_destroyed;
        _Atomic uint64_t collections;        /* all automatic and explicit */
        _Atomic uint64_t collections_off_gui; /* run outside the GUI thread */
        _Atomic uint64_t dropped;            /* always 0: findings are merged, not dropped */
        _Atomic uint64_t merged;             /* findings counted into a merged group */
        _Atomic uint64_t deferred_by_binding; /* QObjects in garbage cycles the binding defers */
        _Atomic uint64_t strings_dropped;     /* strings channel_intern had no room for */
        _Atomic uint64_t finding_strings_dropped; /* channel_intern_finding's: 0 unless out of memory */
        _Atomic uint64_t guarded_faults;      /* guarded reads abandoned: a class lookup on an object being
                                               * destroyed, an unwind of a corrupt stack */
        _Atomic uint64_t collections_automatic;        /* triggered by allocations */
        _Atomic uint64_t collections_automatic_off_gui;
        /* Of those, the ones made once the process's QCoreApplication
         * existed: the stress runs from then on, and only then are there
         * Qt objects for a collection to destroy in the wrong thread. */
        _Atomic uint64_t collections_automatic_app;
        _Atomic uint64_t collections_automatic_app_off_gui;
        /* Lateness of the GUI thread's 50 ms timer (written by that thread
         * only): how long the event loop kept it waiting. */
        _Atomic uint64_t loop_ticks;
        _Atomic int64_t loop_late_max_ns;
        _Atomic uint64_t loop_late_ms[CHANNEL_LATENESS_BUCKETS];
};

/* The QObjects one thread made and destroyed: written by that thread
 * only (a relaxed load and store, no locked instruction per object), on a
 * cache line of its own (threads making objects at once never share one). */
struct channel_object_counts {
        _Alignas (64) _Atomic uint64_t created;
        _Atomic uint64_t destroyed;
};

/* Python threads by identifier, so that stack dumps can name them. */
struct channel_thread {
        _Atomic uint64_t ident; /* threading.get_ident(); 0 = not yet written */
        int32_t tid;            /* native id */
        char name[64];
};

/* Which process of the run writes a channel (each checked process has its
 * own): the supervisor names findings, crashes and stats by it. */
enum channel_origin {
        PROCESS_MAIN = 0,   /* the runner the supervisor started */
        PROCESS_EXEC = 1,   /* a Python child the run exec'd (src/follow) */
        PROCESS_FORK = 2,   /* forked from a checked process before it loaded Qt */
};

#define CHANNEL_ARGV_SIZE 2048
#define CHANNEL_WORKER_SIZE 32

struct channel_process {
        int32_t ppid;
        uint32_t origin;                  /* enum channel_origin */
        uint32_t argv_length;             /* bytes used in argv */
        char argv[CHANNEL_ARGV_SIZE];     /* NUL-separated, as /proc/PID/cmdline */
        char xdist_worker[CHANNEL_WORKER_SIZE]; /* PYTEST_XDIST_WORKER, or "" */
};

/* Text the runner or its crash handler leaves for the report. */
struct channel_dump {
        _Atomic uint32_t length;
        char text[CHANNEL_DUMP_SIZE];
};

struct channel {
        uint32_t magic;
        uint32_t size;
        /* Written by the runner, read by the supervisor. */
        _Atomic int32_t runner_pid;
        _Atomic uint32_t phase;           /* enum run_phase */
        _Atomic uint32_t outcome;         /* enum script_outcome */
        _Atomic int32_t script_status;    /* sys.exit status or os._exit status */
        _Atomic uint32_t binding_loaded;  /* a Qt binding loaded and probe hooked */
        _Atomic uint32_t app_exists;      /* a QCoreApplication exists */
        _Atomic uint32_t loop_ran;        /* an event loop ran at least once */
        _Atomic uint32_t script_loop_ran; /* the GUI thread dispatched events for the script (exec(),
                                           * processEvents(), qWait(); not the tool's loop after its body) */
        _Atomic int32_t loop_level;       /* GUI thread event loop depth at last beat */
        _Atomic int64_t start_ns;         /* CLOCK_MONOTONIC when the runner started */
        _Atomic int64_t app_ns;           /* when the application appeared */
        _Atomic int64_t heartbeat_ns;     /* last GUI thread heartbeat */
        _Atomic uint32_t workers;         /* stress workers running */
        _Atomic int32_t crash_signal;     /* set by the crash handler */
        _Atomic uint32_t fatal_message;   /* string id of a qFatal message */
        /* The pytest test running now, written by the runner in two
         * halves in turn: a crash in the middle of a write leaves the
         * other, the test before, whole (channel_running_test). */
        _Atomic uint32_t running_test_half; /* 0 or 1: the one complete; 2: none */
        char running_test[2][CHANNEL_TEST_SIZE];
        _Atomic uint32_t dump_ready;      /* the runner answers QGC_SIGNAL_DUMP with stacks */
        _Atomic int32_t collecting_tid;   /* thread running a garbage collection now, 0: none */
        char error[CHANNEL_TEXT_SIZE];    /* runner's error, with _Atomic flag below */
        _Atomic uint32_t error_set;
        char binding[64];                 /* "PyQt6 6.4.2" */
        char qt_version[32];
        char qtcore_path[512];
        struct channel_process process;   /* who writes it */
        struct channel_stats stats;
        struct channel_dump dump;         /* crash or hang stacks */
        _Atomic uint32_t n_threads;
        struct channel_thread threads[CHANNEL_MAX_THREADS];
        /* Per-thread QObject counts (channel_claim_object_counts); the
         * stats' objects_created and objects_destroyed count the threads
         * beyond them. channel_objects sums both. */
        _Atomic uint32_t n_object_counts;
        struct channel_object_counts object_counts[CHANNEL_OBJECT_COUNTS];
        /* Interned strings; id = offset, offset 0 is the empty string. */
        _Atomic uint32_t strings_used;
        char strings[CHANNEL_STRINGS_SIZE];
        _Atomic uint32_t n_groups;
        struct channel_group groups[CHANNEL_MAX_GROUPS];
};

/* Supervisor side: create the shared area before fork. Returns NULL and
 * sets errno on failure. */
struct channel *channel_create (void);

/* The same, keeping the memfd (close-on-exec) for a runner to attach to
 * after exec; the caller closes it once the runner has started. */
struct channel *channel_create_shared (int *fd);

/* Runner side, after exec: maps the area behind fd and closes fd. NULL
 * with errno set when fd is not a channel of this build. */
struct channel *channel_attach (int fd);

/* A checked child's own channel: a new file in dir (the run's follow
 * directory, on a tmpfs), shared-mapped, so that it outlives the child's
 * crash or os._exit() for the supervisor to read. NULL with errno set. */
struct channel *channel_create_file (const char *dir);

/* In a process forked from a checked one (pthread_atfork child, its only
 * thread): ch, the parent's, is replaced in place (same address) by a new
 * channel file in dir, with the parent's identity (process) and a fresh
 * rest. Makes system calls only. False, ch untouched, when it cannot. */
bool channel_fork_file (struct channel *ch, const char *dir);

/* Supervisor: maps a channel file read-write (for channel_merge's
 * source, read only); NULL when it is not a channel of this build. */
struct channel *channel_open_file (const char *path);

/* Supervisor, after the run: counts the groups and the stats of from, a
 * process's channel, into into, the main one: its strings interned again,
 * identical groups merged with exact counts (the coarser merge levels when
 * into runs short), each group's process (index) kept where first seen.
 * One thread; nothing else writes either channel then. */
void channel_merge (struct channel *into, const struct channel *from, uint32_t process);

/* Unmaps it (supervisor, once its results are no longer read). */
void channel_destroy (struct channel *ch);

/* Nanoseconds of CLOCK_MONOTONIC. */
int64_t channel_now_ns (void);

/* Writer side (runner and probe, one process). Interns a string and
 * returns its id; 0 for NULL or when the area's general part is full
 * (counted in stats.strings_dropped, so that the report can say so).
 * Thread-safe. */
uint32_t channel_intern (struct channel *ch, const char *s);

/* The same for a string a finding's group is keyed on or shows: it may
 * use the whole area (see CHANNEL_STRINGS_SIZE). */
uint32_t channel_intern_finding (struct channel *ch, const char *s);

/* The id of s if it is interned already, else 0 (interns nothing). */
uint32_t channel_find_string (struct channel *ch, const char *s);

/* Whether the groups are so many that a finding with a new key is counted
 * into a coarser group (see enum group_merge). */
bool channel_groups_full (struct channel *ch);

/* Writer side: the test running now (NULL: none). Async-signal-safe
 * against a crash: one writer thread at a time. */
void channel_set_running_test (struct channel *ch, const char *test);

/* Reader side: the test that was running, NULL for none. */
const char *channel_running_test (const struct channel *ch);

/* Adds one occurrence of a finding, grouping it with identical ones.
 * Thread-safe and never blocks on the reader. */
void channel_add_finding (struct channel *ch, const struct finding *f);

/* Whether f would be counted into a group that exists already (its
 * details are that group's first finding's): lock-free, any thread. */
bool channel_has_group (struct channel *ch, const struct finding *f);

/* Names the native frames of the groups whose first finding has some and
 * no name yet: describe (frames, count) returns a string id, 0 when there
 * is nothing to say. Outside hooks, one thread at a time (the runner's GUI
 * thread, and its end). */
void channel_describe_native_stacks (struct channel *ch,
                                     uint32_t (*describe) (const uint64_t *frames, size_t n));

/* In a forked child (its only thread): the writer side's own lock is
 * made usable again, whatever the parent's threads held at fork(). */
void channel_forked_child (void);

/* Records a Python thread's name (writer side, any thread). */
void channel_add_thread (struct channel *ch, uint64_t ident, int32_t tid, const char *name);

/* Runner, once per thread that makes or destroys QObjects: counts of its
 * own, or NULL when every one is taken (then count into the stats). */
struct channel_object_counts *channel_claim_object_counts (struct channel *ch);

/* The QObjects made (created) or destroyed so far in ch's process: the
 * stats' and every thread's counts. */
uint64_t channel_objects (const struct channel *ch, bool created);

/* The name of a Python thread by identifier, or NULL (reader side). */
const char *channel_thread_name (const struct channel *ch, uint64_t ident);

/* Records the runner's error message once (first one wins). */
void channel_set_error (struct channel *ch, const char *msg);

/* GUI thread: one tick of its timer came late_ns after it was due. */
void channel_record_lateness (struct channel *ch, int64_t late_ns);

/* Appends text to the dump area; async-signal-safe. */
void channel_dump_append (struct channel *ch, const char *text, size_t len);

/* Reader side. Returns the string for an id ("" for 0 or a bad id). */
const char *channel_string (const struct channel *ch, uint32_t id);

/* Number of published groups in slot order; *out receives pointers to
 * them. The reader calls it repeatedly; a group's index never changes. */
size_t channel_groups (struct channel *ch, struct channel_group **out, size_t max);

/* The p-th percentile (0..1) of the recorded lateness, in milliseconds
 * (bucket resolution: 1 ms); 0 when nothing was recorded. */
double channel_lateness_percentile (const struct channel *ch, double p);
