/* SPDX-License-Identifier: MIT */
/* main.c: qgc-check's command line: check, run under supervision, report. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/interpreters.h"
#include "supervisor/options.h"
#include "supervisor/report/report.h"
#include "supervisor/result-text.h"
#include "supervisor/result.h"
#include "supervisor/supervisor.h"
#include "supervisor/suppressions.h"

static _Noreturn __attribute__ ((format (printf, 2, 3))) void
die (int status, const char *fmt, ...)
{
        va_list ap;
        fputs ("qgc-check: ", stderr);
        va_start (ap, fmt);
        vfprintf (stderr, fmt, ap);
        va_end (ap);
        fputc ('\n', stderr);
        exit (status);
}

static void
check_script (const char *script)
{
        struct stat st;
        if (stat (script, &st) < 0)
                die (EXIT_SCRIPT_ERROR, "cannot open the script '%s': %s; check the path", script,
                     strerror (errno));
        if (S_ISDIR (st.st_mode))
                die (EXIT_SCRIPT_ERROR, "the script '%s' is a directory; give the path of a .py file "
                                        "(or use python -m style packages by their __main__.py)", script);
        if (!S_ISREG (st.st_mode))
                die (EXIT_SCRIPT_ERROR, "the script '%s' is not a regular file", script);
        if (access (script, R_OK) < 0)
                die (EXIT_SCRIPT_ERROR, "cannot read the script '%s': %s; check its permissions", script,
                     strerror (errno));
}

/* The directory of the running executable, in buf. */
static const char *
own_dir (char *buf, size_t size)
{
        ssize_t n = readlink ("/proc/self/exe", buf, size - 1);
        if (n <= 0)
                die (EXIT_SCRIPT_ERROR, "cannot find its own executable: %s", strerror (errno));
        buf[n] = '\0';
        char *slash = strrchr (buf, '/');
        if (slash)
                *slash = '\0';
        return buf;
}

/* The installed binary finds its runner and probe relative to itself; the
 * one in the build tree finds the ones built beside it. */
static char *
find_part (const char *in_build, const char *from_bindir, int mode, const char *what)
{
        char exe[PATH_MAX];
        own_dir (exe, sizeof exe);
        char *path = NULL;
        if (strcmp (exe, QGC_BUILD_BINDIR) == 0)
                path = strdup (in_build);
        else if (asprintf (&path, "%s/%s", exe, from_bindir) < 0)
                path = NULL;
        if (!path)
                die (EXIT_SCRIPT_ERROR, "out of memory");
        if (access (path, mode) < 0)
                die (EXIT_SCRIPT_ERROR, "cannot find its %s at '%s': %s; reinstall qgc-check", what,
                     path, strerror (errno));
        return path;
}

/* The venv whose bin/ holds this executable (pip installed it there), or
 * NULL: its python is the one to run as, as <venv>/bin/python runs as the
 * venv without activation, whichever venv the build happened in. */
static char *
own_venv (void)
{
        char exe[PATH_MAX];
        own_dir (exe, sizeof exe);
        char *slash = strrchr (exe, '/');
        if (!slash || strcmp (slash, "/bin") != 0)
                return NULL;
        *slash = '\0';
        char *cfg = NULL;
        if (asprintf (&cfg, "%s/pyvenv.cfg", exe) < 0)
                die (EXIT_SCRIPT_ERROR, "out of memory");
        bool found = access (cfg, R_OK) == 0;
        free (cfg);
        return found ? strdup (exe) : NULL;
}

/* The minor version a venv's pyvenv.cfg records ("3.12.1"), or "". */
static void
venv_version (const char *venv, char *version, size_t size)
{
        char *cfg = NULL;
        if (asprintf (&cfg, "%s/pyvenv.cfg", venv) < 0)
                die (EXIT_SCRIPT_ERROR, "out of memory");
        FILE *f = fopen (cfg, "r");
        free (cfg);
        if (!f)
                die (EXIT_SCRIPT_ERROR, "VIRTUAL_ENV is '%s' but it has no pyvenv.cfg; "
                                        "activate a real venv or unset VIRTUAL_ENV", venv);
        char line[512], format[32];
        snprintf (format, sizeof format, "%%*[ ]= %%%zus", size - 1);
        version[0] = '\0';
        while (fgets (line, sizeof line, f))
                if ((strncmp (line, "version ", 8) == 0 && sscanf (line + 7, format, version) == 1) ||
                    (strncmp (line, "version_info ", 13) == 0 && sscanf (line + 12, format, version) == 1))
                        break;
        fclose (f);
}

/* The script sees an activated venv's packages exactly as the venv's own
 * python would: the embedded interpreter runs as that python, in the
 * runner of its minor version (its compiled packages load into no other).
 * Without an activated venv, the venv qgc-check was installed into, else
 * the default interpreter of the build. */
static const struct interpreter *
find_python (char **python)
{
        const char *active = getenv ("VIRTUAL_ENV");
        char *own = active && *active ? NULL : own_venv ();
        const char *venv = active && *active ? active : own;
        if (!venv) {
                *python = strdup (interpreters_default ()->executable);
                return interpreters_default ();
        }
        char version[64], served[256];
        venv_version (venv, version, sizeof version);
        const struct interpreter *in = version[0] ? interpreters_find (version) : interpreters_default ();
        if (!in)
                die (EXIT_SCRIPT_ERROR, "the venv '%s' is Python %s but this qgc-check serves Python %s; "
                                        "pip install qgc-check into that venv, make the venv with %s -m venv, "
                                        "or build qgc-check with -Dpython=<that python> added",
                     venv, version, interpreters_list (served, sizeof served), interpreters_default ()->executable);
        if (asprintf (python, "%s/bin/python3", venv) < 0)
                die (EXIT_SCRIPT_ERROR, "out of memory");
        free (own);
        return in;
}

static uint32_t
choose_seed (void)
{
        uint32_t seed = 0;
        if (getrandom (&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
                seed = (uint32_t) getpid () ^ (uint32_t) channel_now_ns ();
        return seed;
}

/* What every run of one invocation shares. */
struct session {
        char *probe;
        char *runner;
        char *host;
        char *python;
        const struct interpreter *interpreter; /* the runner's */
        char *follow; /* the exec shim, NULL with --no-follow */
        struct report_events *events;
        struct suppressions suppressions;
        bool progress;
        bool color;
};

static void
run_once (const struct options *opts, uint32_t seed, struct session *s, struct run_result *r,
          struct channel **ch)
{
        char error[1024];
        struct supervisor_config sc = {
                .opts = opts, .seed = seed, .probe_path = s->probe, .runner_path = s->runner,
                .host_path = s->host,
                .python_executable = s->python, .python_version = s->interpreter->version,
                .follow_path = s->follow, .events = s->events,
                .progress = s->progress,
        };
        struct supervision sup;
        if (!supervisor_run (&sc, ch, &sup, error, sizeof error))
                die (EXIT_SCRIPT_ERROR, "%s", error);
        result_build (r, opts, seed, *ch, &sup, &s->suppressions);
        if (s->events)
                report_events_end (s->events, r);
}

/* Returns only when there is a script to run. */
static void
parse_command_line (struct options *opts, int argc, char **argv)
{
        char error[1024];
        switch (options_parse (opts, argc, argv, stdout, error, sizeof error)) {
        case OPTIONS_DONE:
                exit (EXIT_CLEAN);
        case OPTIONS_USAGE:
                fprintf (stderr, "qgc-check: %s\n%s\nTry 'qgc-check --help' for more information.\n",
                         error, options_usage_line);
                exit (EXIT_USAGE);
        case OPTIONS_RUN:
                break;
        }
}

/* What the run reads and writes fails now, not after minutes of stress. */
static void
check_inputs (const struct options *opts, struct suppressions *suppressions)
{
        char error[1024];
        if (!opts->module)
                check_script (opts->script);
        const struct {
                const char *path, *option;
        } report_paths[] = { { opts->json_path, "json" }, { opts->events_path, "events" },
                             { opts->junit_path, "junit" }, { opts->sarif_path, "sarif" },
                             { opts->gen_suppressions_path, "gen-suppressions" } };
        for (size_t i = 0; i < sizeof report_paths / sizeof report_paths[0]; i++)
                if (report_paths[i].path &&
                    !report_path_check (report_paths[i].path, report_paths[i].option,
                                        opts->module ? NULL : opts->script, error, sizeof error))
                        die (EXIT_USAGE, "%s", error);

        for (unsigned i = 0; i < opts->n_suppressions; i++)
                if (!suppressions_load (suppressions, opts->suppressions[i], error, sizeof error))
                        die (EXIT_USAGE, "%s", error);
}

/* The parts of qgc-check, the environment of the app, the events stream
 * and how to talk to the user. */
static void
session_open (struct session *s, const struct options *opts)
{
        char error[1024];
        /* No display and no choice of the user's: Qt's offscreen platform. */
        if (!getenv ("DISPLAY") && !getenv ("WAYLAND_DISPLAY") && !getenv ("QT_QPA_PLATFORM"))
                setenv ("QT_QPA_PLATFORM", "offscreen", 1);

        s->probe = find_part (QGC_BUILD_PROBE, QGC_PROBE_FROM_BINDIR, R_OK, "Qt probe");
        const struct interpreter *in = s->interpreter = find_python (&s->python);
        char in_build[PATH_MAX], from_bindir[PATH_MAX];
        snprintf (in_build, sizeof in_build, "%s/%s", QGC_BUILD_RUNNERS, in->runner);
        snprintf (from_bindir, sizeof from_bindir, "%s/%s", QGC_RUNNERS_FROM_BINDIR, in->runner);
        s->runner = find_part (in_build, from_bindir, R_OK, "runner");
        s->host = find_part (QGC_BUILD_HOST, QGC_HOST_FROM_BINDIR, R_OK, "runner's host");
        /* The dynamic loader splits LD_PRELOAD at spaces and colons. */
        if (strpbrk (s->host, " :"))
                die (EXIT_SCRIPT_ERROR, "qgc-check is installed under '%s', a path with a space or a colon, "
                                        "which the dynamic loader cannot preload from: install it (its venv) "
                                        "under a path without either", s->host);
        if (!opts->no_follow)
                s->follow = find_part (QGC_BUILD_FOLLOW, QGC_FOLLOW_FROM_BINDIR, R_OK, "exec shim");
        if (s->follow && strpbrk (s->follow, " :"))
                die (EXIT_SCRIPT_ERROR, "qgc-check is installed under '%s', a path with a space or a colon, "
                                        "which the dynamic loader cannot preload from: install it (its venv) "
                                        "under a path without either", s->follow);
        if (opts->events_path &&
            !(s->events = report_events_open (opts->events_path, error, sizeof error)))
                die (EXIT_USAGE, "%s", error);
        const char *no_color = getenv ("NO_COLOR");
        const char *term = getenv ("TERM");
        const char *ci = getenv ("CI");
        bool terminal = isatty (STDERR_FILENO) && !(term && strcmp (term, "dumb") == 0);
        /* Never in CI logs, never under -q. */
        s->progress = terminal && !(ci && *ci) && opts->verbosity >= 0;
        s->color = terminal && !(no_color && *no_color);
}

/* --compare: the same seed without and with the workaround, the proof a
 * user pastes into a bug report. The first run's result is the one
 * reported. */
static void
run_compared (const struct options *opts, uint32_t seed, struct session *s, struct run_result *r,
              struct channel **ch)
{
        struct options mitigated = *opts;
        mitigated.mitigate = true;
        struct run_result m;
        struct channel *mch;
        fprintf (stderr, "qgc-check: run 1 of 2: as the app is\n");
        run_once (opts, seed, s, r, ch);
        report_write_text (r, stderr, s->color);
        fprintf (stderr, "qgc-check: run 2 of 2: with --mitigate (same seed)\n");
        run_once (&mitigated, seed, s, &m, &mch);
        report_write_text (&m, stderr, s->color);
        r->compared = true;
        r->mitigated_verdict = verdict_name (m.verdict);
        r->mitigated_findings = m.total_occurrences;
        fprintf (stderr, "qgc-check: compare (seed %u): without mitigation: %s (%llu findings); "
                         "with --mitigate: %s (%llu findings)\n",
                 seed, verdict_name (r->verdict), (unsigned long long) r->total_occurrences,
                 r->mitigated_verdict, (unsigned long long) m.total_occurrences);
        result_free (&m);
        channel_destroy (mch);
}

/* Up to --repeat runs with fresh seeds; the first that is not clean (or
 * is interrupted), else the last, is the one reported. */
static void
run_repeated (const struct options *opts, uint32_t seed, struct session *s, struct run_result *r,
              struct channel **ch)
{
        for (unsigned i = 1;; i++) {
                run_once (opts, seed, s, r, ch);
                if (i == opts->repeat || r->verdict != VERDICT_CLEAN || r->sup.interrupt_signal) {
                        report_write_text (r, stderr, s->color);
                        if (opts->repeat > 1 && r->verdict != VERDICT_CLEAN) {
                                fprintf (stderr, "qgc-check: run %u of %u gave %s with seed %u; "
                                                 "reproduce it with --seed %u: ",
                                         i, opts->repeat, verdict_name (r->verdict), seed, seed);
                                result_text_write_command (stderr, opts, &seed);
                                fputc ('\n', stderr);
                        }
                        else if (opts->repeat > 1)
                                fprintf (stderr, "qgc-check: %u runs, all clean\n", opts->repeat);
                        return;
                }
                if (opts->verbosity >= 0)
                        fprintf (stderr, "qgc-check: run %u of %u (seed %u): clean\n", i,
                                 opts->repeat, seed);
                result_free (r);
                channel_destroy (*ch);
                seed = choose_seed ();
        }
}

/* The report files asked for; the exit status, made an error by a report
 * that could not be written when the run itself was clean. */
static int
write_reports (const struct run_result *r, const struct options *opts)
{
        char error[1024];
        int status = r->exit_code;
        bool (*const writers[]) (const struct run_result *, const char *, char *, size_t) = {
                report_write_json, report_write_junit, report_write_sarif, suppressions_generate,
        };
        const char *paths[] = { opts->json_path, opts->junit_path, opts->sarif_path,
                                opts->gen_suppressions_path };
        for (size_t i = 0; i < 4; i++)
                if (paths[i] && !writers[i] (r, paths[i], error, sizeof error)) {
                        fprintf (stderr, "qgc-check: %s\n", error);
                        status = status ? status : EXIT_SCRIPT_ERROR;
                }
        return status;
}

int
main (int argc, char **argv)
{
        struct options opts;
        parse_command_line (&opts, argc, argv);
        struct session session = { 0 };
        check_inputs (&opts, &session.suppressions);
        session_open (&session, &opts);

        uint32_t seed = opts.seed_given ? opts.seed : choose_seed ();
        struct run_result r;
        struct channel *ch;
        if (opts.compare)
                run_compared (&opts, seed, &session, &r, &ch);
        else
                run_repeated (&opts, seed, &session, &r, &ch);

        int status = write_reports (&r, &opts);
        if (session.events)
                report_events_close (session.events);
        result_free (&r);
        channel_destroy (ch);
        suppressions_free (&session.suppressions);
        free (session.probe);
        free (session.runner);
        free (session.host);
        free (session.python);
        free (session.follow);
        return status;
}
