/* SPDX-License-Identifier: MIT */
/* finding-text.c: the text of one finding group (see finding-text.h). */
#include "config.h"

#include "supervisor/report/finding-text.h"

#include "common/native-stack.h"

#include <string.h>
#include <unistd.h>

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
                p = eol ? eol + 1 : line + len;
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

/* Where the objects were created: the first frame, its source line, and
 * where a look-alike group differs. */
static void
print_creation_site (FILE *out, const struct result_finding *f)
{
        print_first_line (out, "  ", "created at ", f->creation_site);
        if (f->creation_source)
                fprintf (out, "    %s\n", f->creation_source);
        if (f->differs_at)
                fprintf (out, "  via %s\n", relative (f->differs_at));
}

/* An at-risk cycle: nothing died yet, so only where it was made. */
static void
print_at_risk_cycle (FILE *out, const struct result_finding *f, bool stacks, const char *bold,
                     const char *reset)
{
        fprintf (out, "%s%s%s%s: %s x%llu\n", bold, f->role == ROLE_WARNING ? "warning: " : "",
                 finding_kind_name (f->kind), reset, f->title, (unsigned long long) f->count);
        print_creation_site (out, f);
        if (f->role != ROLE_SUPPRESSED)
                fprintf (out, "  fix: %s\n", f->fix);
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

/* The title, then what varies within the group. */
static void
print_title_line (FILE *out, const struct result_finding *f, const char *bold, const char *reset)
{
        fprintf (out, "%s%s%s%s%s", bold, f->role == ROLE_WARNING ? "warning: " : "",
                 f->kind == FINDING_THREAD_WARNING ? "thread-warning: " : "", f->title, reset);
        fputs (f->during_teardown ? " (during interpreter teardown)" : "", out);
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
                fprintf (out, "%s%.*s", p == parents ? "" : " inside ", (int) len, p);
                p += len + (eol != NULL);
        }
        fputc ('\n', out);
}

static void
print_finalization_site (FILE *out, const struct result_finding *f)
{
        /* A stress worker's own loop says nothing about the app: say what
         * its collection stands for. */
        if (strncmp (f->finalizing_thread, "qgc-stress-", 11) == 0 && f->gc_generation >= 0) {
                fputs ("  finalized by a collection in qgc-check's stress thread: in the app, any "
                       "thread that allocates can run it\n",
                       out);
        } else {
                print_first_line (out, "  ", "finalized at ", f->finalization_stack);
                if (f->finalization_source)
                        fprintf (out, "    %s\n", f->finalization_source);
        }
}

void
report_process_text (FILE *out, const struct run_process *p)
{
        fprintf (out, "process %d", p->pid);
        if (p->xdist_worker && p->xdist_worker[0])
                fprintf (out, " (xdist worker %s)", p->xdist_worker);
        fputc (':', out);
        for (size_t i = 0; p->argv && p->argv[i]; i++)
                fprintf (out, " %s", p->argv[i]);
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
                fprintf (out, "  died during test %s\n", f->test);
        if (*f->creation_test && strcmp (f->creation_test, f->test) != 0)
                fprintf (out, "  created during test %s\n", f->creation_test);
        print_creation_site (out, f);
        if (f->made_by)
                fprintf (out, "  %s\n", f->made_by);
        print_parents (out, f->parents);
        print_finalization_site (out, f);
        if (f->died_inside)
                fprintf (out, "  destroyed by C++: %s\n", f->died_inside);
        if (f->role != ROLE_SUPPRESSED)
                fprintf (out, "  fix: %s\n", f->fix);
        if (stacks) {
                print_stack (out, "  ", "creation stack (innermost first):", f->creation_stack);
                print_stack (out, "  ", "finalization stack (innermost first):", f->finalization_stack);
                print_native_stack (out, f->native_stack);
        }
}
