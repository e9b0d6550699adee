/* SPDX-License-Identifier: MIT */
/* options.h: the command line of qgc-check. Parsing only: no side effects
 * beyond filling struct options, so it can be unit-tested and fuzzed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/stress-mode.h"

#define OPTIONS_MAX_THREADS 64
#define OPTIONS_MAX_SECONDS 604800.0 /* one week */
#define OPTIONS_MAX_REPEAT 100000
#define OPTIONS_MAX_SUPPRESSIONS 16

struct options {
        double duration;      /* seconds under stress; 0 = no limit */
        double hang_timeout;  /* seconds without GUI progress = hang */
        unsigned threads;     /* stress workers; 0 = observe only */
        bool seed_given;
        uint32_t seed;
        int verbosity;        /* -1 quiet, 0 normal, 1+ verbose */
        enum stress_mode stress_mode;
        bool mitigate;        /* install the GUI-thread collector first */
        bool compare;         /* run without and with --mitigate */
        bool strict;          /* at-risk cycles count as races */
        bool fail_on_high;    /* --fail-on high: only hazards make a race */
        bool no_follow;       /* check the main process only, not its children */
        unsigned repeat;      /* runs with fresh seeds until the first race */
        const char *json_path;   /* NULL, a path, or "-" */
        const char *events_path; /* JSON Lines as things happen */
        const char *junit_path;  /* JUnit XML */
        const char *sarif_path;  /* SARIF 2.1.0 */
        const char *gen_suppressions_path; /* write an entry per finding */
        const char *suppressions[OPTIONS_MAX_SUPPRESSIONS];
        unsigned n_suppressions;
        const char *script;      /* the script path, or the module with -m */
        bool module;             /* -m MODULE: run it as python -m does */
        bool duration_given;
        int script_argc;         /* script arguments after SCRIPT */
        char **script_argv;
};

enum options_result {
        OPTIONS_RUN = 0,   /* options are valid: run the script */
        OPTIONS_DONE = 1,  /* --help or --version printed: exit 0 */
        OPTIONS_USAGE = 2, /* bad usage: message in error, exit 2 */
};

/* Parses argv. On OPTIONS_USAGE, error holds a one-line message without
 * the program prefix. --help and --version print to out. */
enum options_result options_parse (struct options *opts, int argc, char **argv,
                                   FILE *out, char *error, size_t error_size);

/* The usage line printed after a usage error. */
extern const char options_usage_line[];
