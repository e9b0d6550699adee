/* SPDX-License-Identifier: MIT */
/* runner-args.h: the runner's private command line, written by the
 * supervisor and read by the runner; its writer and its reader side by
 * side, so that the two cannot drift apart.
 *
 *   qgc-check-runner --channel-fd N --seed N --threads N --stress MODE
 *                    --duration S --probe PATH --python PATH
 *                    [--mitigate] [--strict] [--follow DIR] [--module]
 *                    -- SCRIPT [ARGS...]
 *
 * A Python child of the run (src/follow rewrites its exec) runs as
 *
 *   qgc-check-runner SHARED-OPTIONS --child --python PATH -- [PYTHON-ARGS...]
 *
 * where SHARED-OPTIONS are the words runner_args_build_shared writes (the
 * run's settings, --follow DIR included) and PYTHON-ARGS are what followed
 * the interpreter's own argv[0]: CPython parses them itself.
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
        const char *follow_dir;        /* every process of the run checked: their
                                        * channels and records go there; NULL: --no-follow */
        bool child;                    /* a Python child of the run: no channel_fd, no
                                        * script; script_argv is python's command line */
        const char *script;            /* the script path, or the module; NULL for a child */
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

/* The options every runner of the run shares (seed, threads, stress,
 * duration, probe, mitigate, strict, follow): into argv (argv_length
 * entries, NULL-terminated), with text holding their numbers. Returns how
 * many words it wrote, 0 when argv is too short or the probe is missing. */
size_t runner_args_build_shared (const struct runner_args *args, struct runner_args_text *text,
                                 char **argv, size_t argv_length);

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
 * or SCRIPT; what follows is the script's, whatever it looks like (with
 * --child: python's arguments, maybe none). On
 * RUNNER_ARGS_USAGE, error holds a one-line message without the program
 * prefix. */
enum runner_args_status runner_args_parse (struct runner_args *args, int argc, char **argv,
                                           char *error, size_t error_size);
