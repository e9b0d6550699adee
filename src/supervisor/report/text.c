/* SPDX-License-Identifier: MIT */
/* text.c: the end-of-run report for a person at a terminal. */
#include "config.h"

#include "supervisor/report/report.h"
#include "supervisor/report/finding-text.h"

#include <string.h>

#include "supervisor/suppressions.h"

struct style {
        const char *bold, *red, *green, *yellow, *dim, *reset;
};

static void
print_verdict (const struct run_result *r, FILE *out, const struct style *s)
{
        const char *colour = r->verdict == VERDICT_CLEAN ? s->green
                             : r->verdict == VERDICT_ERROR || r->verdict == VERDICT_INCOMPLETE ? s->yellow
                                                                                                : s->red;
        fprintf (out, "qgc-check: %s%s%s%s", s->bold, colour, verdict_name (r->verdict), s->reset);
        switch (r->verdict) {
        case VERDICT_CLEAN:
                if (r->n_rule_warnings)
                        fprintf (out, ": no finding at risk high; %zu group%s of QObjects destroyed off "
                                      "their thread with risk rule only (warnings: --fail-on high)",
                                 r->n_rule_warnings, r->n_rule_warnings == 1 ? "" : "s");
                else
                        fprintf (out, ": no QObject destroyed off its thread");
                fprintf (out, " (%llu objects, %llu collections, %llu off the GUI thread)",
                         (unsigned long long) r->objects_created, (unsigned long long) r->collections,
                         (unsigned long long) r->collections_off_gui);
                if (r->n_warnings > r->n_rule_warnings)
                        fprintf (out, "; %zu at-risk cycle%s (warnings)", r->n_warnings - r->n_rule_warnings,
                                 r->n_warnings - r->n_rule_warnings == 1 ? "" : "s");
                break;
        case VERDICT_RACE:
                fprintf (out, ": %llu finding%s in %zu group%s",
                         (unsigned long long) r->race_occurrences, r->race_occurrences == 1 ? "" : "s",
                         r->n_races, r->n_races == 1 ? "" : "s");
                if (r->n_warnings)
                        fprintf (out, "; %zu group%s of warnings", r->n_warnings,
                                 r->n_warnings == 1 ? "" : "s");
                break;
        case VERDICT_ERROR:
                fprintf (out, ": %s", r->error ? r->error : "the script failed");
                break;
        case VERDICT_CRASH:
                fprintf (out, ": %s died of %s",
                         r->crash_process && r->crash_process != r->processes ? "a child process" : "the app",
                         r->crash_reason ? r->crash_reason : "a signal");
                break;
        case VERDICT_HANG:
                fprintf (out, ": the GUI event loop made no progress for %.3g s", r->opts->hang_timeout);
                break;
        case VERDICT_INCOMPLETE:
                fprintf (out, ": no finding, but %s", r->incomplete);
                break;
        }
        if (r->sup.interrupt_signal)
                fprintf (out, " (interrupted by SIG%s)", sigabbrev_np (r->sup.interrupt_signal));
        if (r->exit_code == EXIT_PROGRAM_FAILED)
                fprintf (out, "; the program itself failed (exit status %d)", r->script_status);
        fprintf (out, " [%s%s]\n", r->opts->module ? "-m " : "", r->script ? r->script : r->opts->script);
}

/* Each finding group (the suppressed ones with -v), then its stacks with -v. */
static void
print_findings (const struct run_result *r, FILE *out, const struct style *s)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->suppressed_by && r->opts->verbosity <= 0)
                        continue;
                if (f->suppressed_by)
                        fprintf (out, "suppressed by '%s': ", f->suppressed_by);
                report_finding_text (out, f, r->opts->verbosity > 0, s->bold, s->reset);
        }
}

/* A stopped run's children: where each one was. */
static void
print_children_stacks (const struct run_result *r, FILE *out, const struct style *s)
{
        for (size_t i = 1; i < r->n_processes; i++) {
                const struct run_process *p = &r->processes[i];
                if (!p->stacks || p == r->crash_process || p == r->hang_process)
                        continue;
                fprintf (out, "%sstacks of ", s->dim);
                report_process_text (out, p);
                if (p->running_test && p->running_test[0])
                        fprintf (out, ", in test %s", p->running_test);
                fprintf (out, ":%s\n", s->reset);
                fputs (p->stacks, out);
        }
}

/* A crash, a hang or a stop: whether qgc-check is to blame, what a hang's
 * threads wait for, and every thread's stacks. */
static void
print_stacks (const struct run_result *r, FILE *out, const struct style *s)
{
        if ((r->verdict == VERDICT_CRASH || r->verdict == VERDICT_HANG) && r->tool_frame)
                fprintf (out, "%sqgc-check: this %s is in qgc-check itself, not in the app (at %s): "
                              "please report it to the qgc-check developers with this output%s\n",
                         s->bold, r->verdict == VERDICT_HANG ? "hang" : "crash", r->tool_frame, s->reset);
        if (r->verdict == VERDICT_HANG) {
                fprintf (out, "  GIL held by: %s\n", r->gil_holder ? r->gil_holder : "unknown");
                fprintf (out, "  GUI thread waits for: %s\n", r->gui_waiting ? r->gui_waiting : "unknown");
                if (r->collector)
                        fprintf (out, "  a collection was running in: %s\n", r->collector);
        }
        if (r->stopped) {
                if (r->tool_frame)
                        fprintf (out, "%sqgc-check: a thread was blocked in qgc-check itself when the run was "
                                      "stopped (at %s): please report it to the qgc-check developers with "
                                      "this output%s\n", s->bold, r->tool_frame, s->reset);
                fprintf (out, "%sstacks when the run was stopped%s%s:%s\n", s->dim,
                         r->running_test ? ", in test " : "", r->running_test ? r->running_test : "",
                         s->reset);
                fputs (r->dump, out);
                print_children_stacks (r, out, s);
        }
        if (r->verdict == VERDICT_HANG && r->hang_process && r->n_processes > 1) {
                fputs ("hung: ", out);
                report_process_text (out, r->hang_process);
                if (r->running_test)
                        fprintf (out, ", in test %s", r->running_test);
                fputc ('\n', out);
        }
        if (r->crash_process && r->n_processes > 1) {
                fputs ("crashed: ", out);
                report_process_text (out, r->crash_process);
                if (r->running_test)
                        fprintf (out, ", in test %s", r->running_test);
                fputc ('\n', out);
        }
        if ((r->verdict == VERDICT_CRASH || r->verdict == VERDICT_HANG) && r->dump) {
                if (r->opts->verbosity > 0 || r->verdict == VERDICT_HANG || r->verdict == VERDICT_CRASH) {
                        fprintf (out, "%sstacks at the %s:%s\n", s->dim,
                                 r->verdict == VERDICT_HANG ? "hang" : "crash", s->reset);
                        fputs (r->dump, out);
                }
        }
}

/* What was left out or set aside: suppressed groups, suppressions that
 * matched nothing, objects the binding deferred, a run stopped at the
 * limit. */
static void
print_set_aside (const struct run_result *r, FILE *out)
{
        if (r->n_suppressed)
                fprintf (out, "note: %llu findings in %zu group%s suppressed (-v shows them)\n",
                         (unsigned long long) r->suppressed_occurrences, r->n_suppressed,
                         r->n_suppressed == 1 ? "" : "s");
        for (size_t i = 0; r->suppressions && i < r->suppressions->n; i++) {
                const struct suppression *e = &r->suppressions->items[i];
                if (!e->matched)
                        fprintf (out, "note: suppression '%s' (%s:%d) matched nothing: remove it if it is stale\n",
                                 e->name, e->source, e->line);
        }
        if (r->deferred_by_binding)
                fprintf (out, "note: %llu QObjects in garbage cycles were deferred by %s itself "
                              "(%s): not at risk\n",
                         (unsigned long long) r->deferred_by_binding, r->binding,
                         strncmp (r->binding, "PySide6", 7) == 0 ? "its delete queued for the main thread"
                                                                  : "deleteLater in their own thread");
        if (r->sup.over_limit)
                fprintf (out, "note: the script did not end within --duration + %.3g s; it was stopped\n",
                         r->opts->hang_timeout + 5.0);
}

/* The processes of the run beyond the main one: those that could not be
 * checked always, every one with -v. */
static void
print_processes (const struct run_result *r, FILE *out)
{
        if (r->n_processes <= 1)
                return;
        fprintf (out, "note: %zu processes in the run, %zu of them checked", r->n_processes,
                 r->n_processes - r->n_unchecked);
        if (r->n_unchecked)
                fprintf (out, "; %zu could not be checked", r->n_unchecked);
        fputc ('\n', out);
        for (size_t i = 0; i < r->n_processes; i++) {
                const struct run_process *p = &r->processes[i];
                if (p->checked && !p->error && r->opts->verbosity <= 0)
                        continue;
                fputs (p->checked ? "  checked " : "  unchecked ", out);
                report_process_text (out, p);
                if (!p->checked)
                        fprintf (out, " (%s)", p->reason);
                else
                        fprintf (out, " (%s; %llu QObjects, %llu findings)", p->outcome ? p->outcome : "?",
                                 (unsigned long long) p->objects_created, (unsigned long long) p->findings);
                if (p->error)
                        fprintf (out, ": %s", p->error);
                fputc ('\n', out);
        }
}

/* The binding, and with -v what the run measured. */
static void
print_environment (const struct run_result *r, FILE *out, const struct style *s)
{
        if (r->binding && *r->binding)
                fprintf (out, "%sbinding %s, Qt %s (%s)%s\n", s->dim, r->binding, r->qt_version,
                         r->qtcore_path, s->reset);
        if (r->opts->verbosity <= 0)
                return;
        fprintf (out, "%sstats: %llu QObjects created, %llu destroyed; %llu of %llu automatic "
                      "collections off the GUI thread",
                 s->dim, (unsigned long long) r->objects_created,
                 (unsigned long long) r->objects_destroyed,
                 (unsigned long long) r->automatic_collections_off_gui,
                 (unsigned long long) r->automatic_collections);
        if (r->automatic_collections)
                fprintf (out, " (%.1f%%)", 100.0 * r->automatic_collections_off_gui /
                                                   r->automatic_collections);
        if (r->loop_ticks)
                fprintf (out, "; GUI event loop late by p50 %.0f ms, p99 %.0f ms, max %.0f ms "
                              "over %llu ticks",
                         r->late_p50_ms, r->late_p99_ms, r->late_max_ms,
                         (unsigned long long) r->loop_ticks);
        fprintf (out, "%s\n", s->reset);
}

/* The notes, the hint, and how to replay the stress pattern. */
static void
print_advice (const struct run_result *r, FILE *out)
{
        for (size_t i = 0; i < r->n_notes; i++)
                fprintf (out, "note: %s\n", r->notes[i]);
        if (r->hint)
                fprintf (out, "hint: %s\n", r->hint);
        fprintf (out, "seed %u; replay the stress pattern (not the threads' timing): qgc-check --seed %u",
                 r->seed, r->seed);
        if (r->opts->threads != 2)
                fprintf (out, " --threads %u", r->opts->threads);
        if (r->opts->duration != 5.0)
                fprintf (out, " --duration %g", r->opts->duration);
        fprintf (out, " %s%s", r->opts->module ? "-m " : "", r->opts->script);
        for (int i = 0; i < r->opts->script_argc; i++)
                fprintf (out, " %s", r->opts->script_argv[i]);
        fputc ('\n', out);
}

void
report_write_text (const struct run_result *r, FILE *out, bool color)
{
        struct style s = color ? (struct style) { "\033[1m", "\033[31m", "\033[32m", "\033[33m",
                                                  "\033[2m", "\033[0m" }
                               : (struct style) { "", "", "", "", "", "" };
        print_verdict (r, out, &s);
        if (r->opts->verbosity < 0)
                return;
        print_findings (r, out, &s);
        print_stacks (r, out, &s);
        print_set_aside (r, out);
        print_processes (r, out);
        print_environment (r, out, &s);
        print_advice (r, out);
}
