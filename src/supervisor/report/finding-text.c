/* SPDX-License-Identifier: MIT */
/* finding-text.c: the text of one finding group (see finding-text.h). */
#include "config.h"

#include "supervisor/report/finding-text.h"

#include "common/native-stack.h"
#include "supervisor/result-text.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The app's text (names, paths, messages) as data: escaped, never a
 * control character on the terminal (result_text_write_escaped). */
static void
put (FILE *out, const char *s)
{
        result_text_write_escaped (out, s, false);
}

static void
put_n (FILE *out, const char *s, size_t len)
{
        char *copy = strndup (s, len);
        if (copy)
                put (out, copy);
        free (copy);
}

/* Files under the working directory are shown relative to it, as a
 * compiler shows them. */
const char *
report_relative_path (const char *path)
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
        const char *line = report_relative_path (stack);
        size_t len = eol ? (size_t) (eol - line) : strlen (line);
        fprintf (out, "%s%s", indent, label);
        put_n (out, line, len);
        fputc ('\n', out);
}

static void
print_stack (FILE *out, const char *indent, const char *title, const char *stack)
{
        if (!stack || !*stack)
                return;
        fprintf (out, "%s%s\n", indent, title);
        for (const char *p = stack; *p;) {
                const char *eol = strchr (p, '\n');
                const char *line = report_relative_path (p);
                size_t len = eol ? (size_t) (eol - line) : strlen (line);
                fprintf (out, "%s  ", indent);
                put_n (out, line, len);
                fputc ('\n', out);
                p = eol ? eol + 1 : line + len;
        }
}

/* A site's source line, under it. */
static void
print_source (FILE *out, const char *source)
{
        if (!source)
                return;
        fputs ("    ", out);
        put (out, source);
        fputc ('\n', out);
}

/* "function<TAB>library" lines as "function (library)". */
static void
print_native_stack (FILE *out, const char *stack)
{
        if (!stack || !*stack)
                return;
        fputs ("  C++ stack when it happened (innermost first):\n", out);
        struct native_frame fr;
        for (const char *p = stack; native_stack_next (&p, &fr);) {
                fputs ("    ", out);
                put_n (out, fr.function, (size_t) fr.function_len);
                if (fr.library_len) {
                        fputs (" (", out);
                        put_n (out, fr.library, (size_t) fr.library_len);
                        fputc (')', out);
                }
                fputc ('\n', out);
        }
}

/* Where the objects were created: the first frame, its source line, and
 * where a look-alike group differs. */
static void
print_creation_site (FILE *out, const struct result_finding *f)
{
        print_first_line (out, "  ", "created at ", f->creation_site);
        print_source (out, f->creation_source);
        if (f->differs_at) {
                fputs ("  via ", out);
                put (out, report_relative_path (f->differs_at));
                fputc ('\n', out);
        }
        if (f->differs) {
                fputs ("  (", out);
                put (out, f->differs);
                fputs (")\n", out);
        }
}

static void
print_fix (FILE *out, const struct result_finding *f)
{
        if (f->role == ROLE_SUPPRESSED)
                return;
        fputs ("  fix: ", out);
        put (out, f->fix);
        fputc ('\n', out);
}

/* An at-risk cycle: nothing died yet, so only where it was made. */
static void
print_at_risk_cycle (FILE *out, const struct result_finding *f, bool stacks, const char *bold,
                     const char *reset)
{
        fprintf (out, "%s%s%s%s: ", bold, f->role == ROLE_WARNING ? "warning: " : "",
                 finding_kind_name (f->kind), reset);
        put (out, f->title);
        fprintf (out, " x%llu\n", (unsigned long long) f->count);
        print_creation_site (out, f);
        print_fix (out, f);
        if (stacks)
                print_stack (out, "  ", "creation stack (innermost first):", f->creation_stack);
}

static void
print_evidence (FILE *out, uint32_t evidence)
{
        if (!evidence)
                return;
        const char *sep = " (";
        for (uint32_t bit = 1; bit < EVIDENCE_MAX; bit <<= 1)
                if (evidence & bit) {
                        fprintf (out, "%s%s", sep, finding_evidence_name (bit));
                        sep = ", ";
                }
        fputc (')', out);
}

void
report_object_name_text (FILE *out, const struct result_finding *f)
{
        if (!*f->object_name)
                return;
        fputs (f->object_names_vary ? " e.g. " : " ", out);
        if (result_text_needs_escape (f->object_name) || strchr (f->object_name, '\'')) {
                result_text_write_escaped (out, f->object_name, true);
        } else {
                fputc ('\'', out);
                fputs (f->object_name, out);
                fputc ('\'', out);
        }
}

/* The title, then what varies within the group. */
static void
print_title_line (FILE *out, const struct result_finding *f, const char *bold, const char *reset)
{
        fprintf (out, "%s%s%s", bold, f->role == ROLE_WARNING ? "warning: " : "",
                 f->kind == FINDING_THREAD_WARNING ? "thread-warning: " : "");
        put (out, f->title);
        fputs (reset, out);
        fputs (f->during_teardown ? " (during interpreter teardown)" : "", out);
        report_object_name_text (out, f);
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
        print_evidence (out, f->evidence);
        fprintf (out, ", first at %.2f s\n", f->first_seen_s);
}

/* "inside Parent inside Grandparent", nearest first. */
static void
print_parents (FILE *out, const char *parents)
{
        if (!*parents)
                return;
        fputs ("  inside ", out);
        for (const char *p = parents; *p;) {
                const char *eol = strchr (p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen (p);
                if (p != parents)
                        fputs (" inside ", out);
                put_n (out, p, len);
                p += len + (eol != NULL);
        }
        fputc ('\n', out);
}

/* Where it died; for a thread warning, where Qt warned (nothing died). */
static void
print_finalization_site (FILE *out, const struct result_finding *f)
{
        bool warning = f->kind == FINDING_THREAD_WARNING;
        /* A stress worker's own loop says nothing about the app: say what
         * its collection stands for. */
        if (strncmp (f->finalizing_thread, "qgc-stress-", 11) == 0 && f->gc_generation >= 0 && !warning) {
                fputs ("  finalized by a collection in qgc-check's stress thread: in the app, any "
                       "thread that allocates can run it\n",
                       out);
                return;
        }
        print_first_line (out, "  ", warning ? "warned at " : "finalized at ", f->finalization_stack);
        print_source (out, f->finalization_source);
        if (warning && strncmp (f->finalizing_thread, "qgc-stress-", 11) == 0 && f->gc_generation >= 0)
                fputs ("  (in a finalizer that a collection in qgc-check's stress thread ran: in the app, "
                       "any thread that allocates can run it)\n",
                       out);
}

void
report_process_text (FILE *out, const struct run_process *p)
{
        fprintf (out, "process %d", p->pid);
        if (p->xdist_worker && p->xdist_worker[0]) {
                fputs (" (xdist worker ", out);
                put (out, p->xdist_worker);
                fputc (')', out);
        }
        fputc (':', out);
        for (size_t i = 0; p->argv && p->argv[i]; i++) {
                fputc (' ', out);
                result_text_write_shell_word (out, p->argv[i]);
        }
}

/* Which process of the run it happened in, when there were several. */
static void
print_process (FILE *out, const struct result_finding *f)
{
        if (!f->process || (f->process_index == 0 && !f->other_processes))
                return;
        fputs ("  in ", out);
        report_process_text (out, f->process);
        if (f->other_processes)
                fprintf (out, " (and %u other process%s)", f->other_processes,
                         f->other_processes == 1 ? "" : "es");
        fputc ('\n', out);
}

/* "  LABEL TEXT" on a line of its own, TEXT escaped. */
static void
print_line (FILE *out, const char *label, const char *text)
{
        fprintf (out, "  %s", label);
        put (out, text);
        fputc ('\n', out);
}

void
report_finding_text (FILE *out, const struct result_finding *f, bool stacks, const char *bold,
                     const char *reset)
{
        if (f->kind == FINDING_AT_RISK_CYCLE) {
                print_at_risk_cycle (out, f, stacks, bold, reset);
                return;
        }
        print_title_line (out, f, bold, reset);
        print_process (out, f);
        if (*f->test)
                print_line (out, f->kind == FINDING_THREAD_WARNING ? "during test " : "died during test ",
                            f->test);
        if (*f->creation_test && strcmp (f->creation_test, f->test) != 0)
                print_line (out, "created during test ", f->creation_test);
        print_creation_site (out, f);
        if (f->made_by)
                print_line (out, "", f->made_by);
        print_parents (out, f->parents);
        print_finalization_site (out, f);
        if (f->died_inside)
                print_line (out, "destroyed by C++: ", f->died_inside);
        print_fix (out, f);
        if (stacks) {
                print_stack (out, "  ", "creation stack (innermost first):", f->creation_stack);
                print_stack (out, "  ", f->kind == FINDING_THREAD_WARNING ? "stack when Qt warned (innermost first):"
                                                                         : "finalization stack (innermost first):",
                             f->finalization_stack);
                print_native_stack (out, f->native_stack);
        }
}
