/* SPDX-License-Identifier: MIT */
/* runner-args.c: the runner's command line, built and parsed (see runner-args.h). */
#include "config.h"

#include "common/runner-args.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each option's name, once for the writer and the reader. */
#define ARG_CHANNEL_FD "channel-fd"
#define ARG_SEED "seed"
#define ARG_THREADS "threads"
#define ARG_STRESS "stress"
#define ARG_DURATION "duration"
#define ARG_PROBE "probe"
#define ARG_PYTHON "python"
#define ARG_MITIGATE "mitigate"
#define ARG_STRICT "strict"
#define ARG_MODULE "module"
#define ARG_FOLLOW "follow"
#define ARG_CHILD "child"

/* The program, eight options with a value, three flags, "--", SCRIPT and
 * the final NULL: the script's arguments come on top. */
#define FIXED_ENTRIES (1 + 8 * 2 + 3 + 1 + 1 + 1)
/* The shared options: five with a value, two flags, follow, the NULL. */
#define SHARED_ENTRIES (5 * 2 + 2 + 2 + 1)

size_t
runner_args_argv_length (const struct runner_args *args)
{
        return FIXED_ENTRIES + (args->script_argc > 0 ? (size_t) args->script_argc : 0);
}

size_t
runner_args_build_shared (const struct runner_args *args, struct runner_args_text *text,
                          char **argv, size_t argv_length)
{
        if (!args->probe_path || argv_length < SHARED_ENTRIES)
                return 0;
        snprintf (text->seed, sizeof text->seed, "%u", (unsigned) args->seed);
        snprintf (text->threads, sizeof text->threads, "%u", args->threads);
        /* 17 significant digits: the runner reads back the very same double. */
        snprintf (text->duration, sizeof text->duration, "%.17g", args->duration);
        size_t n = 0;
        argv[n++] = (char *) "--" ARG_SEED;
        argv[n++] = text->seed;
        argv[n++] = (char *) "--" ARG_THREADS;
        argv[n++] = text->threads;
        argv[n++] = (char *) "--" ARG_STRESS;
        argv[n++] = (char *) stress_mode_name (args->stress_mode);
        argv[n++] = (char *) "--" ARG_DURATION;
        argv[n++] = text->duration;
        argv[n++] = (char *) "--" ARG_PROBE;
        argv[n++] = (char *) args->probe_path;
        if (args->mitigate)
                argv[n++] = (char *) "--" ARG_MITIGATE;
        if (args->strict)
                argv[n++] = (char *) "--" ARG_STRICT;
        if (args->follow_dir) {
                argv[n++] = (char *) "--" ARG_FOLLOW;
                argv[n++] = (char *) args->follow_dir;
        }
        argv[n] = NULL;
        return n;
}

bool
runner_args_build (const struct runner_args *args, const char *program,
                   struct runner_args_text *text, char **argv, size_t argv_length)
{
        if (!program || !args->probe_path || !args->python_executable || !args->script ||
            args->script_argc < 0 || argv_length < runner_args_argv_length (args))
                return false;
        snprintf (text->channel_fd, sizeof text->channel_fd, "%d", args->channel_fd);
        size_t n = 0;
        argv[n++] = (char *) program;
        argv[n++] = (char *) "--" ARG_CHANNEL_FD;
        argv[n++] = text->channel_fd;
        n += runner_args_build_shared (args, text, argv + n, argv_length - n);
        argv[n++] = (char *) "--" ARG_PYTHON;
        argv[n++] = (char *) args->python_executable;
        if (args->module)
                argv[n++] = (char *) "--" ARG_MODULE;
        /* SCRIPT may itself start with '-'. */
        argv[n++] = (char *) "--";
        argv[n++] = (char *) args->script;
        for (int i = 0; i < args->script_argc; i++)
                argv[n++] = args->script_argv[i];
        argv[n] = NULL;
        return true;
}

/* Long-only options get ids from 256 on, as in the supervisor's options.c. */
enum {
        OPT_CHANNEL_FD = 256,
        OPT_SEED,
        OPT_THREADS,
        OPT_STRESS,
        OPT_DURATION,
        OPT_PROBE,
        OPT_PYTHON,
        OPT_MITIGATE,
        OPT_STRICT,
        OPT_MODULE,
        OPT_FOLLOW,
        OPT_CHILD,
};

static const struct option long_options[] = {
        { ARG_CHANNEL_FD, required_argument, NULL, OPT_CHANNEL_FD },
        { ARG_SEED, required_argument, NULL, OPT_SEED },
        { ARG_THREADS, required_argument, NULL, OPT_THREADS },
        { ARG_STRESS, required_argument, NULL, OPT_STRESS },
        { ARG_DURATION, required_argument, NULL, OPT_DURATION },
        { ARG_PROBE, required_argument, NULL, OPT_PROBE },
        { ARG_PYTHON, required_argument, NULL, OPT_PYTHON },
        { ARG_MITIGATE, no_argument, NULL, OPT_MITIGATE },
        { ARG_STRICT, no_argument, NULL, OPT_STRICT },
        { ARG_MODULE, no_argument, NULL, OPT_MODULE },
        { ARG_FOLLOW, required_argument, NULL, OPT_FOLLOW },
        { ARG_CHILD, no_argument, NULL, OPT_CHILD },
        { NULL, 0, NULL, 0 },
};

static bool
fail (char *error, size_t size, const char *message)
{
        snprintf (error, size, "%s", message);
        return false;
}

/* A whole number from 0 to max, as the builder writes it. */
static bool
parse_number (const char *text, unsigned long max, unsigned long *out)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul (text, &end, 10);
        if (errno || end == text || *end || text[0] == '-' || v > max)
                return false;
        *out = v;
        return true;
}

static bool
parse_duration (const char *text, double *out)
{
        char *end;
        errno = 0;
        double v = strtod (text, &end);
        if (errno || end == text || *end || !isfinite (v) || v < 0)
                return false;
        *out = v;
        return true;
}

/* One option getopt_long returned, into args. */
static bool
apply_option (struct runner_args *args, int c, const char *arg, char *error, size_t size)
{
        unsigned long n;
        switch (c) {
        case OPT_CHANNEL_FD:
                if (!parse_number (arg, INT_MAX, &n))
                        return fail (error, size, "bad --" ARG_CHANNEL_FD);
                args->channel_fd = (int) n;
                return true;
        case OPT_SEED:
                if (!parse_number (arg, UINT32_MAX, &n))
                        return fail (error, size, "bad --" ARG_SEED);
                args->seed = (uint32_t) n;
                return true;
        case OPT_THREADS:
                if (!parse_number (arg, UINT_MAX, &n))
                        return fail (error, size, "bad --" ARG_THREADS);
                args->threads = (unsigned) n;
                return true;
        case OPT_STRESS:
                return stress_mode_parse (arg, &args->stress_mode) ||
                       fail (error, size, "bad --" ARG_STRESS);
        case OPT_DURATION:
                return parse_duration (arg, &args->duration) || fail (error, size, "bad --" ARG_DURATION);
        case OPT_PROBE: args->probe_path = arg; return true;
        case OPT_PYTHON: args->python_executable = arg; return true;
        case OPT_MITIGATE: args->mitigate = true; return true;
        case OPT_STRICT: args->strict = true; return true;
        case OPT_MODULE: args->module = true; return true;
        case OPT_FOLLOW: args->follow_dir = arg; return true;
        case OPT_CHILD: args->child = true; return true;
        default: return fail (error, size, "bad arguments");
        }
}

enum runner_args_status
runner_args_parse (struct runner_args *args, int argc, char **argv, char *error, size_t error_size)
{
        *args = (struct runner_args) { .channel_fd = -1, .stress_mode = STRESS_ALLOC };
        error[0] = '\0';
        /* getopt keeps state in globals: reset them for repeated calls
         * (the unit tests), and let the caller say what went wrong. */
        optind = 0;
        opterr = 0;
        int c;
        /* "+": stop at the first operand, as the script's own arguments
         * may look like options. */
        while ((c = getopt_long (argc, argv, "+", long_options, NULL)) != -1)
                if (!apply_option (args, c, optarg, error, error_size))
                        return RUNNER_ARGS_USAGE;
        if (args->child) {
                /* Python's own command line follows, maybe nothing. */
                if (!args->probe_path || !args->python_executable || !args->follow_dir) {
                        fail (error, error_size, "missing arguments");
                        return RUNNER_ARGS_USAGE;
                }
                args->script_argc = argc - optind;
                args->script_argv = argv + optind;
                return RUNNER_ARGS_OK;
        }
        if (args->channel_fd < 0 || !args->probe_path || !args->python_executable || optind >= argc) {
                fail (error, error_size, "missing arguments");
                return RUNNER_ARGS_USAGE;
        }
        args->script = argv[optind];
        args->script_argc = argc - optind - 1;
        args->script_argv = argv + optind + 1;
        return RUNNER_ARGS_OK;
}
