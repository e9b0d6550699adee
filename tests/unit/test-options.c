/* SPDX-License-Identifier: MIT */
/* Unit tests of the command-line parser (cmocka). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "supervisor/interpreters.h"
#include "supervisor/options.h"

static enum options_result
parse (struct options *o, char *error, int argc, char **argv)
{
        FILE *out = fopen ("/dev/null", "w");
        enum options_result r = options_parse (o, argc, argv, out, error, 256);
        fclose (out);
        return r;
}

static void
defaults (void **state)
{
        struct options o;
        char err[256];
        char *argv[] = { "qgc-check", "app.py", NULL };
        assert_int_equal (parse (&o, err, 2, argv), OPTIONS_RUN);
        assert_true (o.duration == 5.0);
        assert_int_equal (o.threads, 2);
        assert_false (o.seed_given);
        assert_true (o.hang_timeout == 10.0);
        assert_string_equal (o.script, "app.py");
        assert_int_equal (o.script_argc, 0);
}

static void
options_stop_at_script (void **state)
{
        struct options o;
        char err[256];
        char *argv[] = { "qgc-check", "-d", "0.5", "--threads=0", "--seed", "42", "app.py",
                         "--verbose", "-t", "9", NULL };
        assert_int_equal (parse (&o, err, 10, argv), OPTIONS_RUN);
        assert_true (o.duration == 0.5);
        assert_int_equal (o.threads, 0);
        assert_true (o.seed_given);
        assert_int_equal (o.seed, 42);
        assert_int_equal (o.verbosity, 0);
        assert_int_equal (o.script_argc, 3);
        assert_string_equal (o.script_argv[0], "--verbose");
}

static void
zero_duration_means_no_limit (void **state)
{
        struct options o;
        char err[256];
        char *argv[] = { "qgc-check", "--duration", "0", "app.py", NULL };
        assert_int_equal (parse (&o, err, 4, argv), OPTIONS_RUN);
        assert_true (o.duration == 0);
}

static void
bad_values (void **state)
{
        static const char *const cases[][2] = {
                { "--duration", "-1" }, { "--duration", "abc" }, { "--duration", "nan" },
                { "--duration", "1e99" }, { "--duration", "inf" }, { "--threads", "abc" },
                { "--threads", "-3" }, { "--threads", "100000" }, { "--threads", "" },
                { "--seed", "4294967296" }, { "--seed", "-1" }, { "--seed", "1x" },
                { "--hang-timeout", "0" }, { "--json", "" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct options o;
                char err[256];
                char *argv[] = { "qgc-check", (char *) cases[i][0], (char *) cases[i][1], "app.py", NULL };
                assert_int_equal (parse (&o, err, 4, argv), OPTIONS_USAGE);
                assert_true (strlen (err) > 0);
                assert_null (strchr (err, '\n'));
        }
}

static void
missing_script (void **state)
{
        struct options o;
        char err[256];
        char *argv[] = { "qgc-check", "-q", NULL };
        assert_int_equal (parse (&o, err, 2, argv), OPTIONS_USAGE);
        assert_string_equal (err, "no script given");
}

static void
help_and_version (void **state)
{
        struct options o;
        char err[256];
        char *help[] = { "qgc-check", "--help", "app.py", NULL };
        char *version[] = { "qgc-check", "--version", NULL };
        assert_int_equal (parse (&o, err, 3, help), OPTIONS_DONE);
        assert_int_equal (parse (&o, err, 2, version), OPTIONS_DONE);
}

/* The message a usage error gives, for the command line argv. */
static const char *
usage_error (char *err, int argc, char **argv)
{
        struct options o;
        assert_int_equal (parse (&o, err, argc, argv), OPTIONS_USAGE);
        assert_null (strchr (err, '\n'));
        return err;
}

static void
bad_value_messages (void **state)
{
        char err[256];
        char *neg[] = { "qgc-check", "--duration", "-1", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, neg), "--duration must be 0 or more, not '-1'");
        char *zero[] = { "qgc-check", "--hang-timeout", "0", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, zero), "--hang-timeout must be more than 0, not '0'");
        char *word[] = { "qgc-check", "-d", "soon", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, word), "--duration 'soon' is not a number of seconds");
        char *week[] = { "qgc-check", "-d", "1e9", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, week),
                             "--duration '1e9' is too long (at most 604800 seconds)");
        char *many[] = { "qgc-check", "-t", "65", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, many),
                             "--threads '65' is not a whole number from 0 to 64");
        char *seed[] = { "qgc-check", "--seed", "+1", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, seed),
                             "--seed '+1' is not a whole number from 0 to 4294967295");
        char *repeat[] = { "qgc-check", "--repeat", "0", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, repeat), "--repeat must be 1 or more, not '0'");
        char *json[] = { "qgc-check", "--sarif", "", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, json), "--sarif needs a file name or -");
}

static void
bad_option_messages (void **state)
{
        char err[256];
        char *unknown_short[] = { "qgc-check", "-x", "app.py", NULL };
        assert_string_equal (usage_error (err, 3, unknown_short), "unknown option '-x'");
        char *unknown_long[] = { "qgc-check", "--bogus", "app.py", NULL };
        assert_string_equal (usage_error (err, 3, unknown_long), "unknown option '--bogus'");
        char *seed_last[] = { "qgc-check", "--seed", NULL };
        assert_string_equal (usage_error (err, 2, seed_last), "option '--seed' needs a value");
        char *short_last[] = { "qgc-check", "-t", NULL };
        assert_string_equal (usage_error (err, 2, short_last), "option '-t' needs a value");
        /* A value given to a flag is refused. Its message is not pinned:
         * it prints optopt, for a long-only option an id from 256 on,
         * not a character. */
        struct options o;
        char *flag_value[] = { "qgc-check", "--strict=yes", "app.py", NULL };
        assert_int_equal (parse (&o, err, 3, flag_value), OPTIONS_USAGE);
}

static void
stress_modes (void **state)
{
        struct options o;
        char err[256];
        char *plain[] = { "qgc-check", "app.py", NULL };
        assert_int_equal (parse (&o, err, 2, plain), OPTIONS_RUN);
        assert_int_equal (o.stress_mode, STRESS_ALLOC);
        char *burst[] = { "qgc-check", "--stress", "burst", "app.py", NULL };
        assert_int_equal (parse (&o, err, 4, burst), OPTIONS_RUN);
        assert_int_equal (o.stress_mode, STRESS_BURST);
        char *alloc[] = { "qgc-check", "--stress=burst", "--stress", "alloc", "app.py", NULL };
        assert_int_equal (parse (&o, err, 5, alloc), OPTIONS_RUN);
        assert_int_equal (o.stress_mode, STRESS_ALLOC);
        char *bad[] = { "qgc-check", "--stress", "Burst", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, bad),
                             "--stress 'Burst' is not a mode: use alloc or burst");
}

static void
fail_on_levels (void **state)
{
        struct options o;
        char err[256];
        char *high[] = { "qgc-check", "--fail-on", "high", "app.py", NULL };
        assert_int_equal (parse (&o, err, 4, high), OPTIONS_RUN);
        assert_true (o.fail_on_high);
        char *rule[] = { "qgc-check", "--fail-on=high", "--fail-on", "rule", "app.py", NULL };
        assert_int_equal (parse (&o, err, 5, rule), OPTIONS_RUN);
        assert_false (o.fail_on_high);
        char *bad[] = { "qgc-check", "--fail-on", "low", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, bad),
                             "--fail-on 'low' is not a level: use rule or high");
}

static void
flags_and_verbosity (void **state)
{
        struct options o;
        char err[256];
        char *flags[] = { "qgc-check", "--mitigate", "--strict", "-v", "-v", "app.py", NULL };
        assert_int_equal (parse (&o, err, 6, flags), OPTIONS_RUN);
        assert_true (o.mitigate);
        assert_true (o.strict);
        assert_false (o.compare);
        assert_int_equal (o.verbosity, 2);
        char *quiet_then_verbose[] = { "qgc-check", "-q", "-v", "app.py", NULL };
        assert_int_equal (parse (&o, err, 4, quiet_then_verbose), OPTIONS_RUN);
        assert_int_equal (o.verbosity, 1);
        char *verbose_then_quiet[] = { "qgc-check", "-vq", "app.py", NULL };
        assert_int_equal (parse (&o, err, 3, verbose_then_quiet), OPTIONS_RUN);
        assert_int_equal (o.verbosity, -1);
        assert_false (o.mitigate);
        char *compare[] = { "qgc-check", "--compare", "--repeat", "1", "app.py", NULL };
        assert_int_equal (parse (&o, err, 5, compare), OPTIONS_RUN);
        assert_true (o.compare);
        assert_int_equal (o.repeat, 1);
}

static void
report_paths (void **state)
{
        struct options o;
        char err[256];
        char *all[] = { "qgc-check", "--json", "-", "--events", "e.jsonl", "--junit", "j.xml",
                        "--sarif", "s.sarif", "--gen-suppressions", "g.supp", "app.py", NULL };
        assert_int_equal (parse (&o, err, 12, all), OPTIONS_RUN);
        assert_string_equal (o.json_path, "-");
        assert_string_equal (o.events_path, "e.jsonl");
        assert_string_equal (o.junit_path, "j.xml");
        assert_string_equal (o.sarif_path, "s.sarif");
        assert_string_equal (o.gen_suppressions_path, "g.supp");
        char *same[] = { "qgc-check", "--json", "r", "--junit", "x", "--sarif", "r", "app.py", NULL };
        assert_string_equal (usage_error (err, 8, same), "--json and --sarif name the same file 'r'");
        char *stdout_twice[] = { "qgc-check", "--events", "-", "--gen-suppressions", "-", "app.py", NULL };
        assert_string_equal (usage_error (err, 6, stdout_twice),
                             "--events and --gen-suppressions name the same file '-'");
}

static void
suppressions_files (void **state)
{
        struct options o;
        char err[256];
        char *argv[2 + 2 * (OPTIONS_MAX_SUPPRESSIONS + 1) + 2];
        int argc = 0;
        argv[argc++] = "qgc-check";
        for (int i = 0; i < OPTIONS_MAX_SUPPRESSIONS; i++) {
                argv[argc++] = "--suppressions";
                argv[argc++] = "s.supp";
        }
        argv[argc++] = "app.py";
        argv[argc] = NULL;
        assert_int_equal (parse (&o, err, argc, argv), OPTIONS_RUN);
        assert_int_equal (o.n_suppressions, OPTIONS_MAX_SUPPRESSIONS);
        assert_string_equal (o.suppressions[OPTIONS_MAX_SUPPRESSIONS - 1], "s.supp");
        argv[argc - 1] = "--suppressions";
        argv[argc++] = "one-more.supp";
        argv[argc++] = "app.py";
        argv[argc] = NULL;
        assert_string_equal (usage_error (err, argc, argv), "at most 16 --suppressions files");
}

static void
module_runs (void **state)
{
        struct options o;
        char err[256];
        char *pytest[] = { "qgc-check", "-m", "pytest", "-x", "--json", "t", NULL };
        assert_int_equal (parse (&o, err, 6, pytest), OPTIONS_RUN);
        assert_true (o.module);
        assert_string_equal (o.script, "pytest");
        assert_true (o.duration == 0); /* a test run goes to its end */
        assert_null (o.json_path);
        assert_int_equal (o.script_argc, 3);
        assert_string_equal (o.script_argv[0], "-x");
        assert_string_equal (o.script_argv[2], "t");
        char *timed[] = { "qgc-check", "-d", "3", "-mpytest", NULL };
        assert_int_equal (parse (&o, err, 4, timed), OPTIONS_RUN);
        assert_true (o.duration == 3);
        assert_int_equal (o.script_argc, 0);
        char *empty[] = { "qgc-check", "-m", "", NULL };
        assert_string_equal (usage_error (err, 3, empty), "-m needs a module name such as pytest");
        char *relative[] = { "qgc-check", "-m", ".tests", NULL };
        assert_string_equal (usage_error (err, 3, relative), "-m needs a module name such as pytest");
}

static void
script_operands (void **state)
{
        struct options o;
        char err[256];
        char *dashes[] = { "qgc-check", "--", "-app.py", "--", "", NULL };
        assert_int_equal (parse (&o, err, 5, dashes), OPTIONS_RUN);
        assert_false (o.module);
        assert_string_equal (o.script, "-app.py");
        assert_int_equal (o.script_argc, 2);
        assert_string_equal (o.script_argv[0], "--");
        assert_string_equal (o.script_argv[1], "");
        char *empty[] = { "qgc-check", "", NULL };
        assert_string_equal (usage_error (err, 2, empty), "the script path is empty");
        char *mitigated[] = { "qgc-check", "--compare", "--mitigate", "app.py", NULL };
        assert_string_equal (usage_error (err, 4, mitigated),
                             "--compare runs twice by itself; drop --mitigate and --repeat");
        char *repeated[] = { "qgc-check", "--repeat", "2", "--compare", "app.py", NULL };
        assert_string_equal (usage_error (err, 5, repeated),
                             "--compare runs twice by itself; drop --mitigate and --repeat");
}

static void
version_text (void **state)
{
        struct options o;
        char err[256], text[4096] = "";
        char *version[] = { "qgc-check", "--version", "--bogus", NULL };
        FILE *out = fmemopen (text, sizeof text, "w");
        assert_int_equal (options_parse (&o, 3, version, out, err, sizeof err), OPTIONS_DONE);
        fclose (out);
        /* The version, then the interpreters the build serves, the default first. */
        const char *first = "qgc-check " QGC_VERSION "\n";
        assert_memory_equal (text, first, strlen (first));
        const struct interpreter *in = interpreters_default ();
        char line[1024];
        snprintf (line, sizeof line, "\nPython %s: %s (the default, outside a venv)\n", in->version, in->executable);
        assert_non_null (strstr (text + strlen (first) - 1, line));
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (defaults),
                cmocka_unit_test (options_stop_at_script),
                cmocka_unit_test (zero_duration_means_no_limit),
                cmocka_unit_test (bad_values),
                cmocka_unit_test (missing_script),
                cmocka_unit_test (help_and_version),
                cmocka_unit_test (bad_value_messages),
                cmocka_unit_test (bad_option_messages),
                cmocka_unit_test (stress_modes),
                cmocka_unit_test (fail_on_levels),
                cmocka_unit_test (flags_and_verbosity),
                cmocka_unit_test (report_paths),
                cmocka_unit_test (suppressions_files),
                cmocka_unit_test (module_runs),
                cmocka_unit_test (script_operands),
                cmocka_unit_test (version_text),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
