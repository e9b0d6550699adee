/* Unit tests of the command-line parser (cmocka). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

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
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
