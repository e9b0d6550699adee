/* SPDX-License-Identifier: MIT */
/* crash-text.c: a crash as the text report shows it (see crash-text.h). */
#include "config.h"

#include "supervisor/report/crash-text.h"
#include "supervisor/report/finding-text.h"
#include "common/dump-format.h"
#include "common/pyframe.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* What fits a screen without -v. */
#define PYTHON_FRAMES 15
#define NATIVE_FRAMES 20
#define OTHER_THREADS 12

/* One thread of the dump: its section and its Python frames
 * (faulthandler's lines, between py and py_end; none when py is NULL). */
struct thread_view {
        struct dump_section sec;
        struct dump_header h;
        const char *py, *py_end;
};

/* The lines of one text from p to end, each without its newline. */
static bool
next_line (const char **p, const char *end, const char **line, size_t *n)
{
        if (*p >= end)
                return false;
        const char *eol = memchr (*p, '\n', (size_t) (end - *p));
        *line = *p;
        *n = (size_t) ((eol ? eol : end) - *p);
        *p = eol ? eol + 1 : end;
        return true;
}

/* faulthandler's block of the thread whose pthread id is ident: its
 * "  File" lines, innermost first. */
static void
find_python_frames (const char *dump, struct thread_view *t)
{
        const char *py = dump_python_tracebacks (dump);
        unsigned long long ident = strtoull (t->h.ident, NULL, 16);
        const char *end = py ? py + strlen (py) : NULL, *line;
        size_t n;
        for (const char *p = py; p && next_line (&p, end, &line, &n);) {
                const char *hex = n > 9 && strncmp (line, "Thread 0x", 9) == 0            ? line + 7
                                  : n > 17 && strncmp (line, "Current thread 0x", 17) == 0 ? line + 15
                                                                                            : NULL;
                if (!hex || strtoull (hex, NULL, 16) != ident)
                        continue;
                t->py = p;
                /* Its frame lines; faulthandler's "  <no Python frame>" is none. */
                while (next_line (&p, end, &line, &n) && n > 2 && line[0] == ' ' &&
                       strncmp (line, "  <no Python frame>", 19) != 0)
                        t->py_end = p;
                if (!t->py_end)
                        t->py = NULL;
                return;
        }
}

/* Every thread of the dump, in its order; *n_out of them. */
static struct thread_view *
read_threads (const char *dump, size_t *n_out)
{
        size_t n = 0, cap = 0;
        struct thread_view *v = NULL;
        struct dump_section sec;
        for (const char *c = dump; dump_next_section (&c, &sec);) {
                if (n == cap) {
                        cap = cap ? 2 * cap : 16;
                        struct thread_view *w = realloc (v, cap * sizeof *v);
                        if (!w)
                                break;
                        v = w;
                }
                v[n] = (struct thread_view) { .sec = sec };
                dump_parse_header (&sec, &v[n].h);
                find_python_frames (dump, &v[n]);
                n++;
        }
        *n_out = n;
        return v;
}

/* The thread that crashed: the app's crash, else a fault in the handler. */
static const struct thread_view *
crashed_thread (const struct thread_view *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp (v[i].h.crashed, "yes") == 0)
                        return &v[i];
        for (size_t i = 0; i < n; i++)
                if (strcmp (v[i].h.crashed, "handler") == 0)
                        return &v[i];
        return NULL;
}

/* Where the thread's own native frames start: at the one the signal
 * interrupted (those before it are the handler's), all of them when none
 * is marked. A handler that ran before ours and raised the signal again
 * (faulthandler) leaves its frames on top of the fault: the handler's
 * return into the signal trampoline (the frame just before the marked
 * one) shows up again below them, and the fault is the frame after it. */
static const char *
own_frames_start (const struct thread_view *t)
{
        const char *line, *p = t->sec.body, *start = t->sec.body;
        size_t n;
        struct dump_frame f, before = { 0 };
        bool marked = false;
        while (next_line (&p, t->sec.end, &line, &n)) {
                if (!dump_parse_frame (line, n, &f))
                        continue;
                if (!marked && f.interrupted) {
                        marked = true;
                        start = line;
                } else if (!marked) {
                        before = f;
                } else if (before.has_module_offset && f.has_module_offset &&
                           f.module_offset == before.module_offset && f.module_len == before.module_len &&
                           memcmp (f.module, before.module, f.module_len) == 0) {
                        return p; /* the frame after the second trampoline */
                }
        }
        return start;
}

/* The thread's own native frames (own_frames_start), or with all the
 * signal handlers' too, numbered from 0: calls fn for each until it
 * returns false. */
static void
each_native_frame (const struct thread_view *t, bool all, bool (*fn) (void *, int, const struct dump_frame *),
                   void *arg)
{
        int index = 0;
        const char *line, *p = all ? t->sec.body : own_frames_start (t);
        size_t n;
        while (next_line (&p, t->sec.end, &line, &n)) {
                struct dump_frame f;
                if (dump_parse_frame (line, n, &f) && !fn (arg, index++, &f))
                        return;
        }
}

/* "#0  0x00007f... in f () from lib.so", as gdb prints a frame without
 * debug information; "?? (lib.so+0x...)" where no symbol holds it. */
static void
print_native_frame (FILE *out, int index, const struct dump_frame *f)
{
        fprintf (out, "  #%-2d ", index);
        if (!f->has_pc) { /* an older dump's line */
                const char *text = memchr (f->line, ' ', f->line_len);
                fprintf (out, "%.*s\n", (int) (f->line + f->line_len - text - 1), text + 1);
                return;
        }
        fprintf (out, "0x%016llx in ", f->pc);
        bool unknown = f->name_len == 2 && memcmp (f->name, "??", 2) == 0;
        if (unknown && f->module && f->has_module_offset)
                fprintf (out, "?? (%.*s+0x%llx)\n", (int) f->module_len, f->module, f->module_offset);
        else if (unknown)
                fputs ("??\n", out);
        else if (f->module)
                fprintf (out, "%.*s () from %.*s\n", (int) f->name_len, f->name, (int) f->module_len, f->module);
        else
                fprintf (out, "%.*s ()\n", (int) f->name_len, f->name);
}

struct frame_printer {
        FILE *out;
        int max; /* < 0: all */
        int total;
};

static bool
print_frame_cb (void *arg, int index, const struct dump_frame *f)
{
        struct frame_printer *p = arg;
        p->total++;
        if (p->max >= 0 && index >= p->max)
                return true;
        if (f->interrupted && index > 0)
                fputs ("  <signal handler called>\n", p->out); /* as gdb says it */
        print_native_frame (p->out, index, f);
        return true;
}

static void
print_native_frames (FILE *out, const struct thread_view *t, bool verbose)
{
        struct frame_printer p = { out, verbose ? -1 : NATIVE_FRAMES, 0 };
        each_native_frame (t, verbose, print_frame_cb, &p);
        if (p.max >= 0 && p.total > p.max)
                fprintf (out, "  ... %d more native frames (-v or --json for all)\n", p.total - p.max);
}

/* faulthandler's lines, as it prints them. */
static void
print_python_frames (FILE *out, const struct thread_view *t, bool verbose)
{
        const char *line, *p = t->py;
        size_t n;
        int shown = 0, total = 0;
        while (p && next_line (&p, t->py_end, &line, &n)) {
                if (verbose || shown < PYTHON_FRAMES) {
                        fprintf (out, "%.*s\n", (int) n, line);
                        shown++;
                }
                total++;
        }
        if (total > shown)
                fprintf (out, "  ... %d more Python frames (-v or --json for all)\n", total - shown);
}

/* "NAME (native name COMM, tid N, holds the GIL)". */
static void
print_thread_name (FILE *out, const struct dump_header *h)
{
        fprintf (out, "%s (", h->name);
        if (h->python_named && strcmp (h->name, h->comm) != 0)
                fprintf (out, "native name %s, ", h->comm);
        fprintf (out, "tid %lu%s%s)", h->tid, h->gil ? ", holds the GIL" : "",
                 strncmp (h->comm, "qgc-stress-", 11) == 0 ? ", qgc-check's stress thread" : "");
}

/* The header: "crash: SIGSEGV at address 0x0 (a null pointer) in
 * MainThread (tid N, holds the GIL), during test T". */
static void
print_header (FILE *out, const struct run_result *r, const struct thread_view *t)
{
        fputs ("crash: ", out);
        if (r->crash_signal)
                fprintf (out, "SIG%s", sigabbrev_np (r->crash_signal));
        else
                fputs (r->crash_reason ? r->crash_reason : "a signal", out);
        if (t && t->h.has_fault_addr)
                fprintf (out, " at address 0x%llx%s", t->h.fault_addr,
                         t->h.fault_addr == 0 ? " (a null pointer)" : t->h.fault_addr < 4096 ? " (near null)" : "");
        if (t && strcmp (t->h.crashed, "handler") == 0) {
                fputs (" in qgc-check's crash handler, in thread ", out);
                print_thread_name (out, &t->h);
        } else if (t) {
                fputs (" in ", out);
                print_thread_name (out, &t->h);
        }
        if (r->crash_process && r->crash_process != r->processes) {
                fputs (", in ", out);
                report_process_text (out, r->crash_process);
        }
        if (r->running_test && *r->running_test)
                fprintf (out, ", during test %s", r->running_test);
        if (r->crash_after_script)
                fputs (", after the script ended (the interpreter was shutting down)", out);
        fputc ('\n', out);
}

/* Whether name holds cls as a C++ class ("cls::", the binding's
 * "sipcls::" or "cls_Wrapper::" too). */
static bool
names_class (const char *name, size_t n, const char *cls)
{
        size_t c = strlen (cls);
        for (const char *p = name; c && p + c <= name + n; p++) {
                if (memcmp (p, cls, c) != 0)
                        continue;
                bool start = p == name || p[-1] == ' ' || p[-1] == '(' || p[-1] == ':' ||
                             (p - name >= 3 && memcmp (p - 3, "sip", 3) == 0);
                const char *after = p + c;
                if (start && ((after + 2 <= name + n && memcmp (after, "::", 2) == 0) ||
                              (after + 10 <= name + n && memcmp (after, "_Wrapper::", 10) == 0)))
                        return true;
        }
        return false;
}

struct class_search {
        const char *cls;
        struct dump_frame found;
        int index;
};

static bool
search_class_cb (void *arg, int index, const struct dump_frame *f)
{
        struct class_search *s = arg;
        if (!names_class (f->name, f->name_len, s->cls))
                return true;
        s->found = *f;
        s->index = index;
        return false;
}

/* The crashing thread's Python frame (faulthandler's line) that runs the
 * function of a frame of stack (pyframe lines: same file, same function
 * name, the qualname's last part), or NULL. */
static const char *
python_frame_in (const struct thread_view *t, const char *stack, size_t *len)
{
        struct pyframe want;
        for (const char *c = stack; c && pyframe_next (&c, &want);) {
                const char *dot = strrchr (want.function, '.');
                const char *fn = dot ? dot + 1 : want.function;
                const char *line, *p = t->py;
                size_t n;
                while (p && next_line (&p, t->py_end, &line, &n)) {
                        char file[1024], func[256];
                        long lineno;
                        char text[1400];
                        snprintf (text, sizeof text, "%.*s", (int) n, line);
                        if (sscanf (text, "  File \"%1023[^\"]\", line %ld in %255s", file, &lineno, func) == 3 &&
                            strcmp (file, want.file) == 0 && strcmp (func, fn) == 0) {
                                *len = n;
                                return line;
                        }
                }
        }
        return NULL;
}

/* A finding's object in use in the crashing frames: its class in a native
 * frame, or the Python code that created or finalized it in a Python
 * frame. True when it said so. */
static bool
print_finding_in_use (FILE *out, const struct result_finding *f, const struct thread_view *t)
{
        const char *cls = f->qt_class && *f->qt_class ? f->qt_class : NULL;
        struct class_search s = { .cls = cls, .index = -1 };
        if (cls)
                each_native_frame (t, false, search_class_cb, &s);
        if (s.index >= 0) {
                fprintf (out, "a class destroyed off its thread above was in use in the crashing thread: "
                              "frame #%d, %.*s\n", s.index, (int) s.found.name_len, s.found.name);
                return true;
        }
        const char *what[] = { "created", "finalized" };
        const char *stacks[] = { f->creation_stack, f->finalization_stack };
        for (int i = 0; i < 2; i++) {
                size_t n = 0;
                const char *line = t->py ? python_frame_in (t, stacks[i], &n) : NULL;
                if (line) {
                        fprintf (out, "the crashing thread was running code that %s objects of a finding above "
                                      "(%s):\n%.*s\n", what[i], cls ? cls : "unresolved class", (int) n, line);
                        return true;
                }
        }
        return false;
}

/* Whether the objects of the findings above were in use in the crashing
 * thread's frames (print_finding_in_use), or that no QObject was seen
 * destroyed off its thread. */
static void
print_findings_in_crash (FILE *out, const struct run_result *r, const struct thread_view *t)
{
        size_t destroyed = 0;
        char classes[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->kind != FINDING_OFF_THREAD_FINALIZATION || f->suppressed_by)
                        continue;
                destroyed++;
                if (t && print_finding_in_use (out, f, t))
                        return;
                const char *cls = f->qt_class && *f->qt_class ? f->qt_class : NULL;
                if (cls && !strstr (classes, cls) && used + strlen (cls) + 3 < sizeof classes)
                        used += (size_t) snprintf (classes + used, sizeof classes - used, "%s%s",
                                                   used ? ", " : "", cls);
        }
        if (!destroyed)
                fputs ("no QObject was seen destroyed off its thread before the crash\n", out);
        else
                fprintf (out, "the objects destroyed off their thread above (%s) are not seen in use in the "
                              "crashing thread: neither their classes in its native frames nor the code that "
                              "made or finalized them in its Python frames\n", classes);
}

/* Whether a faulthandler line is Python's own code: its standard library
 * (lib/python3.X/ outside site-packages and dist-packages), a frozen
 * module, or qgc-check's bootstrap. */
static bool
python_own_frame (const char *line, size_t n)
{
        char text[1200];
        snprintf (text, sizeof text, "%.*s", (int) n, line);
        return strstr (text, "File \"<frozen ") || strstr (text, "File \"<qgc-check bootstrap>\"") ||
               (strstr (text, "/lib/python3.") && !strstr (text, "-packages/"));
}

/* Where a thread is, in one line: its innermost Python frame outside
 * Python's own code, else its innermost one; NULL without any. */
static const char *
where_line (const struct thread_view *t, size_t *len)
{
        const char *line, *p = t->py, *first = NULL;
        size_t n, first_n = 0;
        while (p && next_line (&p, t->py_end, &line, &n)) {
                if (!first) {
                        first = line;
                        first_n = n;
                }
                if (!python_own_frame (line, n)) {
                        *len = n;
                        return line;
                }
        }
        *len = first_n;
        return first;
}

/* Every other thread in full (-v). */
static void
print_all_threads (FILE *out, const struct thread_view *v, size_t n, const struct thread_view *crashed)
{
        for (size_t i = 0; i < n; i++) {
                if (&v[i] == crashed)
                        continue;
                fputs ("thread ", out);
                print_thread_name (out, &v[i].h);
                fputs (":\n", out);
                print_python_frames (out, &v[i], true);
                print_native_frames (out, &v[i], true);
        }
}

/* One group of threads at the same line: the first few names. */
static void
print_group (FILE *out, const struct thread_view *v, const size_t *members, size_t count, const char *line,
             size_t len)
{
        fputs ("  ", out);
        if (count == 1) {
                print_thread_name (out, &v[members[0]].h);
        } else {
                fprintf (out, "%zu threads (", count);
                for (size_t k = 0; k < count && k < 3; k++)
                        fprintf (out, "%s%s", k ? ", " : "", v[members[k]].h.name);
                if (count > 3)
                        fprintf (out, " and %zu more", count - 3);
                bool stress = true;
                for (size_t k = 0; k < count; k++)
                        stress &= strncmp (v[members[k]].h.comm, "qgc-stress-", 11) == 0;
                fputs (stress ? ": qgc-check's stress threads)" : ")", out);
        }
        if (line)
                fprintf (out, ":%.*s\n", (int) len - 1, line + 1);
        else
                fputs (": no Python frame\n", out);
}

/* The other threads (all but the shown ones, which may be NULL) that ran
 * Python or held the GIL, one line per place (threads at the same line
 * together, the GIL's holder alone), then a count of the rest. */
static void
print_other_threads (FILE *out, const struct thread_view *v, size_t n, const struct thread_view *crashed,
                     const struct thread_view *also_shown)
{
        size_t *members = calloc (n ? n : 1, sizeof *members);
        bool *done = calloc (n ? n : 1, sizeof *done);
        size_t groups = 0, more = 0, rest = 0;
        for (size_t i = 0; members && done && i < n; i++) {
                if (&v[i] == crashed || &v[i] == also_shown || done[i])
                        continue;
                if (!v[i].py && !v[i].h.gil) {
                        rest++;
                        continue;
                }
                size_t len, count = 0;
                const char *line = where_line (&v[i], &len);
                for (size_t k = i; k < n; k++) {
                        size_t klen;
                        const char *kline = &v[k] == crashed || &v[k] == also_shown || done[k]
                                                    ? NULL
                                                    : where_line (&v[k], &klen);
                        bool same = k == i || (!v[i].h.gil && !v[k].h.gil && line && kline && klen == len &&
                                               memcmp (kline, line, len) == 0);
                        if (same) {
                                members[count++] = k;
                                done[k] = true;
                        }
                }
                if (groups++ == OTHER_THREADS) {
                        more += count;
                        groups--;
                        continue;
                }
                if (groups == 1)
                        fputs ("other threads that ran Python or held the GIL, at their innermost frame "
                               "outside Python's standard library:\n", out);
                print_group (out, v, members, count, line, len);
        }
        if (more)
                fprintf (out, "  ... and %zu more such threads\n", more);
        if (rest)
                fprintf (out, "%zu other thread%s without Python frames (-v or --json shows every thread)\n",
                         rest, rest == 1 ? "" : "s");
        free (members);
        free (done);
}

/* The crash handler's note in the tracebacks' section, when it could not
 * read them all (a line of its own in parentheses: faulthandler's lines
 * never start so), or NULL. */
static const char *
traceback_note (const char *dump)
{
        const char *py = dump ? dump_python_tracebacks (dump) : NULL;
        for (const char *line = py; line && *line && strncmp (line, DUMP_END, strlen (DUMP_END)) != 0;) {
                if (line[0] == '(')
                        return line;
                const char *nl = strchr (line, '\n');
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

void
report_crash_text (FILE *out, const struct run_result *r, bool verbose, const char *dim, const char *reset)
{
        size_t n = 0;
        struct thread_view *v = r->dump ? read_threads (r->dump, &n) : NULL;
        const struct thread_view *t = crashed_thread (v, n);
        print_header (out, r, t);
        if (t) {
                fprintf (out, "%sPython frames of %s (most recent call first):%s\n", dim, t->h.name, reset);
                const char *why = traceback_note (r->dump);
                if (t->py)
                        print_python_frames (out, t, verbose);
                else if (!why)
                        fputs ("  (none: it was not running Python code)\n", out);
                if (why)
                        fprintf (out, "  %.*s\n", (int) strcspn (why, "\n"), why);
                fprintf (out, "%snative frames of %s (innermost first):%s\n", dim, t->h.name, reset);
                print_native_frames (out, t, verbose);
        } else if (r->dump) {
                fputs ("(no thread of the dump is marked as the crashed one)\n", out);
        } else {
                fputs (r->crash_signal == SIGKILL ? "(no stacks: a SIGKILL cannot be caught, nothing could record them)\n"
                                                  : "(no stacks: the crash handler left none)\n",
                       out);
        }
        print_findings_in_crash (out, r, t);
        if (verbose)
                print_all_threads (out, v, n, t);
        else
                print_other_threads (out, v, n, t, NULL);
        free (v);
}

/* One thread in full, as the crashing one is shown. */
static void
print_thread (FILE *out, const struct thread_view *t, bool verbose, const char *dim, const char *reset)
{
        fprintf (out, "%sthread ", dim);
        print_thread_name (out, &t->h);
        fprintf (out, ":%s\n", reset);
        if (t->py)
                print_python_frames (out, t, verbose);
        else
                fputs ("  (no Python frame)\n", out);
        print_native_frames (out, t, verbose);
}

void
report_stacks_text (FILE *out, const char *dump, bool verbose, const char *dim, const char *reset)
{
        size_t n = 0;
        struct thread_view *v = dump ? read_threads (dump, &n) : NULL;
        const struct thread_view *main = NULL, *gil = NULL;
        for (size_t i = 0; i < n; i++) {
                if (v[i].h.main && !main)
                        main = &v[i];
                if (v[i].h.gil && !gil)
                        gil = &v[i];
        }
        if (gil == main)
                gil = NULL;
        if (verbose) {
                print_all_threads (out, v, n, NULL);
        } else {
                if (main)
                        print_thread (out, main, false, dim, reset);
                if (gil)
                        print_thread (out, gil, false, dim, reset);
                print_other_threads (out, v, n, main, gil);
        }
        if (!n && dump)
                fputs ("(no thread could be read from the dump: --json keeps it as it is)\n", out);
        free (v);
}
