/* SPDX-License-Identifier: MIT */
/* Unit tests of the verdict (cmocka): one row per row of the README's
 * exit-status table and per rule of its precedence, and the role of a
 * finding group, each through the one function that decides it. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/channel.h"
#include "supervisor/verdict.h"

/* A row names only the facts that differ from a run that ended well
 * (RAN): a later designated initializer overrides an earlier one. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define RAN(...)                                                                                   \
        { .binding_named = true, .binding_loaded = true, .objects_created = 10,                    \
          .outcome = OUTCOME_RETURNED, .finished = true, .script_status = 0, .runner_started = true, \
          __VA_ARGS__ }

struct row {
        const char *name; /* the README row or the precedence rule it checks */
        struct verdict_facts facts;
        enum verdict verdict;
        int exit_status;
        const char *error;      /* how the reason starts, NULL: none */
        const char *incomplete; /* the same */
};

static const struct row rows[] = {
        /* The exit-status table, row by row. */
        { "0 clean: no QObject destroyed off its thread", RAN (), VERDICT_CLEAN, 0, NULL, NULL },
        { "1 race: at least one finding", RAN (.races = 1), VERDICT_RACE, 1, NULL, NULL },
        { "3 error: the script cannot be opened or compiled", RAN (.outcome = OUTCOME_CANNOT_RUN),
          VERDICT_ERROR, 3, "the script could not be run", NULL },
        { "3 error: an uncaught exception", RAN (.outcome = OUTCOME_EXCEPTION, .script_status = 1),
          VERDICT_ERROR, 3, "the script raised an uncaught exception", NULL },
        { "3 error: an exception escaped a Qt slot",
          RAN (.known_error = "unhandled Python exception in a slot: ValueError"), VERDICT_ERROR, 3,
          "unhandled Python exception in a slot", NULL },
        { "3 error: the runner's own error", RAN (.runner_error = "cannot start Python"),
          VERDICT_ERROR, 3, "cannot start Python", NULL },
        { "3 error: the runner never started in the interpreter",
          RAN (.runner_started = false, .binding_named = false, .binding_loaded = false, .objects_created = 0,
               .outcome = OUTCOME_NONE, .finished = false),
          VERDICT_ERROR, 3, "the runner could not start", NULL },
        { "3 error: never loaded a Qt binding",
          RAN (.binding_named = false, .binding_loaded = false, .objects_created = 0), VERDICT_ERROR, 3,
          "nothing was checked: the script never loaded a Qt binding", NULL },
        { "4 crash: the app died of a signal", RAN (.crash = true, .finished = false, .outcome = 0),
          VERDICT_CRASH, 4, NULL, NULL },
        { "4 crash: findings made before are kept", RAN (.crash = true, .races = 2), VERDICT_CRASH, 4,
          NULL, NULL },
        { "5 hang: the GUI event loop stalled", RAN (.hang = true, .finished = false, .outcome = 0),
          VERDICT_HANG, 5, NULL, NULL },
        { "6 clean, but the program exited non-zero", RAN (.outcome = OUTCOME_EXIT, .script_status = 1),
          VERDICT_CLEAN, 6, NULL, NULL },
        { "7 incomplete: not ended within the limit", RAN (.over_limit = true, .finished = false),
          VERDICT_INCOMPLETE, 7, NULL, "the app did not end within --duration" },
        { "7 incomplete: stopped by SIGTTOU", RAN (.stop_signal = SIGTTOU, .finished = false),
          VERDICT_INCOMPLETE, 7, NULL, "the app was stopped by SIGTTOU" },
        { "7 incomplete: stopped by SIGTTIN", RAN (.stop_signal = SIGTTIN, .finished = false),
          VERDICT_INCOMPLETE, 7, NULL, "the app was stopped by SIGTTIN" },
        { "7 incomplete: Qt loaded, no QObject created", RAN (.objects_created = 0), VERDICT_INCOMPLETE,
          7, NULL, "nothing was checked: the Qt binding was loaded but no QObject" },
        { "7 incomplete: Qt work only in unchecked processes",
          RAN (.binding_named = false, .binding_loaded = false, .objects_created = 0, .unchecked_processes = 1),
          VERDICT_INCOMPLETE, 7, NULL, "nothing was checked: the Qt work ran in processes qgc-check cannot check" },
        { "7 incomplete: unchecked processes, a checked one loaded Qt and made nothing",
          RAN (.objects_created = 0, .unchecked_processes = 2), VERDICT_INCOMPLETE, 7, NULL,
          "nothing was checked: the Qt work ran in processes qgc-check cannot check" },
        { "0 clean: unchecked processes beside checked Qt work", RAN (.unchecked_processes = 1), VERDICT_CLEAN,
          0, NULL, NULL },
        { "4 crash: a child process crashed, the main one did not load Qt",
          RAN (.crash = true, .binding_named = true, .binding_loaded = true), VERDICT_CRASH, 4, NULL, NULL },
        { "7 incomplete: a binding named, the probe never started", RAN (.binding_loaded = false),
          VERDICT_INCOMPLETE, 7, NULL, "nothing was checked: the Qt probe never started" },
        { "130 incomplete: interrupted by SIGINT", RAN (.interrupt_signal = SIGINT, .finished = false),
          VERDICT_INCOMPLETE, 130, NULL, "interrupted before the app ended" },
        { "143 incomplete: interrupted by SIGTERM", RAN (.interrupt_signal = SIGTERM, .finished = false),
          VERDICT_INCOMPLETE, 143, NULL, "interrupted before the app ended" },
        { "130 incomplete: the script's own KeyboardInterrupt", RAN (.interrupt_signal = SIGINT),
          VERDICT_INCOMPLETE, 130, NULL, "the script ended with an uncaught KeyboardInterrupt" },

        /* Precedence: hang and crash over race over script error over
         * incomplete over clean. */
        { "hang over crash", RAN (.hang = true, .crash = true), VERDICT_HANG, 5, NULL, NULL },
        { "hang over race", RAN (.hang = true, .races = 1), VERDICT_HANG, 5, NULL, NULL },
        { "crash over race", RAN (.crash = true, .races = 1), VERDICT_CRASH, 4, NULL, NULL },
        { "crash over script error", RAN (.crash = true, .outcome = OUTCOME_EXCEPTION), VERDICT_CRASH, 4,
          "the script raised", NULL },
        { "race over script error", RAN (.races = 1, .outcome = OUTCOME_EXCEPTION), VERDICT_RACE, 1,
          "the script raised", NULL },
        { "race over incomplete", RAN (.races = 1, .over_limit = true), VERDICT_RACE, 1, NULL,
          "the app did not end" },
        { "script error over incomplete", RAN (.outcome = OUTCOME_EXCEPTION, .over_limit = true),
          VERDICT_ERROR, 3, "the script raised", "the app did not end" },
        { "incomplete over a failed program", RAN (.over_limit = true, .script_status = 2),
          VERDICT_INCOMPLETE, 7, NULL, "the app did not end" },
        { "a race of a failed program is a race", RAN (.races = 1, .script_status = 1), VERDICT_RACE, 1,
          NULL, NULL },
        { "a status unknown is not a failure", RAN (.script_status = -1), VERDICT_CLEAN, 0, NULL, NULL },

        /* An interrupt sets the exit status whatever the verdict. */
        { "interrupted race exits 128 + signal", RAN (.races = 1, .interrupt_signal = SIGTERM, .finished = false),
          VERDICT_RACE, 143, NULL, "interrupted before" },
        { "interrupted hang exits 128 + signal", RAN (.hang = true, .interrupt_signal = SIGINT, .finished = false),
          VERDICT_HANG, 130, NULL, "interrupted before" },
        { "interrupted crash exits 128 + signal", RAN (.crash = true, .interrupt_signal = SIGTERM, .finished = false),
          VERDICT_CRASH, 143, NULL, "interrupted before" },
        { "interrupted failed program exits 128 + signal",
          RAN (.interrupt_signal = SIGINT, .script_status = 1, .finished = false), VERDICT_INCOMPLETE, 130,
          NULL, "interrupted before" },

        /* Which reason, when several apply. */
        { "an error named first wins", RAN (.known_error = "slot", .runner_error = "runner"),
          VERDICT_ERROR, 3, "slot", NULL },
        { "the runner's error over the script's outcome",
          RAN (.runner_error = "runner", .outcome = OUTCOME_CANNOT_RUN), VERDICT_ERROR, 3, "runner", NULL },
        { "no binding, but cut short by the limit: incomplete, not an error",
          RAN (.binding_named = false, .binding_loaded = false, .over_limit = true), VERDICT_INCOMPLETE, 7,
          NULL, "the app did not end" },
        { "no binding, but crashed: no error",
          RAN (.binding_named = false, .binding_loaded = false, .crash = true), VERDICT_CRASH, 4, NULL,
          NULL },
        { "no binding, but hung: no error",
          RAN (.binding_named = false, .binding_loaded = false, .hang = true), VERDICT_HANG, 5, NULL, NULL },
        { "no binding, but interrupted: incomplete",
          RAN (.binding_named = false, .binding_loaded = false, .interrupt_signal = SIGTERM,
               .finished = false),
          VERDICT_INCOMPLETE, 143, NULL, "interrupted before" },
        { "no binding, stopped by SIGTTIN: incomplete",
          RAN (.binding_named = false, .binding_loaded = false, .stop_signal = SIGTTIN), VERDICT_INCOMPLETE,
          7, NULL, "the app was stopped by SIGTTIN" },
        { "a stop signal over the limit", RAN (.stop_signal = SIGTTOU, .over_limit = true),
          VERDICT_INCOMPLETE, 7, NULL, "the app was stopped by SIGTTOU" },
        { "the limit over an interrupt", RAN (.over_limit = true, .interrupt_signal = SIGTERM),
          VERDICT_INCOMPLETE, 143, NULL, "the app did not end" },
};

static void
assert_reason (const char *row, const char *what, const char *got, const char *want)
{
        if (want && got && strncmp (got, want, strlen (want)) == 0)
                return;
        if (!want && !got)
                return;
        fail_msg ("%s: %s is \"%s\", expected \"%s\"", row, what, got ? got : "(none)", want ? want : "(none)");
}

static void
every_row_of_the_exit_status_table (void **state)
{
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                const struct row *row = &rows[i];
                struct verdict_decision d = verdict_decide (&row->facts);
                if (d.verdict != row->verdict || d.exit_status != row->exit_status)
                        fail_msg ("%s: %s %d, expected %s %d", row->name, verdict_name (d.verdict),
                                  d.exit_status, verdict_name (row->verdict), row->exit_status);
                assert_reason (row->name, "error", d.error, row->error);
                assert_reason (row->name, "incomplete", d.incomplete, row->incomplete);
        }
}

struct role_row {
        uint32_t kind, evidence;
        bool suppressed, strict, fail_on_high;
        enum finding_role role;
};

static void
role_of_each_finding_group (void **state)
{
        static const struct role_row roles[] = {
                { FINDING_OFF_THREAD_FINALIZATION, 0, false, false, false, ROLE_RACE },
                { FINDING_THREAD_WARNING, 0, false, false, false, ROLE_RACE },
                /* At-risk cycles are warnings unless --strict. */
                { FINDING_AT_RISK_CYCLE, 0, false, false, false, ROLE_WARNING },
                { FINDING_AT_RISK_CYCLE, 0, false, true, false, ROLE_RACE },
                /* --fail-on high: only evidence of a hazard makes a race. */
                { FINDING_OFF_THREAD_FINALIZATION, 0, false, false, true, ROLE_WARNING },
                { FINDING_OFF_THREAD_FINALIZATION, EVIDENCE_WIDGET, false, false, true, ROLE_RACE },
                { FINDING_AT_RISK_CYCLE, EVIDENCE_WIDGET, false, true, true, ROLE_RACE },
                { FINDING_AT_RISK_CYCLE, 0, false, true, true, ROLE_WARNING },
                /* Suppressed: counted only, whatever else holds. */
                { FINDING_OFF_THREAD_FINALIZATION, EVIDENCE_WIDGET, true, true, false, ROLE_SUPPRESSED },
                { FINDING_AT_RISK_CYCLE, 0, true, false, true, ROLE_SUPPRESSED },
        };
        for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
                const struct role_row *r = &roles[i];
                if (verdict_role (r->kind, r->evidence, r->suppressed, r->strict, r->fail_on_high) != r->role)
                        fail_msg ("role row %zu", i);
        }
}

static void
verdict_names_are_the_reports_words (void **state)
{
        const char *names[] = { "clean", "race", "error", "crash", "hang", "incomplete" };
        for (int v = VERDICT_CLEAN; v <= VERDICT_INCOMPLETE; v++)
                assert_string_equal (verdict_name ((enum verdict) v), names[v]);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (every_row_of_the_exit_status_table),
                cmocka_unit_test (role_of_each_finding_group),
                cmocka_unit_test (verdict_names_are_the_reports_words),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
