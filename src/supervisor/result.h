/* SPDX-License-Identifier: MIT */
/* result.h: the outcome of one run, as every report renders it.
 *
 * The supervisor fills it from the channel and the child's exit status
 * (result_build); reports only render it. What the run means is decided in
 * verdict.h, each finding described in describe.h, the run's advice given
 * in advice.h, its strings made valid in result-text.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/channel.h"
#include "common/native-stack.h"
#include "supervisor/options.h"
#include "supervisor/processes.h"
#include "supervisor/verdict.h"
/* For those who describe a finding outside a run (live events). */
#include "supervisor/describe.h"

#define REPORT_SCHEMA_VERSION 1

struct result_finding {
        enum finding_kind kind;
        const char *cause;
        int gc_generation;      /* -1: none */
        const char *gc_trigger; /* "automatic", "explicit" or NULL */
        const char *qt_class;
        const char *py_class;   /* "" when unknown */
        const char *object_name;
        bool object_names_vary; /* the group's objects had other names too
                                 * (object_name is the first one's) */
        const char *owner_thread;
        const char *finalizing_thread;
        const char *message;
        const char *creation_stack;     /* lines, innermost first */
        const char *creation_site;      /* the line of the call that made the object (the
                                         * innermost outside its own constructors) first */
        const char *finalization_stack;
        const char *test;       /* pytest id of the test running when it died, or "" */
        const char *creation_test; /* ... when the object was created, or "" */
        uint32_t evidence;      /* enum finding_evidence bits */
        bool during_teardown;   /* after the script ended: atexit, Py_Finalize */
        const char *origin;     /* "python", "native" or NULL (finding_origin_name) */
        const char *class_library; /* native: the library of its C++ class, or "" */
        const char *parents;    /* QObject parents when it died, nearest first:
                                 * "Class (PyClass)" lines, or "" */
        const char *made_by;    /* native: the sentence the reports show, or NULL */
        const char *creation_source;     /* the source line of the creation site, read
                                          * from its file, or NULL */
        const char *finalization_source; /* the same for the finalization stack */
        const char *native_stack; /* C++ frames when it happened, innermost first:
                                   * native-stack.h lines, or "" */
        const char *died_inside;  /* the C++ code that destroyed it, when not the
                                   * binding's: "f <- g <- h", or NULL */
        const char *risk;       /* "high": hazard seen; "rule": only Qt's rule broken */
        const char *suppressed_by; /* name of the suppression that matched, or NULL */
        const char *merged; /* NULL, or "class"/"kind": a coarser group (see channel.h) */
        enum finding_role role;
        /* One description for every report (result_describe), else NULL: */
        const char *title;      /* what happened, one line */
        const char *name;       /* title, unique among the run's groups */
        const char *differs_at; /* groups of one title and creation site: the first
                                 * creation frame where this one differs, or NULL */
        const char *differs;    /* look-alike groups (the same title and first
                                 * creation frame) that no frame tells apart:
                                 * how this one differs, in words, or NULL */
        const char *fix;        /* what fixes this finding */
        const char *fix_kind;   /* which fix that is (describe.h), or NULL */
        int owner_event_loop;   /* its owner ran an event loop when it died: 1,
                                 * 0 (none would run a deleteLater()), -1 unknown */
        uint64_t count;
        uint64_t children;  /* child QObjects destroyed with them */
        double first_seen_s;
        uint32_t process_index;   /* the run's process where it was first seen (0: main) */
        uint32_t other_processes; /* other processes whose findings were counted in */
        const struct run_process *process; /* that process, once result_build resolved it */
};

/* What the supervisor saw of the child, beside the channel. */
struct supervision {
        int runner_pid;         /* leads the run's process group */
        bool exited;            /* the runner ended by itself */
        int exit_code;          /* if exited */
        int term_signal;        /* if killed by a signal */
        bool killed_by_us;      /* the signal came from the supervisor */
        bool hang;              /* the GUI heartbeat stopped */
        int hang_pid;           /* in this process: the runner, or a child of the run */
        bool over_limit;        /* stopped after duration + grace */
        int stop_signal;        /* SIGTTIN/SIGTTOU that stopped the runner for
                                 * good (it needed a terminal it could not
                                 * have), or 0 */
        int interrupt_signal;   /* SIGINT/SIGTERM to qgc-check, or 0 */
        double elapsed_s;
        const char *python_executable; /* the interpreter the script ran as */
        const char *python_version;    /* its minor version, the runner's ("3.12") */
        const char *stderr_tail; /* last lines the app wrote to stderr (malloc'd;
                                  * result_build takes it over) */
        struct run_processes processes; /* every process of the run, [0] the main one
                                         * (result_build takes it over) */
};

struct run_result {
        enum verdict verdict;
        int exit_code;
        const struct options *opts;
        uint32_t seed;
        struct supervision sup;
        const char *error;         /* why the verdict is error, or NULL */
        const char *incomplete;    /* why the check did not cover the run, or NULL */
        const char *outcome;       /* "returned", "exit", "exception", ... */
        int script_status;         /* exit status of the script, -1 unknown */
        int crash_signal;          /* 0 unless crash */
        const char *crash_reason;  /* e.g. "SIGSEGV", "unhandled Python exception" */
        bool crash_after_script;   /* the crashed process's script had ended: its
                                    * interpreter was shutting down (atexit, its
                                    * modules' and objects' teardown) */
        const char *interpreter_fatal; /* CPython's "Fatal Python error: ..." text the
                                        * app died of, or NULL */
        const char *dump;          /* stacks: crash, hang, or a stop (stopped) */
        bool stopped;              /* the run was stopped before it ended (interrupted,
                                    * or over the limit) and dump says where each
                                    * thread was then */
        const char *running_test;  /* pytest test running at the end (crash, hang), or NULL */
        const char *gil_holder;    /* hang: thread holding the GIL */
        const char *gui_waiting;   /* hang: what the GUI thread waits for */
        const char *collector;     /* hang: the thread inside a garbage collection
                                    * then, and what it waits for, or NULL */
        const char *tool_frame;    /* crash, hang or stop in qgc-check itself: the
                                    * frame that puts it there (diagnosis.h), else NULL */
        const char *binding;
        const char *qt_version;
        const char *qtcore_path;
        uint64_t objects_created, objects_destroyed;
        uint64_t collections, collections_off_gui, dropped, merged;
        uint64_t automatic_collections, automatic_collections_off_gui;
        /* Of those, made once the QCoreApplication existed (channel.h). */
        uint64_t automatic_collections_app, automatic_collections_app_off_gui;
        uint64_t loop_ticks;   /* GUI timer ticks measured */
        double late_p50_ms, late_p99_ms, late_max_ms; /* their lateness */
        uint64_t deferred_by_binding; /* QObjects in garbage cycles the binding deferred */
        size_t n_findings;
        size_t n_races;     /* groups that make the verdict a race */
        size_t n_warnings;  /* at-risk cycles without --strict, rule-only with --fail-on high */
        size_t n_rule_warnings; /* of n_warnings: off-thread destructions of risk rule */
        uint64_t race_occurrences;     /* findings in the groups that make it a race */
        uint64_t warning_occurrences;
        size_t n_suppressed;            /* groups silenced by --suppressions */
        uint64_t suppressed_occurrences;
        const struct suppressions *suppressions; /* for the unused entries */
        struct result_finding *findings; /* ordered by first_seen_s */
        uint64_t total_occurrences;
        uint64_t strings_dropped;       /* strings the channel had no room for */
        uint64_t finding_strings_dropped; /* ... of findings' keys (0 but out of memory) */
        uint64_t guarded_faults;        /* class lookups abandoned mid-destruction */
        const char *hint;               /* advice for the run as a whole, or NULL */
        const char *notes[8];           /* what limits the result (stress, limits) */
        size_t n_notes;
        const char *script;             /* opts->script, valid UTF-8 */
        const char **argv;              /* opts->script_argv, valid UTF-8 */
        char **texts;                   /* owned: the strings made valid or built here */
        size_t n_texts, texts_cap;
        const struct run_process *processes; /* every process of the run, [0] the main one */
        size_t n_processes;
        size_t n_unchecked;             /* of them: processes qgc-check could not check */
        const struct run_process *crash_process; /* the process that crashed, or NULL */
        const struct run_process *hang_process;  /* the process that hung, or NULL */
        bool compared;                  /* --compare: the mitigated run's outcome */
        const char *mitigated_verdict;
        uint64_t mitigated_findings;
};

struct suppressions;

/* Fills r from the channel and the supervision, applying suppressions
 * (may be NULL) before the verdict; allocates. */
void result_build (struct run_result *r, const struct options *opts, uint32_t seed,
                   struct channel *ch, const struct supervision *sup,
                   struct suppressions *suppressions);

void result_free (struct run_result *r);

/* Converts one published group to its rendered form. */
void result_finding_from_group (struct result_finding *out, const struct channel *ch,
                                const struct channel_group *g);

