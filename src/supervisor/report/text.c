/* text.c: the end-of-run report for a person at a terminal. */
#include "config.h"

#include "supervisor/report/report.h"
#include "common/native-stack.h"

#include <string.h>
#include <unistd.h>

#include "supervisor/suppressions.h"

struct style {
        const char *bold, *red, *green, *yellow, *dim, *reset;
};

/* Files under the working directory are shown relative to it, as a
 * compiler shows them. */
static const char *
relative (const char *path)
{
        static char cwd[4096];
        static size_t n;
        if (!n && getcwd (cwd, sizeof cwd))
                n = strlen (cwd);
        if (n > 1 && strncmp (path, cwd, n) == 0 && path[n] == '/')
                return path + n + 1;
        return path;
}

static void
print_first_line (FILE *out, const char *indent, const char *label, const char *stack)
{
        if (!stack || !*stack)
                return;
        const char *eol = strchr (stack, '\n');
        const char *line = relative (stack);
        int len = eol ? (int) (eol - line) : (int) strlen (line);
        fprintf (out, "%s%s%.*s\n", indent, label, len, line);
}

static void
print_stack (FILE *out, const char *indent, const char *title, const char *stack)
{
        if (!stack || !*stack)
                return;
        fprintf (out, "%s%s\n", indent, title);
        for (const char *p = stack; *p;) {
                const char *eol = strchr (p, '\n');
                const char *line = relative (p);
                int len = eol ? (int) (eol - line) : (int) strlen (line);
                fprintf (out, "%s  %.*s\n", indent, len, line);
                p = eol ? eol + 1 : p + len;
        }
}

/* "function<TAB>library" lines as "function (library)". */
static void
print_native_stack (FILE *out, const char *stack)
{
        if (!stack || !*stack)
                return;
        fputs ("  C++ stack when it happened (innermost first):\n", out);
        struct native_frame fr;
        for (const char *p = stack; native_stack_next (&p, &fr);)
                if (fr.library_len)
                        fprintf (out, "    %.*s (%.*s)\n", fr.function_len, fr.function, fr.library_len,
                                 fr.library);
                else
                        fprintf (out, "    %.*s\n", fr.function_len, fr.function);
}

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
                fprintf (out, ": the app died of %s", r->crash_reason ? r->crash_reason : "a signal");
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

void
report_write_text (const struct run_result *r, FILE *out, bool color)
{
        struct style s = color ? (struct style) { "\033[1m", "\033[31m", "\033[32m", "\033[33m",
                                                  "\033[2m", "\033[0m" }
                               : (struct style) { "", "", "", "", "", "" };
        print_verdict (r, out, &s);
        if (r->opts->verbosity < 0)
                return;

        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->suppressed_by && r->opts->verbosity <= 0)
                        continue;
                if (f->suppressed_by)
                        fprintf (out, "suppressed by '%s': ", f->suppressed_by);
                const char *warning = f->role == ROLE_WARNING ? "warning: " : "";
                if (f->kind == FINDING_AT_RISK_CYCLE) {
                        fprintf (out, "%s%s%s%s: %s x%llu\n", s.bold, warning,
                                 finding_kind_name (f->kind), s.reset, f->title,
                                 (unsigned long long) f->count);
                        print_first_line (out, "  ", "created at ", f->creation_stack);
                        if (f->creation_source)
                                fprintf (out, "    %s\n", f->creation_source);
                        if (f->differs_at)
                                fprintf (out, "  via %s\n", relative (f->differs_at));
                        if (f->role != ROLE_SUPPRESSED)
                                fprintf (out, "  fix: %s\n", f->fix);
                        if (r->opts->verbosity > 0)
                                print_stack (out, "  ", "creation stack (innermost first):", f->creation_stack);
                        continue;
                }
                /* The title, then what varies within the group. */
                fprintf (out, "%s%s%s%s%s", s.bold, warning,
                         f->kind == FINDING_THREAD_WARNING ? "thread-warning: " : "", f->title, s.reset);
                if (*f->object_name)
                        fprintf (out, " '%s'", f->object_name);
                fprintf (out, " (");
                if (f->gc_generation >= 0)
                        fprintf (out, "generation %d, %s collection, ", f->gc_generation,
                                 f->gc_trigger ? f->gc_trigger : "automatic");
                fprintf (out, "x%llu)", (unsigned long long) f->count);
                if (f->merged)
                        fprintf (out, " (merged: every finding of this %s once the report's groups ran "
                                      "short; the details are the first one's)",
                                 strcmp (f->merged, "class") == 0 ? "class" : "kind");
                if (f->children)
                        fprintf (out, " with %llu child QObjects", (unsigned long long) f->children);
                fprintf (out, ", risk %s", f->risk);
                if (f->evidence) {
                        const char *sep = " (";
                        for (uint32_t bit = 1; bit < EVIDENCE_MAX; bit <<= 1)
                                if (f->evidence & bit) {
                                        fprintf (out, "%s%s", sep, finding_evidence_name (bit));
                                        sep = ", ";
                                }
                        fputc (')', out);
                }
                fprintf (out, ", first at %.2f s\n", f->first_seen_s);
                if (*f->test)
                        fprintf (out, "  died during test %s\n", f->test);
                if (*f->creation_test && strcmp (f->creation_test, f->test) != 0)
                        fprintf (out, "  created during test %s\n", f->creation_test);
                print_first_line (out, "  ", "created at ", f->creation_stack);
                if (f->creation_source)
                        fprintf (out, "    %s\n", f->creation_source);
                if (f->differs_at)
                        fprintf (out, "  via %s\n", relative (f->differs_at));
                if (f->made_by)
                        fprintf (out, "  %s\n", f->made_by);
                if (*f->parents) {
                        fputs ("  inside ", out);
                        for (const char *p = f->parents; *p;) {
                                const char *eol = strchr (p, '\n');
                                size_t len = eol ? (size_t) (eol - p) : strlen (p);
                                fprintf (out, "%s%.*s", p == f->parents ? "" : " inside ", (int) len, p);
                                p += len + (eol != NULL);
                        }
                        fputc ('\n', out);
                }
                /* A stress worker's own loop says nothing about the app:
                 * say what its collection stands for. */
                if (strncmp (f->finalizing_thread, "qgc-stress-", 11) == 0 && f->gc_generation >= 0) {
                        fputs ("  finalized by a collection in qgc-check's stress thread: in the app, any "
                               "thread that allocates can run it\n",
                               out);
                } else {
                        print_first_line (out, "  ", "finalized at ", f->finalization_stack);
                        if (f->finalization_source)
                                fprintf (out, "    %s\n", f->finalization_source);
                }
                if (f->died_inside)
                        fprintf (out, "  destroyed by C++: %s\n", f->died_inside);
                if (f->role != ROLE_SUPPRESSED)
                        fprintf (out, "  fix: %s\n", f->fix);
                if (r->opts->verbosity > 0) {
                        print_stack (out, "  ", "creation stack (innermost first):", f->creation_stack);
                        print_stack (out, "  ", "finalization stack (innermost first):",
                                     f->finalization_stack);
                        print_native_stack (out, f->native_stack);
                }
        }
        if ((r->verdict == VERDICT_CRASH || r->verdict == VERDICT_HANG) && r->tool_frame)
                fprintf (out, "%sqgc-check: this %s is in qgc-check itself, not in the app (at %s): "
                              "please report it to the qgc-check developers with this output%s\n",
                         s.bold, r->verdict == VERDICT_HANG ? "hang" : "crash", r->tool_frame, s.reset);
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
                                      "this output%s\n", s.bold, r->tool_frame, s.reset);
                fprintf (out, "%sstacks when the run was stopped%s%s:%s\n", s.dim,
                         r->running_test ? ", in test " : "", r->running_test ? r->running_test : "",
                         s.reset);
                fputs (r->dump, out);
        }
        if ((r->verdict == VERDICT_CRASH || r->verdict == VERDICT_HANG) && r->dump) {
                if (r->opts->verbosity > 0 || r->verdict == VERDICT_HANG || r->verdict == VERDICT_CRASH) {
                        fprintf (out, "%sstacks at the %s:%s\n", s.dim,
                                 r->verdict == VERDICT_HANG ? "hang" : "crash", s.reset);
                        fputs (r->dump, out);
                }
        }
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
                              "(deleteLater in their own thread): not at risk\n",
                         (unsigned long long) r->deferred_by_binding, r->binding);
        if (r->sup.over_limit)
                fprintf (out, "note: the script did not end within --duration + %.3g s; it was stopped\n",
                         r->opts->hang_timeout + 5.0);
        if (r->binding && *r->binding)
                fprintf (out, "%sbinding %s, Qt %s (%s)%s\n", s.dim, r->binding, r->qt_version,
                         r->qtcore_path, s.reset);
        if (r->opts->verbosity > 0) {
                fprintf (out, "%sstats: %llu QObjects created, %llu destroyed; %llu of %llu automatic "
                              "collections off the GUI thread",
                         s.dim, (unsigned long long) r->objects_created,
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
                fprintf (out, "%s\n", s.reset);
        }
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
