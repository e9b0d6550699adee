/* SPDX-License-Identifier: MIT */
/* verdict.h: what a run means, from the facts the supervisor gathered.
 *
 * Pure policy, no I/O: the verdict and the exit status (README, "Exit
 * status"), why a run is an error or incomplete, and what each finding
 * group means for the verdict. result_build gathers the facts; every
 * report renders what these functions decide.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum verdict {
        VERDICT_CLEAN = 0,
        VERDICT_RACE,
        VERDICT_ERROR,
        VERDICT_CRASH,
        VERDICT_HANG,
        VERDICT_INCOMPLETE, /* no race seen, but the check did not cover the run */
};

/* Documented exit statuses (README, man page, --help). */
enum exit_status {
        EXIT_CLEAN = 0,
        EXIT_RACE = 1,
        EXIT_USAGE = 2,
        EXIT_SCRIPT_ERROR = 3,
        EXIT_CRASH = 4,
        EXIT_HANG = 5,
        EXIT_PROGRAM_FAILED = 6, /* clean, but the program exited non-zero */
        EXIT_INCOMPLETE = 7,     /* stopped at the limit, or nothing was checked */
};

/* What a finding group means for the verdict: every report says the same. */
enum finding_role {
        ROLE_RACE = 0,       /* makes the verdict a race */
        ROLE_WARNING = 1,    /* reported, but not a race (at-risk cycle without
                              * --strict, risk rule with --fail-on high) */
        ROLE_SUPPRESSED = 2, /* matched a suppression: counted only */
};

/* Everything the verdict depends on, read from the channel and the
 * supervision. */
struct verdict_facts {
        bool hang;                 /* the GUI heartbeat stopped */
        bool crash;                /* died of a signal: not the user's interrupt,
                                    * not an exception escaping a slot (the main
                                    * process or any checked child) */
        size_t unchecked_processes; /* processes of the run qgc-check could not check */
        size_t races;              /* finding groups of ROLE_RACE */
        const char *known_error;   /* an error already named (an exception that
                                    * escaped a slot), or NULL */
        const char *runner_error;  /* the runner's own error message, or NULL */
        bool runner_started;       /* the runner got as far as its channel (start_ns) */
        uint32_t outcome;          /* enum script_outcome (common/channel.h) */
        bool finished;             /* the runner reached PHASE_DONE */
        int script_status;         /* the script's exit status, -1 unknown */
        bool binding_named;        /* a runner of the run named a Qt binding */
        bool binding_loaded;       /* ... and the probe hooked it */
        uint64_t objects_created;  /* QObjects the probe saw created, in every process */
        bool over_limit;           /* stopped after --duration + grace */
        int stop_signal;           /* SIGTTIN/SIGTTOU that stopped the app, or 0 */
        int interrupt_signal;      /* SIGINT/SIGTERM to qgc-check, or 0 */
};

struct verdict_decision {
        enum verdict verdict;
        int exit_status;
        const char *error;      /* why the script failed, or NULL (reported
                                 * whatever the verdict) */
        const char *incomplete; /* why the check did not cover the run, or
                                 * NULL (reported whatever the verdict) */
};

/* Precedence: hang, then crash, then race, then script error, then
 * incomplete, then clean. A clean run of a program that exited non-zero
 * exits EXIT_PROGRAM_FAILED; an interrupted run exits 128 + the signal,
 * whatever its verdict. The strings are static or facts->known_error /
 * facts->runner_error. */
struct verdict_decision verdict_decide (const struct verdict_facts *facts);

/* Suppressed: counted, never a race. At-risk cycles are warnings unless
 * --strict; with --fail-on high, only findings with evidence of a hazard
 * make a race. */
enum finding_role verdict_role (uint32_t kind, uint32_t evidence, bool suppressed, bool strict,
                                bool fail_on_high);

const char *verdict_name (enum verdict v);
