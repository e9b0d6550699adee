/* SPDX-License-Identifier: MIT */
/* verdict.c: what a run means (see verdict.h). */
#include "config.h"

#include "supervisor/verdict.h"

#include "common/channel.h"
#include "common/finding.h"

#include <signal.h>

const char *
verdict_name (enum verdict v)
{
        static const char *const names[] = { "clean", "race", "error", "crash", "hang", "incomplete" };
        return v <= VERDICT_INCOMPLETE ? names[v] : "error";
}

enum finding_role
verdict_role (uint32_t kind, uint32_t evidence, bool suppressed, bool strict, bool fail_on_high)
{
        if (suppressed)
                return ROLE_SUPPRESSED;
        if ((kind == FINDING_AT_RISK_CYCLE && !strict) || (fail_on_high && !evidence))
                return ROLE_WARNING;
        return ROLE_RACE;
}

/* Why the script failed: an error already named, the runner's, the
 * script's own outcome, or a script that never loaded a binding (only when
 * nothing else explains that: a run cut short may not have got there). */
static const char *
error_reason (const struct verdict_facts *f)
{
        if (f->known_error)
                return f->known_error;
        if (f->runner_error)
                return f->runner_error;
        /* The interpreter ran but the runner never got going in it (the
         * host could not load it, or it refused the interpreter): its one
         * line is above. */
        if (!f->runner_started && !f->crash && !f->hang && !f->interrupt_signal && !f->over_limit &&
            !f->stop_signal)
                return "the runner could not start in the venv's python3 (the message above says why)";
        if (f->outcome == OUTCOME_CANNOT_RUN)
                return "the script could not be run (see the message above)";
        if (f->outcome == OUTCOME_EXCEPTION)
                return "the script raised an uncaught exception (traceback above)";
        if (!f->binding_loaded && !f->binding_named && !f->crash && !f->hang && !f->interrupt_signal &&
            !f->over_limit && !f->stop_signal && !f->unchecked_processes)
                return "nothing was checked: the script never loaded a Qt binding (PyQt6 or PySide6)";
        return NULL;
}

/* No finding is not "clean" when the check did not cover the run: the
 * app never got to its end, or no QObject was ever watched. */
static const char *
incomplete_reason (const struct verdict_facts *f)
{
        if (f->stop_signal == SIGTTOU)
                return "the app was stopped by SIGTTOU: it wrote to or set up the terminal, which it "
                       "could not have (qgc-check is not in the terminal's foreground); run qgc-check "
                       "in the foreground";
        if (f->stop_signal)
                return "the app was stopped by SIGTTIN: it read the terminal, which it could not have "
                       "(qgc-check is not in the terminal's foreground); run qgc-check in the "
                       "foreground or give the app its input on stdin";
        if (f->over_limit)
                return "the app did not end within --duration + --hang-timeout + 5 s and was stopped: "
                       "what it does after that (its teardown) was not checked; let it end (e.g. quit "
                       "its event loop) or raise --duration";
        if (f->interrupt_signal && f->finished)
                return "the script ended with an uncaught KeyboardInterrupt (as by Ctrl-C)";
        if (f->interrupt_signal)
                return "interrupted before the app ended: its teardown was not checked";
        if (f->unchecked_processes && f->objects_created == 0)
                return "nothing was checked: the Qt work ran in processes qgc-check cannot check (listed "
                       "as unchecked: another Python interpreter than the run's, or a program that is not "
                       "Python); run that Python code with the run's interpreter";
        if (f->binding_named && !f->binding_loaded)
                return "nothing was checked: the Qt probe never started";
        if (f->binding_loaded && f->objects_created == 0)
                return "nothing was checked: the Qt binding was loaded but no QObject was created "
                       "while the check ran; create the app's objects (or run with --duration > 0 so "
                       "that an event loop runs)";
        return NULL;
}

struct verdict_decision
verdict_decide (const struct verdict_facts *facts)
{
        struct verdict_decision d = {
                .error = error_reason (facts),
                .incomplete = incomplete_reason (facts),
        };
        if (facts->hang)
                d.verdict = VERDICT_HANG;
        else if (facts->crash)
                d.verdict = VERDICT_CRASH;
        else if (facts->races > 0)
                d.verdict = VERDICT_RACE;
        else if (d.error)
                d.verdict = VERDICT_ERROR;
        else if (d.incomplete)
                d.verdict = VERDICT_INCOMPLETE;
        else
                d.verdict = VERDICT_CLEAN;

        static const int codes[] = { EXIT_CLEAN, EXIT_RACE, EXIT_SCRIPT_ERROR, EXIT_CRASH, EXIT_HANG,
                                     EXIT_INCOMPLETE };
        d.exit_status = codes[d.verdict];
        /* The program's own failure stays visible (a failing test suite
         * fails the job) and distinct from a race. */
        if (d.verdict == VERDICT_CLEAN && facts->script_status > 0)
                d.exit_status = EXIT_PROGRAM_FAILED;
        if (facts->interrupt_signal)
                d.exit_status = 128 + facts->interrupt_signal;
        return d;
}
