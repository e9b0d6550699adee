/* SPDX-License-Identifier: MIT */
/* text.c: the end-of-run report for a person at a terminal. */
#include "config.h"

#include "supervisor/report/report.h"
#include "supervisor/report/finding-text.h"
#include "supervisor/report/crash-text.h"

#include <stdlib.h>
#include <string.h>

#include "supervisor/result-text.h"
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
                fputs (": ", out);
                result_text_write_escaped (out, r->error ? r->error : "the script failed", false);
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
        fprintf (out, " [%s", r->opts->module ? "-m " : "");
        result_text_write_escaped (out, r->script ? r->script : r->opts->script, false);
        fputs ("]\n", out);
}

/* Every finding group (the suppressed ones too) in full, with its stacks:
 * -v. */
static void
print_all_findings (const struct run_result *r, FILE *out, const struct style *s)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->suppressed_by) {
                        fputs ("suppressed by '", out);
                        result_text_write_escaped (out, f->suppressed_by, false);
                        fputs ("': ", out);
                }
                report_finding_text (out, f, true, s->bold, s->reset);
        }
}

/* --- A screenful ---------------------------------------------------------
 *
 * Without -v, groups that differ only by where their objects were made
 * (the same kind, classes, threads and cause: the same title and role)
 * share a heading: its most frequent group in full, the next ones as a
 * line each, the rest as a count. The whole report stays within
 * TEXT_LINES lines; JSON and -v have every group.
 */
#define TEXT_LINES 100
#define SITES_SHOWN 10 /* at most, per heading */
#define FINDING_LINES_MIN 24 /* whatever the rest of the report takes */

struct heading {
        size_t first;    /* its first group, in r->findings */
        size_t *members; /* indices in r->findings, most frequent first */
        size_t n;
        uint64_t count;
};

struct headings {
        struct heading *h;
        size_t n;
        size_t *slots; /* every heading's members, one after the other */
};

static bool
same_heading (const struct result_finding *a, const struct result_finding *b)
{
        return a->kind == b->kind && a->role == b->role && strcmp (a->title, b->title) == 0 &&
               strcmp (a->risk, b->risk) == 0;
}

static int
role_rank (enum finding_role role)
{
        return role == ROLE_RACE ? 0 : role == ROLE_WARNING ? 1 : 2;
}

static const struct result_finding *sort_findings; /* for qsort's comparators */

static int
by_count (const void *a, const void *b)
{
        size_t i = *(const size_t *) a, j = *(const size_t *) b;
        if (sort_findings[i].count != sort_findings[j].count)
                return sort_findings[i].count > sort_findings[j].count ? -1 : 1;
        return i < j ? -1 : i > j;
}

static int
by_role (const void *a, const void *b)
{
        const struct heading *h = a, *k = b;
        int d = role_rank (sort_findings[h->first].role) - role_rank (sort_findings[k->first].role);
        return d ? d : h->first < k->first ? -1 : h->first > k->first;
}

/* The headings of the groups shown without -v (not the suppressed ones),
 * races first, each in the order its first group was seen; false on no
 * memory. */
static bool
make_headings (const struct run_result *r, struct headings *out)
{
        size_t n = 0, *of = calloc (r->n_findings + 1, sizeof *of);
        struct heading *h = calloc (r->n_findings + 1, sizeof *h);
        size_t *slots = calloc (r->n_findings + 1, sizeof *slots);
        if (!of || !h || !slots) {
                free (of);
                free (h);
                free (slots);
                return false;
        }
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->suppressed_by)
                        continue;
                size_t k = 0;
                while (k < n && !same_heading (&r->findings[h[k].first], f))
                        k++;
                if (k == n)
                        h[n++].first = i;
                h[k].n++;
                h[k].count += f->count;
                of[i] = k;
        }
        size_t used = 0;
        for (size_t k = 0; k < n; k++) {
                h[k].members = slots + used;
                used += h[k].n;
                h[k].n = 0;
        }
        for (size_t i = 0; i < r->n_findings; i++)
                if (!r->findings[i].suppressed_by)
                        h[of[i]].members[h[of[i]].n++] = i;
        free (of);
        sort_findings = r->findings;
        for (size_t k = 0; k < n; k++)
                qsort (h[k].members, h[k].n, sizeof *h[k].members, by_count);
        qsort (h, n, sizeof *h, by_role);
        *out = (struct headings) { .h = h, .n = n, .slots = slots };
        return true;
}

/* 1,234,567 */
static const char *
thousands (uint64_t n, char buf[32])
{
        char digits[24];
        int len = snprintf (digits, sizeof digits, "%llu", (unsigned long long) n), o = 0;
        for (int i = 0; i < len; i++) {
                if (i && (len - i) % 3 == 0)
                        buf[o++] = ',';
                buf[o++] = digits[i];
        }
        buf[o] = '\0';
        return buf;
}

static size_t
lines_of (const char *text, size_t size)
{
        size_t n = 0;
        for (size_t i = 0; i < size; i++)
                n += text[i] == '\n';
        return n;
}

/* The text of one group in full, and its lines. */
static char *
finding_block (const struct result_finding *f, const struct style *s, size_t *lines)
{
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        if (!out)
                return NULL;
        report_finding_text (out, f, false, s->bold, s->reset);
        if (fclose (out) != 0) {
                free (text);
                return NULL;
        }
        *lines = lines_of (text, size);
        return text;
}

static size_t
first_line (const char *s)
{
        const char *eol = strchr (s, '\n');
        return eol ? (size_t) (eol - s) : strlen (s);
}

/* One more group of a heading, on a line: what tells it from the first. */
static void
print_site (FILE *out, const struct result_finding *head, const struct result_finding *g)
{
        size_t lh = first_line (head->creation_site), lg = first_line (g->creation_site);
        fputs ("  also", out);
        if (lh != lg || memcmp (head->creation_site, g->creation_site, lg) != 0) {
                char *site = strndup (g->creation_site, lg);
                fputs (" created at ", out);
                result_text_write_escaped (out, site && *site ? report_relative_path (site) : "(no Python frame)",
                                           false);
                free (site);
        }
        if (g->differs_at) {
                fputs (" via ", out);
                result_text_write_escaped (out, report_relative_path (g->differs_at), false);
        } else if (g->differs) {
                /* "STACK; OTHER": the heading's first group said how the
                 * stacks compare; the line says what else differs. */
                const char *other = strstr (g->differs, "; ");
                fputs (other ? " " : " (", out);
                result_text_write_escaped (out, other ? other + 2 : g->differs, false);
                fputs (other ? "" : ")", out);
        }
        if (*g->object_name && (strcmp (head->object_name, g->object_name) != 0 || g->object_names_vary)) {
                fputs (", objectName", out);
                report_object_name_text (out, g);
        }
        if (!g->differs && strcmp (head->test, g->test) != 0) {
                fputs (*g->test ? ", died during test " : ", outside any test", out);
                result_text_write_escaped (out, g->test, false);
        }
        fprintf (out, " (x%llu)\n", (unsigned long long) g->count);
}

/* Whether every other group of h was made elsewhere than its first. */
static bool
other_sites (const struct run_result *r, const struct heading *h)
{
        const char *head = r->findings[h->members[0]].creation_stack;
        for (size_t i = 1; i < h->n; i++)
                if (strcmp (r->findings[h->members[i]].creation_stack, head) == 0)
                        return false;
        return true;
}

/* A heading: its first group in full (text, lines long), then up to
 * sites more of its groups a line each, then how many are left. */
static void
print_heading (const struct run_result *r, FILE *out, const struct heading *h, const char *text, size_t sites)
{
        const struct result_finding *head = &r->findings[h->members[0]];
        fputs (text, out);
        size_t shown = 1;
        uint64_t left = h->count - head->count;
        for (; shown < h->n && shown <= sites; shown++) {
                print_site (out, head, &r->findings[h->members[shown]]);
                left -= r->findings[h->members[shown]].count;
        }
        if (shown < h->n) {
                char a[32], b[32];
                fprintf (out, "  ... and %s more %s (%s finding%s): --json or -v for all\n",
                         thousands (h->n - shown, a), other_sites (r, h) ? "sites" : "groups like it",
                         thousands (left, b), left == 1 ? "" : "s");
        }
}

/* A heading that did not fit in full, on one line. */
static void
print_heading_line (const struct run_result *r, FILE *out, const struct heading *h, const struct style *s)
{
        const struct result_finding *head = &r->findings[h->members[0]];
        char a[32];
        fprintf (out, "%s%s%s%s", s->bold, head->role == ROLE_WARNING ? "warning: " : "",
                 head->kind == FINDING_OFF_THREAD_FINALIZATION ? "" : finding_kind_name (head->kind),
                 head->kind == FINDING_OFF_THREAD_FINALIZATION ? "" : ": ");
        result_text_write_escaped (out, head->title, false);
        fputs (s->reset, out);
        fprintf (out, " (x%s", thousands (h->count, a));
        if (h->n > 1)
                fprintf (out, " in %zu groups", h->n);
        fputs (")\n", out);
}

/* The headings, within lines lines: in full while they fit, then a line
 * each, then a count; the lines left go to more groups of each. */
static void
print_headings (const struct run_result *r, FILE *out, const struct style *s, const struct headings *hs,
                size_t lines)
{
        char **text = calloc (hs->n + 1, sizeof *text);
        size_t *sites = calloc (hs->n + 1, sizeof *sites);
        size_t full = 0, left = lines > 1 ? lines - 1 : 0; /* a line for what is left out */
        for (; text && sites && full < hs->n; full++) {
                size_t n = 0;
                text[full] = finding_block (&r->findings[hs->h[full].members[0]], s, &n);
                size_t need = n + (hs->h[full].n > 1);
                if (!text[full] || need > left)
                        break;
                left -= need;
        }
        size_t one_line = full;
        while (one_line < hs->n && left > 0) {
                one_line++;
                left--;
        }
        /* More groups of the headings in full, the first heading first;
         * the line kept for a heading's count becomes a group when that
         * shows them all. */
        for (size_t k = 0; sites && k < full; k++) {
                size_t more = hs->h[k].n - 1;
                if (more && more < SITES_SHOWN && more <= left + 1) {
                        sites[k] = more; /* all of them, the count's line one of them */
                        left -= more - 1;
                } else {
                        sites[k] = left < SITES_SHOWN - 1 ? left : SITES_SHOWN - 1;
                        sites[k] = sites[k] < more ? sites[k] : more;
                        left -= sites[k];
                }
        }
        for (size_t k = 0; k < hs->n; k++) {
                if (k < full)
                        print_heading (r, out, &hs->h[k], text[k], sites[k]);
                else if (k < one_line)
                        print_heading_line (r, out, &hs->h[k], s);
        }
        if (one_line < hs->n) {
                uint64_t count = 0;
                size_t groups = 0;
                for (size_t k = one_line; k < hs->n; k++) {
                        count += hs->h[k].count;
                        groups += hs->h[k].n;
                }
                char a[32], b[32];
                fprintf (out, "... and %s more group%s (%s finding%s): --json or -v for all\n", thousands (groups, a),
                         groups == 1 ? "" : "s", thousands (count, b), count == 1 ? "" : "s");
        }
        for (size_t k = 0; text && k <= full && k < hs->n; k++)
                free (text[k]);
        free (text);
        free (sites);
}

/* Without -v: the headings, within what the rest of the report (other
 * lines long) leaves of a screenful. */
static void
print_findings (const struct run_result *r, FILE *out, const struct style *s, size_t other)
{
        struct headings hs;
        if (!make_headings (r, &hs)) {
                print_all_findings (r, out, s);
                return;
        }
        size_t lines = other + FINDING_LINES_MIN < TEXT_LINES ? TEXT_LINES - other : FINDING_LINES_MIN;
        print_headings (r, out, s, &hs, lines);
        free (hs.slots);
        free (hs.h);
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
                report_stacks_text (out, p->stacks, r->opts->verbosity > 0, s->dim, s->reset);
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
                report_stacks_text (out, r->dump, r->opts->verbosity > 0, s->dim, s->reset);
                print_children_stacks (r, out, s);
        }
        if (r->verdict == VERDICT_HANG && r->hang_process && r->n_processes > 1) {
                fputs ("hung: ", out);
                report_process_text (out, r->hang_process);
                if (r->running_test)
                        fprintf (out, ", in test %s", r->running_test);
                fputc ('\n', out);
        }
        if (r->verdict == VERDICT_CRASH)
                report_crash_text (out, r, r->opts->verbosity > 0, s->dim, s->reset);
        if (r->verdict == VERDICT_HANG && r->dump) {
                fprintf (out, "%sstacks at the hang:%s\n", s->dim, s->reset);
                report_stacks_text (out, r->dump, r->opts->verbosity > 0, s->dim, s->reset);
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
                if (!e->matched) {
                        fputs ("note: suppression '", out);
                        result_text_write_escaped (out, e->name, false);
                        fputs ("' (", out);
                        result_text_write_escaped (out, e->source, false);
                        fprintf (out, ":%d) matched nothing: remove it if it is stale\n", e->line);
                }
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
                if (p->error) {
                        fputs (": ", out);
                        result_text_write_escaped (out, p->error, false);
                }
                fputc ('\n', out);
        }
}

/* The binding, and with -v what the run measured. */
static void
print_environment (const struct run_result *r, FILE *out, const struct style *s)
{
        if (r->binding && *r->binding) {
                fprintf (out, "%sbinding %s, Qt %s (%s)", s->dim, r->binding, r->qt_version, r->qtcore_path);
                if (r->sup.python_version)
                        fprintf (out, ", Python %s (%s)", r->sup.python_version, r->sup.python_executable);
                fprintf (out, "%s\n", s->reset);
        }
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
        if (r->automatic_collections_app)
                fprintf (out, ", %llu of %llu once the application existed (%.1f%%)",
                         (unsigned long long) r->automatic_collections_app_off_gui,
                         (unsigned long long) r->automatic_collections_app,
                         100.0 * r->automatic_collections_app_off_gui / r->automatic_collections_app);
        if (r->loop_ticks)
                fprintf (out, "; GUI event loop late by p50 %.0f ms, p99 %.0f ms, max %.0f ms "
                              "over %llu ticks",
                         r->late_p50_ms, r->late_p99_ms, r->late_max_ms,
                         (unsigned long long) r->loop_ticks);
        fprintf (out, "%s\n", s->reset);
}

/* The notes, the hint, and how to replay the stress pattern (a run
 * without stress has none: how to run it again). */
static void
print_advice (const struct run_result *r, FILE *out)
{
        for (size_t i = 0; i < r->n_notes; i++) {
                fputs ("note: ", out);
                result_text_write_escaped (out, r->notes[i], false);
                fputc ('\n', out);
        }
        if (r->hint) {
                fputs ("hint: ", out);
                result_text_write_escaped (out, r->hint, false);
                fputc ('\n', out);
        }
        if (result_text_stressed (r->opts)) {
                fprintf (out, "seed %u; replay the stress pattern (not the threads' timing): ", r->seed);
                result_text_write_command (out, r->opts, &r->seed);
        } else {
                fputs ("no stress in this run, so no seed to replay; run it again: ", out);
                result_text_write_command (out, r->opts, NULL);
        }
        fputc ('\n', out);
}

/* The sections after the findings, as text (and so their lines). */
static char *
rest_of_report (const struct run_result *r, const struct style *s, size_t *size)
{
        char *text = NULL;
        FILE *out = open_memstream (&text, size);
        if (!out)
                return NULL;
        print_stacks (r, out, s);
        print_set_aside (r, out);
        print_processes (r, out);
        print_environment (r, out, s);
        print_advice (r, out);
        if (fclose (out) != 0) {
                free (text);
                return NULL;
        }
        return text;
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
        size_t size = 0;
        char *rest = rest_of_report (r, &s, &size);
        if (r->opts->verbosity > 0)
                print_all_findings (r, out, &s);
        else
                print_findings (r, out, &s, 1 + (rest ? lines_of (rest, size) : 0));
        if (rest)
                fwrite (rest, 1, size, out);
        free (rest);
}
