/* SPDX-License-Identifier: MIT */
/* runner-args.h: the runner's private command line, written by the
 * supervisor and read by the runner; its writer and its reader side by
 * side, so that the two cannot drift apart.
 *
 *   qgc-check-runner --channel-fd N --seed N --threads N --stress MODE
 *                    --duration S --probe PATH --python PATH
 *                    [--mitigate] [--strict] [--module] -- SCRIPT [ARGS...]
 *
 * It is not a user interface: the runner is started by qgc-check only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/stress-mode.h"

/* Everything the runner needs from the supervisor. Strings are never
 * copied: the builder points argv at them, the parser points them into
 * argv. */
struct runner_args {
        int channel_fd;                /* the findings channel's memfd, inherited */
        uint32_t seed;                 /* of the stress pattern */
        unsigned threads;              /* stress workers; 0 = observe only */
        enum stress_mode stress_mode;
        double duration;               /* seconds under stress; 0 = no limit */
        const char *probe_path;        /* the probe shared module */
        const char *python_executable; /* sys.executable: venv or system */
        bool mitigate;                 /* install the GUI-thread collector first */
        bool strict;                   /* at-risk cycles in every collection */
        bool module;                   /* script names a module, run as python -m does */
        const char *script;            /* the script path, or the module */
        int script_argc;               /* the script's own arguments, passed on untouched */
        char **script_argv;
};

/* The numbers of a built command line as text: argv points into it, so it
 * must live as long as that argv. */
struct runner_args_text {
        char channel_fd[16];
        char seed[16];
        char threads[16];
        char duration[32];
};

/* How many entries of argv runner_args_build fills, the final NULL
 * included. */
size_t runner_args_argv_length (const struct runner_args *args);

/* Fills argv (argv_length entries) with the command line that starts
 * program with args, NULL-terminated, and text with its numbers. False,
 * writing nothing, when argv is too short or a string is missing. It
 * allocates nothing and keeps no state. */
bool runner_args_build (const struct runner_args *args, const char *program,
                        struct runner_args_text *text, char **argv, size_t argv_length);

enum runner_args_status {
        RUNNER_ARGS_OK = 0,
        RUNNER_ARGS_USAGE = 1, /* not a command line of runner_args_build's: message in error */
};

/* Reads a command line that runner_args_build wrote (getopt_long, which
 * keeps its state in globals: one caller at a time). Options end at "--"
 * or SCRIPT; what follows is the script's, whatever it looks like. On
 * RUNNER_ARGS_USAGE, error holds a one-line message without the program
 * prefix. */
enum runner_args_status runner_args_parse (struct runner_args *args, int argc, char **argv,
                                           char *error, size_t error_size);
