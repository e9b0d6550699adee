/* SPDX-License-Identifier: MIT */
/* options.c: getopt_long parsing of the qgc-check command line. */
#include "config.h"

#include "supervisor/options.h"

#include "supervisor/interpreters.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char options_usage_line[] =
        "Usage: qgc-check [OPTIONS] SCRIPT [SCRIPT-ARGS...]\n"
        "       qgc-check [OPTIONS] -m MODULE [MODULE-ARGS...]";

/* Long-only options get ids from 256 on, as libinput does. */
enum {
        OPT_SEED = 256,
        OPT_JSON,
        OPT_EVENTS,
        OPT_JUNIT,
        OPT_SARIF,
        OPT_HANG_TIMEOUT,
        OPT_VERSION,
        OPT_MITIGATE,
        OPT_COMPARE,
        OPT_REPEAT,
        OPT_STRESS,
        OPT_STRICT,
        OPT_FAIL_ON,
        OPT_SUPPRESSIONS,
        OPT_GEN_SUPPRESSIONS,
        OPT_NO_FOLLOW,
};

static const struct option long_options[] = {
        { "duration", required_argument, NULL, 'd' },
        { "threads", required_argument, NULL, 't' },
        { "seed", required_argument, NULL, OPT_SEED },
        { "json", required_argument, NULL, OPT_JSON },
        { "events", required_argument, NULL, OPT_EVENTS },
        { "junit", required_argument, NULL, OPT_JUNIT },
        { "sarif", required_argument, NULL, OPT_SARIF },
        { "hang-timeout", required_argument, NULL, OPT_HANG_TIMEOUT },
        { "mitigate", no_argument, NULL, OPT_MITIGATE },
        { "compare", no_argument, NULL, OPT_COMPARE },
        { "strict", no_argument, NULL, OPT_STRICT },
        { "fail-on", required_argument, NULL, OPT_FAIL_ON },
        { "suppressions", required_argument, NULL, OPT_SUPPRESSIONS },
        { "gen-suppressions", required_argument, NULL, OPT_GEN_SUPPRESSIONS },
        { "repeat", required_argument, NULL, OPT_REPEAT },
        { "stress", required_argument, NULL, OPT_STRESS },
        { "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
};

static const char help_text[] =
        "Usage: qgc-check [OPTIONS] SCRIPT [SCRIPT-ARGS...]\n"
        "       qgc-check [OPTIONS] -m MODULE [MODULE-ARGS...]\n"
        "\n"
        "Run a PyQt6 or PySide6 script under garbage-collector stress and report\n"
        "every QObject destroyed outside its owning thread.\n"
        "Options end at SCRIPT (or -m MODULE): everything after it is passed on.\n"
        "\n"
        "Options:\n"
        "  -m MODULE                run a module as python -m does (e.g. -m pytest)\n"
        "  -d, --duration SECONDS   how long the app runs under stress (default 5,\n"
        "                           with -m 0; fractions allowed; 0 = until it ends)\n"
        "  -t, --threads N          stress worker threads (default 2; 0 = observe only:\n"
        "                           no stress, every collection made in the GUI thread)\n"
        "      --seed N             seed of the stress pattern (0..4294967295), chosen\n"
        "                           and printed when absent; it replays the pattern,\n"
        "                           not the threads' timing\n"
        "      --stress MODE        alloc (default): steady cyclic garbage with short\n"
        "                           pauses; burst: quiet spells, then large bursts\n"
        "      --mitigate           apply the known fix first: automatic collection off,\n"
        "                           gc.collect() from a GUI-thread timer\n"
        "      --compare            run without and with --mitigate, same seed, and\n"
        "                           print both verdicts side by side\n"
        "      --strict             look for at-risk cycles in every collection and\n"
        "                           count them as races (they are warnings otherwise);\n"
        "                           turns the stress off: every collection is made in\n"
        "                           the GUI thread\n"
        "      --fail-on rule|high  what makes the verdict a race: any finding against\n"
        "                           Qt's rule (default), or only those with evidence of\n"
        "                           a hazard (risk high)\n"
        "      --suppressions FILE  silence the findings its entries match (repeatable);\n"
        "                           they are counted, and unused entries are listed\n"
        "      --gen-suppressions FILE\n"
        "                           write a ready-to-review entry for each finding\n"
        "      --repeat N           run up to N times with fresh seeds, stop at the\n"
        "                           first race and print its seed\n"
        "      --no-follow          check the main process only: child interpreters\n"
        "                           (subprocess, multiprocessing, xdist workers) run\n"
        "                           unchecked (they are checked and reported by default)\n"
        "      --hang-timeout SECONDS\n"
        "                           GUI event loop stalled this long = hang (default 10)\n"
        "      --json FILE          write the JSON report to FILE (- = stdout)\n"
        "      --events FILE        write JSON Lines events as they happen (- = stdout)\n"
        "      --junit FILE         write a JUnit XML report to FILE (- = stdout)\n"
        "      --sarif FILE         write a SARIF 2.1.0 report to FILE (- = stdout)\n"
        "  -q, --quiet              print only the verdict line\n"
        "  -v, --verbose            print stacks and the run's stats in the report\n"
        "  -h, --help               show this help and exit\n"
        "      --version            show the version and exit\n"
        "\n"
        "Exit status: 0 clean, 1 race, 2 usage error, 3 script error or no Qt\n"
        "binding loaded, 4 crash, 5 hang, 6 clean but the program itself exited\n"
        "non-zero (e.g. failing tests), 7 incomplete: no finding, but the app was\n"
        "stopped at the limit (--duration + --hang-timeout + 5 s) or for the\n"
        "terminal, or no QObject was watched; 130/143 interrupted by SIGINT/SIGTERM.\n";

static bool
fail (char *error, size_t size, const char *fmt, ...)
{
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (error, size, fmt, ap);
        va_end (ap);
        return false;
}

static bool
parse_seconds (const char *name, const char *arg, bool zero_ok, double *out,
               char *error, size_t size)
{
        char *end;
        errno = 0;
        double v = strtod (arg, &end);
        if (end == arg || *end != '\0' || errno == ERANGE || !isfinite (v))
                return fail (error, size, "--%s '%s' is not a number of seconds", name, arg);
        if (v < 0 || (!zero_ok && v == 0))
                return fail (error, size, "--%s must be %s, not '%s'", name,
                             zero_ok ? "0 or more" : "more than 0", arg);
        if (v > OPTIONS_MAX_SECONDS)
                return fail (error, size, "--%s '%s' is too long (at most %.0f seconds)",
                             name, arg, OPTIONS_MAX_SECONDS);
        *out = v;
        return true;
}

static bool
parse_unsigned (const char *name, const char *arg, unsigned long max,
                unsigned long *out, char *error, size_t size)
{
        char *end;
        errno = 0;
        if (arg[0] == '-' || arg[0] == '+' || arg[0] == ' ' || arg[0] == '\0')
                return fail (error, size, "--%s '%s' is not a whole number from 0 to %lu",
                             name, arg, max);
        unsigned long v = strtoul (arg, &end, 10);
        if (*end != '\0' || errno == ERANGE || v > max)
                return fail (error, size, "--%s '%s' is not a whole number from 0 to %lu",
                             name, arg, max);
        *out = v;
        return true;
}

static bool
parse_path (const char *name, const char *arg, const char **out, char *error, size_t size)
{
        if (arg[0] == '\0')
                return fail (error, size, "--%s needs a file name or -", name);
        *out = arg;
        return true;
}

/* --- one small function per option --------------------------------- */

/* Each takes the option's value (NULL for a flag) into opts, or says in
 * error why it cannot; the table below finds them by getopt_long's id. */

static bool
set_duration (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->duration_given = true;
        return parse_seconds ("duration", arg, true, &opts->duration, error, size);
}

static bool
set_hang_timeout (struct options *opts, const char *arg, char *error, size_t size)
{
        return parse_seconds ("hang-timeout", arg, false, &opts->hang_timeout, error, size);
}

static bool
set_threads (struct options *opts, const char *arg, char *error, size_t size)
{
        unsigned long n;
        if (!parse_unsigned ("threads", arg, OPTIONS_MAX_THREADS, &n, error, size))
                return false;
        opts->threads = (unsigned) n;
        return true;
}

static bool
set_seed (struct options *opts, const char *arg, char *error, size_t size)
{
        unsigned long n;
        if (!parse_unsigned ("seed", arg, UINT32_MAX, &n, error, size))
                return false;
        opts->seed = (uint32_t) n;
        opts->seed_given = true;
        return true;
}

static bool
set_repeat (struct options *opts, const char *arg, char *error, size_t size)
{
        unsigned long n;
        if (!parse_unsigned ("repeat", arg, OPTIONS_MAX_REPEAT, &n, error, size))
                return false;
        if (n == 0)
                return fail (error, size, "--repeat must be 1 or more, not '%s'", arg);
        opts->repeat = (unsigned) n;
        return true;
}

static bool
set_stress (struct options *opts, const char *arg, char *error, size_t size)
{
        if (!stress_mode_parse (arg, &opts->stress_mode))
                return fail (error, size, "--stress '%s' is not a mode: use alloc or burst", arg);
        return true;
}

static bool
set_fail_on (struct options *opts, const char *arg, char *error, size_t size)
{
        if (strcmp (arg, "rule") != 0 && strcmp (arg, "high") != 0)
                return fail (error, size, "--fail-on '%s' is not a level: use rule or high", arg);
        opts->fail_on_high = strcmp (arg, "high") == 0;
        return true;
}

static bool
set_json (struct options *opts, const char *arg, char *error, size_t size)
{
        return parse_path ("json", arg, &opts->json_path, error, size);
}

static bool
set_events (struct options *opts, const char *arg, char *error, size_t size)
{
        return parse_path ("events", arg, &opts->events_path, error, size);
}

static bool
set_junit (struct options *opts, const char *arg, char *error, size_t size)
{
        return parse_path ("junit", arg, &opts->junit_path, error, size);
}

static bool
set_sarif (struct options *opts, const char *arg, char *error, size_t size)
{
        return parse_path ("sarif", arg, &opts->sarif_path, error, size);
}

static bool
set_gen_suppressions (struct options *opts, const char *arg, char *error, size_t size)
{
        return parse_path ("gen-suppressions", arg, &opts->gen_suppressions_path, error, size);
}

static bool
add_suppressions (struct options *opts, const char *arg, char *error, size_t size)
{
        if (opts->n_suppressions == OPTIONS_MAX_SUPPRESSIONS)
                return fail (error, size, "at most %d --suppressions files", OPTIONS_MAX_SUPPRESSIONS);
        return parse_path ("suppressions", arg, &opts->suppressions[opts->n_suppressions++], error, size);
}

static bool
set_mitigate (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->mitigate = true;
        return true;
}

static bool
set_compare (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->compare = true;
        return true;
}

static bool
set_strict (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->strict = true;
        return true;
}

static bool
set_no_follow (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->no_follow = true;
        return true;
}

static bool
set_quiet (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->verbosity = -1;
        return true;
}

static bool
add_verbose (struct options *opts, const char *arg, char *error, size_t size)
{
        opts->verbosity = opts->verbosity < 0 ? 1 : opts->verbosity + 1;
        return true;
}

/* Every option but -m, --help and --version, which end the parsing. */
static const struct option_action {
        int id; /* what getopt_long returns for it */
        bool (*apply) (struct options *opts, const char *arg, char *error, size_t size);
} actions[] = {
        { 'd', set_duration },
        { OPT_HANG_TIMEOUT, set_hang_timeout },
        { 't', set_threads },
        { OPT_SEED, set_seed },
        { OPT_REPEAT, set_repeat },
        { OPT_STRESS, set_stress },
        { OPT_FAIL_ON, set_fail_on },
        { OPT_JSON, set_json },
        { OPT_EVENTS, set_events },
        { OPT_JUNIT, set_junit },
        { OPT_SARIF, set_sarif },
        { OPT_GEN_SUPPRESSIONS, set_gen_suppressions },
        { OPT_SUPPRESSIONS, add_suppressions },
        { OPT_MITIGATE, set_mitigate },
        { OPT_COMPARE, set_compare },
        { OPT_STRICT, set_strict },
        { OPT_NO_FOLLOW, set_no_follow },
        { 'q', set_quiet },
        { 'v', add_verbose },
};

static const struct option_action *
find_action (int id)
{
        for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
                if (actions[i].id == id)
                        return &actions[i];
        return NULL;
}

/* What getopt_long did not recognise (c is '?'), or found without its
 * value (c is ':'). */
static void
bad_option (int c, char **argv, char *error, size_t size)
{
        if (c == ':')
                fail (error, size, "option '%s' needs a value", argv[optind - 1]);
        else if (optopt)
                fail (error, size, "unknown option '-%c'", optopt);
        else
                fail (error, size, "unknown option '%s'", argv[optind - 1]);
}

/* --- after the options: SCRIPT or MODULE, and their arguments -------- */

static bool
take_operands (struct options *opts, int argc, char **argv, char *error, size_t size)
{
        if (opts->module) {
                if (opts->script[0] == '\0' || opts->script[0] == '.')
                        return fail (error, size, "-m needs a module name such as pytest");
                /* A test run goes to its own end unless told otherwise. */
                if (!opts->duration_given)
                        opts->duration = 0;
                opts->script_argc = argc - optind;
                opts->script_argv = argv + optind;
                return true;
        }
        if (optind >= argc)
                return fail (error, size, "no script given");
        opts->script = argv[optind];
        if (opts->script[0] == '\0')
                return fail (error, size, "the script path is empty");
        opts->script_argc = argc - optind - 1;
        opts->script_argv = argv + optind + 1;
        return true;
}

/* Options that are each fine but not together. */
static bool
check_combination (const struct options *opts, char *error, size_t size)
{
        if (opts->compare && (opts->mitigate || opts->repeat > 1))
                return fail (error, size, "--compare runs twice by itself; drop --mitigate and --repeat");
        /* Two reports to one file would overwrite each other; two on stdout
         * would interleave. */
        const char *paths[] = { opts->json_path, opts->events_path, opts->junit_path, opts->sarif_path,
                                opts->gen_suppressions_path };
        static const char *const names[] = { "--json", "--events", "--junit", "--sarif",
                                             "--gen-suppressions" };
        for (int i = 0; i < 5; i++)
                for (int j = i + 1; j < 5; j++)
                        if (paths[i] && paths[j] && strcmp (paths[i], paths[j]) == 0)
                                return fail (error, size, "%s and %s name the same file '%s'", names[i],
                                             names[j], paths[i]);
        return true;
}

enum options_result
options_parse (struct options *opts, int argc, char **argv, FILE *out,
               char *error, size_t size)
{
        *opts = (struct options) {
                .duration = 5.0,
                .hang_timeout = 10.0,
                .threads = 2,
                .repeat = 1,
        };
        error[0] = '\0';

        /* getopt keeps state in globals; reset them for repeated calls
         * (unit tests, the fuzzer). */
        optind = 0;
        opterr = 0;
        int c;
        /* '+': stop at the first non-option, which is SCRIPT. */
        while ((c = getopt_long (argc, argv, "+:d:t:m:qvh", long_options, NULL)) != -1) {
                if (c == 'm') {
                        /* As python -m: the module, then its own arguments. */
                        opts->module = true;
                        opts->script = optarg;
                        break;
                }
                if (c == 'h') {
                        fputs (help_text, out);
                        return OPTIONS_DONE;
                }
                if (c == OPT_VERSION) {
                        fprintf (out, "qgc-check %s\n", QGC_VERSION);
                        interpreters_print (out);
                        return OPTIONS_DONE;
                }
                const struct option_action *action = find_action (c);
                if (!action) {
                        bad_option (c, argv, error, size);
                        return OPTIONS_USAGE;
                }
                if (!action->apply (opts, optarg, error, size))
                        return OPTIONS_USAGE;
        }
        if (!take_operands (opts, argc, argv, error, size) || !check_combination (opts, error, size))
                return OPTIONS_USAGE;
        return OPTIONS_RUN;
}
