/* SPDX-License-Identifier: MIT */
/* Unit tests of the runner's command line (cmocka): what the supervisor
 * writes, the runner reads back unchanged, and nothing else passes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/runner-args.h"

/* Arguments of the script's that look like the runner's own options, or
 * like nothing at all. */
static char *tricky[] = {
        "--channel-fd", "9", "--", "--seed=1", "-m", "", " ", "with space", "--module",
        "-", "--stress", "nonsense", "--python", "--duration", "-1",
};
#define N_TRICKY ((int) (sizeof tricky / sizeof tricky[0]))

static void
assert_same (const struct runner_args *a, const struct runner_args *b)
{
        assert_int_equal (a->channel_fd, b->channel_fd);
        assert_int_equal (a->seed, b->seed);
        assert_int_equal (a->threads, b->threads);
        assert_int_equal (a->stress_mode, b->stress_mode);
        assert_memory_equal (&a->duration, &b->duration, sizeof a->duration);
        assert_string_equal (a->probe_path, b->probe_path);
        assert_string_equal (a->python_executable, b->python_executable);
        assert_int_equal (a->mitigate, b->mitigate);
        assert_int_equal (a->strict, b->strict);
        assert_int_equal (a->module, b->module);
        if (a->follow_dir || b->follow_dir)
                assert_string_equal (a->follow_dir, b->follow_dir);
        assert_int_equal (a->child, b->child);
        assert_string_equal (a->script, b->script);
        assert_int_equal (a->script_argc, b->script_argc);
        for (int i = 0; i < a->script_argc; i++)
                assert_string_equal (a->script_argv[i], b->script_argv[i]);
}

/* Builds the command line of in, parses it back into out; argv must stay
 * alive while out is read. */
static void
build_and_parse (const struct runner_args *in, struct runner_args *out, struct runner_args_text *text,
                 char ***argv_out)
{
        size_t length = runner_args_argv_length (in);
        char **argv = calloc (length, sizeof *argv);
        assert_non_null (argv);
        assert_true (runner_args_build (in, "/usr/lib/qgc-check/qgc-check-runner", text, argv, length));
        assert_null (argv[length - 1]);
        int argc = 0;
        while (argv[argc])
                argc++;
        char error[256];
        assert_int_equal (runner_args_parse (out, argc, argv, error, sizeof error), RUNNER_ARGS_OK);
        *argv_out = argv;
}

static void
round_trip (void **state)
{
        static const double durations[] = { 0, 0.1, 5, 1.0 / 3, 604800 };
        static const char *const scripts[] = { "app.py", "-starts-with-dash.py", "", "a dir/my app.py",
                                               "--module" };
        for (unsigned variant = 0; variant < 8 * 5; variant++) {
                struct runner_args in = {
                        .channel_fd = (int) variant % 2 ? 3 : 1023,
                        .seed = variant % 3 == 0 ? UINT32_MAX : variant * 2654435761u,
                        .threads = variant % 5,
                        .stress_mode = variant % 2 ? STRESS_BURST : STRESS_ALLOC,
                        .duration = durations[variant % 5],
                        .probe_path = "/opt/q g c/qgc-probe.so",
                        .python_executable = variant % 2 ? "/usr/bin/python3" : "/home/u/venv/bin/python3",
                        .mitigate = variant & 1,
                        .strict = variant & 2,
                        .module = variant & 4,
                        .script = scripts[variant % 5],
                        .script_argc = (int) variant % (N_TRICKY + 1),
                        .script_argv = tricky,
                };
                struct runner_args out;
                struct runner_args_text text;
                char **argv;
                build_and_parse (&in, &out, &text, &argv);
                assert_same (&in, &out);
                free (argv);
        }
}

static void
every_tricky_argument (void **state)
{
        struct runner_args in = {
                .channel_fd = 7, .probe_path = "", .python_executable = "",
                .script = "-m", .script_argc = N_TRICKY, .script_argv = tricky,
        };
        struct runner_args out;
        struct runner_args_text text;
        char **argv;
        build_and_parse (&in, &out, &text, &argv);
        assert_same (&in, &out);
        /* The script's arguments are the very strings given. */
        for (int i = 0; i < N_TRICKY; i++)
                assert_ptr_equal (out.script_argv[i], tricky[i]);
        free (argv);
}

static void
build_refuses (void **state)
{
        struct runner_args args = {
                .channel_fd = 3, .probe_path = "p", .python_executable = "py", .script = "s",
                .script_argc = 2, .script_argv = tricky,
        };
        struct runner_args_text text;
        char *argv[64];
        size_t length = runner_args_argv_length (&args);
        assert_true (length <= 64);
        assert_false (runner_args_build (&args, "runner", &text, argv, length - 1));
        assert_false (runner_args_build (&args, NULL, &text, argv, length));
        args.probe_path = NULL;
        assert_false (runner_args_build (&args, "runner", &text, argv, length));
        args.probe_path = "p";
        args.script = NULL;
        assert_false (runner_args_build (&args, "runner", &text, argv, length));
        args.script = "s";
        args.script_argc = -1;
        assert_false (runner_args_build (&args, "runner", &text, argv, length));
        args.script_argc = 0;
        assert_true (runner_args_build (&args, "runner", &text, argv, runner_args_argv_length (&args)));
}

/* A command line with the required options and the script, plus extra
 * options before "--". */
static enum runner_args_status
parse_with (const char *extra[], int n_extra, char *error, struct runner_args *out)
{
        char *argv[32] = { "qgc-check-runner", "--channel-fd", "3", "--probe", "p", "--python", "py" };
        int argc = 7;
        for (int i = 0; i < n_extra; i++)
                argv[argc++] = (char *) extra[i];
        argv[argc++] = "--";
        argv[argc++] = "app.py";
        argv[argc] = NULL;
        return runner_args_parse (out, argc, argv, error, 256);
}

static void
rejects_bad_values (void **state)
{
        static const struct {
                const char *option, *value, *message;
        } cases[] = {
                { "--channel-fd", "x", "bad --channel-fd" },
                { "--channel-fd", "", "bad --channel-fd" },
                { "--channel-fd", "-1", "bad --channel-fd" },
                { "--channel-fd", "4294967296", "bad --channel-fd" },
                { "--seed", "4294967296", "bad --seed" },
                { "--seed", "12ab", "bad --seed" },
                { "--seed", "-1", "bad --seed" },
                { "--threads", "-2", "bad --threads" },
                { "--threads", "two", "bad --threads" },
                { "--stress", "Burst", "bad --stress" },
                { "--stress", "", "bad --stress" },
                { "--duration", "-1", "bad --duration" },
                { "--duration", "", "bad --duration" },
                { "--duration", "nan", "bad --duration" },
                { "--duration", "inf", "bad --duration" },
                { "--duration", "5s", "bad --duration" },
                { "--bogus", "1", "bad arguments" },
                { "-x", "1", "bad arguments" },
                { "--mitigate=yes", "1", "bad arguments" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const char *extra[] = { cases[i].option, cases[i].value };
                char error[256];
                struct runner_args out;
                assert_int_equal (parse_with (extra, 2, error, &out), RUNNER_ARGS_USAGE);
                assert_string_equal (error, cases[i].message);
        }
        const char *fine[] = { "--duration", "2.5", "--seed", "0", "--stress", "burst" };
        char error[256];
        struct runner_args out;
        assert_int_equal (parse_with (fine, 6, error, &out), RUNNER_ARGS_OK);
        assert_true (out.duration == 2.5);
        assert_int_equal (out.stress_mode, STRESS_BURST);
        assert_string_equal (out.script, "app.py");
        assert_int_equal (out.script_argc, 0);
}

static void
rejects_missing (void **state)
{
        static char *const lines[][10] = {
                { "r", NULL },
                { "r", "--", "app.py", NULL },
                { "r", "--channel-fd", "3", "--probe", "p", "--", "app.py", NULL },
                { "r", "--channel-fd", "3", "--python", "py", "--", "app.py", NULL },
                { "r", "--probe", "p", "--python", "py", "--", "app.py", NULL },
                { "r", "--channel-fd", "3", "--probe", "p", "--python", "py", "--", NULL },
                { "r", "--channel-fd", "3", "--probe", "p", "--python", "py", NULL },
        };
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
                int argc = 0;
                while (lines[i][argc])
                        argc++;
                char error[256];
                struct runner_args out;
                assert_int_equal (runner_args_parse (&out, argc, (char **) lines[i], error, sizeof error),
                                  RUNNER_ARGS_USAGE);
                assert_string_equal (error, "missing arguments");
        }
        char *no_value[] = { "r", "--channel-fd", "3", "--probe", "p", "--python", "py", "--seed", NULL };
        char error[256];
        struct runner_args out;
        assert_int_equal (runner_args_parse (&out, 8, no_value, error, sizeof error), RUNNER_ARGS_USAGE);
        assert_string_equal (error, "bad arguments");
}

/* Without "--", options still end at SCRIPT. */
static void
options_end_at_script (void **state)
{
        char *argv[] = { "r", "--channel-fd", "3", "--probe", "p", "--python", "py", "app.py",
                         "--mitigate", "--seed", "5", NULL };
        char error[256];
        struct runner_args out;
        assert_int_equal (runner_args_parse (&out, 11, argv, error, sizeof error), RUNNER_ARGS_OK);
        assert_false (out.mitigate);
        assert_int_equal (out.seed, 0);
        assert_string_equal (out.script, "app.py");
        assert_int_equal (out.script_argc, 3);
        assert_string_equal (out.script_argv[0], "--mitigate");
}

static void
stress_mode_names (void **state)
{
        static const enum stress_mode modes[] = { STRESS_ALLOC, STRESS_BURST };
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
                enum stress_mode parsed = (enum stress_mode) 99;
                assert_true (stress_mode_parse (stress_mode_name (modes[i]), &parsed));
                assert_int_equal (parsed, modes[i]);
        }
        assert_string_equal (stress_mode_name (STRESS_ALLOC), "alloc");
        assert_string_equal (stress_mode_name (STRESS_BURST), "burst");
        static const char *const bad[] = { "", "Alloc", "burst ", "bursts", "unknown" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                enum stress_mode kept = STRESS_BURST;
                assert_false (stress_mode_parse (bad[i], &kept));
                assert_int_equal (kept, STRESS_BURST);
        }
}

/* A child's command line, as the exec shim writes it: the shared words,
 * then --child --python PATH -- and python's own arguments, maybe none. */
static void
child_command_line (void **state)
{
        struct runner_args in = { .seed = 7, .threads = 2, .stress_mode = STRESS_BURST, .duration = 2.5,
                                  .probe_path = "/p/qgc-probe.so", .strict = true,
                                  .follow_dir = "/dev/shm/qgc-check-abc" };
        struct runner_args_text text;
        char *argv[64] = { "/usr/lib/qgc-check/qgc-check-runner" };
        size_t n = 1 + runner_args_build_shared (&in, &text, argv + 1, 40);
        assert_true (n > 1);
        const char *tail[] = { "--child", "--python", "/usr/bin/python3", "--", "-B", "-c", "pass",
                               "--multiprocessing-fork" };
        for (size_t i = 0; i < 8; i++)
                argv[n++] = (char *) tail[i];
        struct runner_args out;
        char error[256];
        assert_int_equal (runner_args_parse (&out, (int) n, argv, error, sizeof error), RUNNER_ARGS_OK);
        assert_true (out.child);
        assert_int_equal (out.seed, 7);
        assert_int_equal (out.stress_mode, STRESS_BURST);
        assert_true (out.strict);
        assert_string_equal (out.follow_dir, "/dev/shm/qgc-check-abc");
        assert_string_equal (out.python_executable, "/usr/bin/python3");
        assert_null (out.script);
        assert_int_equal (out.script_argc, 4);
        assert_string_equal (out.script_argv[0], "-B");
        assert_string_equal (out.script_argv[3], "--multiprocessing-fork");
        /* python with no argument at all: standard input. */
        assert_int_equal (runner_args_parse (&out, (int) n - 4, argv, error, sizeof error), RUNNER_ARGS_OK);
        assert_int_equal (out.script_argc, 0);
        /* A child needs the run's directory. */
        in.follow_dir = NULL;
        n = 1 + runner_args_build_shared (&in, &text, argv + 1, 40);
        for (size_t i = 0; i < 4; i++)
                argv[n++] = (char *) tail[i];
        assert_int_equal (runner_args_parse (&out, (int) n, argv, error, sizeof error), RUNNER_ARGS_USAGE);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (round_trip),
                cmocka_unit_test (child_command_line),
                cmocka_unit_test (every_tricky_argument),
                cmocka_unit_test (build_refuses),
                cmocka_unit_test (rejects_bad_values),
                cmocka_unit_test (rejects_missing),
                cmocka_unit_test (options_end_at_script),
                cmocka_unit_test (stress_mode_names),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
