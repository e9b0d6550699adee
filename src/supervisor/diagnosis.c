/* SPDX-License-Identifier: MIT */
/* diagnosis.c: reading the runner's crash and hang dumps (see diagnosis.h). */
#include "config.h"

#include "supervisor/diagnosis.h"
#include "common/channel.h"
#include "common/dump-format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
starts_with (const char *s, size_t n, const char *prefix)
{
        size_t p = strlen (prefix);
        return n >= p && strncmp (s, prefix, p) == 0;
}

static bool
any_prefix (const char *s, size_t n, const char *const *prefixes)
{
        for (; *prefixes; prefixes++)
                if (starts_with (s, n, *prefixes))
                        return true;
        return false;
}

/* The C and C++ runtimes: any caller may be in them. */
static bool
system_module (const struct dump_frame *f)
{
        static const char *const libs[] = { "libc.so", "libc-", "libpthread", "ld-linux", "ld-2.",
                                            "libstdc++", "libgcc_s", "libm.so", "libdl", "linux-vdso",
                                            "linux-gate", NULL };
        return f->module && any_prefix (f->module, f->module_len, libs);
}

static bool
qt_module (const struct dump_frame *f)
{
        return f->module && starts_with (f->module, f->module_len, "libQt");
}

static bool
allocator (const struct dump_frame *f)
{
        static const char *const names[] = { "malloc", "free", "calloc", "realloc", "cfree", "_int_",
                                             "__libc_malloc", "__libc_free", "__libc_calloc",
                                             "__libc_realloc", "__libc_memalign", "__default_morecore",
                                             "memalign", "posix_memalign", "aligned_alloc", "valloc",
                                             "pvalloc", "tcache", "_Znw", "_Zna", "_Zdl", "_Zda",
                                             "operator new", "operator delete", NULL };
        return any_prefix (f->name, f->name_len, names);
}

/* Python's lock and GIL waits: whoever called them is the one waiting. */
static bool
python_wait (const struct dump_frame *f)
{
        static const char *const names[] = { "take_gil", "drop_gil", "PyEval_RestoreThread",
                                             "PyEval_AcquireThread", "PyGILState_Ensure",
                                             "_PyThreadState_Attach", "_PyParkingLot_Park",
                                             "_PyMutex_Lock", "PyMutex_Lock", "_PySemaphore_",
                                             "PyThread_acquire_lock", "PyCOND_", "PyMUTEX_", NULL };
        return any_prefix (f->name, f->name_len, names);
}

/* qgc-check's own code: all of the probe module, and in the runner the
 * functions hooks reach (host_*, pyhost_*, channel_*), its Python module
 * (qgc_*) and the crash handler. */
static bool
tool_frame (const struct dump_frame *f)
{
        if (!f->module || !starts_with (f->module, f->module_len, "qgc-"))
                return false;
        if (starts_with (f->module, f->module_len, "qgc-probe"))
                return true;
        static const char *const names[] = { "host_", "pyhost_", "channel_", "crash_", "unwind_", "qgc_",
                                             "dump_handler", "thread_handler", "dump_native_thread",
                                             "dump_everything", "dump_python_threads",
                                             "park_other_threads", "elf_", NULL };
        return any_prefix (f->name, f->name_len, names);
}

/* The runner's calls made to take the GIL in the GUI thread, on the
 * probe's timer and outside any hook (probe.h: with_gil, gui_tick):
 * waiting there is waiting for the GIL's holder, like any Python code. */
static bool
takes_gil_by_design (const struct dump_frame *f)
{
        static const char *const names[] = { "host_with_gil", "host_gui_tick", NULL };
        return any_prefix (f->name, f->name_len, names);
}

enum walk { WALK_APP, WALK_TOOL };

/* Walks one thread section's frames from the interrupted one outward. In
 * a hang, a thread counts when it waits: a tool frame met before any
 * runtime frame is code that was running at that instant, not stuck. */
static enum walk
walk_section (const char *section, const char *end, bool hang, struct dump_frame *found)
{
        bool started = false, waiting = false, gil = false;
        for (const char *p = section; p < end;) {
                const char *eol = memchr (p, '\n', (size_t) (end - p));
                size_t n = (size_t) ((eol ? eol : end) - p);
                struct dump_frame f;
                if (dump_parse_frame (p, n, &f)) {
                        started |= f.interrupted;
                        if (started) {
                                if (tool_frame (&f)) {
                                        if (hang && (!waiting || (gil && takes_gil_by_design (&f))))
                                                return WALK_APP;
                                        *found = f;
                                        return WALK_TOOL;
                                }
                                if (allocator (&f))
                                        return WALK_APP;
                                if (!(system_module (&f) || qt_module (&f) || python_wait (&f) ||
                                      !f.module))
                                        return WALK_APP;
                                gil |= python_wait (&f);
                                waiting |= system_module (&f) || python_wait (&f);
                        }
                }
                p = eol ? eol + 1 : end;
        }
        return WALK_APP;
}

/* The crashing thread's innermost Python frame (faulthandler's "Current
 * thread" in the Python section) when it is qgc-check's own code that
 * only inspects the app's objects (the at-risk analysis, the event-filter
 * bookkeeping): a binding call made there that faults is the tool's (seen:
 * shiboken6.getCppPointer on a dead wrapper). Code of ours that runs the
 * app's code (the script, the tool's event loop, a forwarded call) is not. */
static char *
python_tool_frame (const char *dump)
{
        static const char *const inspecting[] = { "_address", "address", "_analyse", "_owned_qobjects",
                                                  "_cycle_path", "_edge", "_qt_class",
                                                  "_binding_modules", NULL };
        const char *py = dump_python_tracebacks (dump);
        const char *cur = py ? strstr (py - 1, "\nCurrent thread ") : NULL;
        const char *line = cur ? strchr (cur + 1, '\n') : NULL;
        if (!line || strncmp (line + 1, "  File \"", 8) != 0)
                return NULL;
        line += 9;
        static const char ours[] = "<qgc-check bootstrap>\"";
        if (strncmp (line, ours, sizeof ours - 1) != 0)
                return NULL;
        const char *eol = strchr (line, '\n');
        size_t n = eol ? (size_t) (eol - line) : strlen (line);
        const char *in = NULL;
        for (const char *q = line; q + 4 <= line + n; q++)
                if (memcmp (q, " in ", 4) == 0)
                        in = q + 4;
        if (!in)
                return NULL;
        size_t fn = (size_t) (line + n - in);
        bool listed = false;
        for (int i = 0; inspecting[i]; i++)
                listed |= strlen (inspecting[i]) == fn && memcmp (in, inspecting[i], fn) == 0;
        long lineno = 0;
        const char *num = strstr (line, ", line ");
        if (num && num < line + n)
                lineno = strtol (num + 7, NULL, 10);
        const char *name_at = strchr (cur, '[');
        const char *name_end = name_at ? strchr (name_at, ']') : NULL;
        char *s = NULL;
        if (listed && asprintf (&s, "%.*s (<qgc-check bootstrap>:%ld) (thread %.*s)", (int) fn, in, lineno,
                                name_at && name_end && name_end < line ? (int) (name_end - name_at - 1) : 1,
                                name_at && name_end && name_end < line ? name_at + 1 : "?") < 0)
                s = NULL;
        return s;
}

char *
dump_tool_frame (const char *dump, bool hang)
{
        struct dump_section sec;
        for (const char *c = dump; dump_next_section (&c, &sec);) {
                bool in_handler = dump_section_has (&sec, " crashed=handler");
                if (!hang && !in_handler && !dump_section_has (&sec, " crashed=yes"))
                        continue;
                struct dump_frame f = { 0 };
                if (walk_section (sec.body, sec.end, hang && !in_handler, &f) != WALK_TOOL && !in_handler)
                        continue;
                struct dump_header h;
                dump_parse_header (&sec, &h);
                char *s = NULL;
                if (f.line) {
                        /* The frame without its number and address. */
                        const char *text = f.name;
                        size_t tn = f.line_len - (size_t) (text - f.line);
                        if (f.interrupted)
                                tn -= 9;
                        if (asprintf (&s, "%.*s (thread %s)", (int) tn, text, h.name) < 0)
                                s = NULL;
                } else if (asprintf (&s, "the crash handler (thread %s)", h.name) < 0) {
                        s = NULL;
                }
                return s;
        }
        return hang ? NULL : python_tool_frame (dump);
}

/* --- hangs --------------------------------------------------------------- */

/* Whether a frame of the section names name. */
static bool
has_frame (const struct dump_section *section, const char *name)
{
        size_t n = strlen (name);
        for (const char *p = section->body; p + n <= section->end; p++)
                if (memcmp (p, name, n) == 0)
                        return true;
        return false;
}

/* What a stuck thread waits for, from its native frames. */
static const char *
describe_wait (const struct dump_section *section)
{
        if (has_frame (section, "take_gil") || has_frame (section, "PyEval_RestoreThread") ||
            has_frame (section, "PyEval_AcquireThread") || has_frame (section, "PyGILState_Ensure"))
                return "the GIL";
        /* CPython 3.13 parks threads waiting for a threading.Lock (a
         * PyMutex) in its parking lot. */
        if (has_frame (section, "PyThread_acquire_lock") || has_frame (section, "_PyParkingLot_Park") ||
            has_frame (section, "_PyMutex_LockTimed"))
                return "a Python lock (threading.Lock.acquire or similar)";
        if (has_frame (section, "flushWindowSystemEvents"))
                return "the GUI thread (QWindowSystemInterface::flushWindowSystemEvents)";
        if (has_frame (section, "QWaitCondition") || has_frame (section, "QSemaphore"))
                return "a Qt wait condition (QWaitCondition/QSemaphore)";
        if (has_frame (section, "QMutex") || has_frame (section, "QRecursiveMutex"))
                return "a Qt mutex";
        if (has_frame (section, "pthread_cond") || has_frame (section, "futex") ||
            has_frame (section, "sem_") || has_frame (section, "pthread_mutex"))
                return "a lock or condition variable";
        if (has_frame (section, "processEvents") || has_frame (section, "poll"))
                return "nothing: it runs or polls its event loop";
        return "nothing visible: it is running";
}

static char *
thread_label (const struct dump_section *section)
{
        struct dump_header h;
        dump_parse_header (section, &h);
        char *s = NULL;
        if (asprintf (&s, "%s (tid %lu, Python thread id %s)", h.main ? "MainThread" : h.name, h.tid, h.ident) < 0)
                return NULL;
        return s;
}

/* "LABEL, waiting for WHAT" for a thread's section; malloc'd. */
static char *
waiting_thread (const struct dump_section *section, const char *doing)
{
        char *label = thread_label (section);
        char *s = NULL;
        if (label && asprintf (&s, "%s%s, waiting for %s", label, doing, describe_wait (section)) < 0)
                s = NULL;
        free (label);
        return s;
}

void
dump_diagnose_hang (const char *dump, int collecting_tid, struct hang_diagnosis *out)
{
        /* A collection running in another thread while the GUI thread is
         * stuck: the collector destroys objects with Qt's locks taken and
         * may wait for the GIL there (a lock-order inversion no finding
         * shows, since nothing finished dying yet). */
        struct dump_section section;
        *out = (struct hang_diagnosis) { 0 };
        if (collecting_tid > 0 && dump_find_thread (dump, (unsigned long) collecting_tid, &section))
                out->collector = waiting_thread (&section, ", inside a garbage collection");
        if (dump_find_section (dump, " gil=yes", &section))
                out->gil_holder = waiting_thread (&section, "");
        else
                out->gil_holder = strdup ("no thread (or it did not answer)");
        out->gui_waiting = strdup (dump_find_section (dump, " main=yes", &section)
                                           ? describe_wait (&section)
                                           : "unknown (no native stack)");
}

/* The C++ runtime's demangler (libstdc++, linked in): native frames read
 * "QWidget::~QWidget()" rather than "_ZN7QWidgetD1Ev". */
extern char *__cxa_demangle (const char *mangled, char *buf, size_t *len, int *status);

/* "#3 _ZN7QWidgetD1Ev+0x456 in libQt6Widgets.so.6" with the name demangled. */
static bool
print_demangled_frame (FILE *f, const char *line, size_t n)
{
        struct dump_frame fr;
        if (!dump_parse_frame (line, n, &fr) || fr.name_len < 2 || strncmp (fr.name, "_Z", 2) != 0)
                return false;
        char *mangled = strndup (fr.name, fr.name_len);
        int status = -1;
        char *plain = mangled ? __cxa_demangle (mangled, NULL, NULL, &status) : NULL;
        free (mangled);
        if (status != 0 || !plain) {
                free (plain);
                return false;
        }
        const char *rest = fr.name + fr.name_len;
        fprintf (f, "%.*s%s%.*s\n", (int) (fr.name - line), line, plain, (int) (line + n - rest), rest);
        free (plain);
        return true;
}

char *
dump_annotate (const char *dump, const struct channel *ch)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream (&out, &len);
        if (!f)
                return strdup (dump);
        for (const char *p = dump; *p;) {
                const char *eol = strchr (p, '\n');
                size_t n = eol ? (size_t) (eol - p) : strlen (p);
                const char *hex = NULL;
                if (strncmp (p, "Thread 0x", 9) == 0)
                        hex = p + 7;
                else if (strncmp (p, "Current thread 0x", 17) == 0)
                        hex = p + 15;
                else if (strncmp (p, DUMP_THREAD, strlen (DUMP_THREAD)) == 0)
                        hex = strstr (p, " 0x");
                const char *name = NULL;
                if (hex && (size_t) (hex - p) < n)
                        name = channel_thread_name (ch, strtoull (hex + (*hex == ' '), NULL, 16));
                const char *paren = name ? strstr (p, " (most recent call first)") : NULL;
                if (name && paren && (size_t) (paren - p) < n)
                        fprintf (f, "%.*s [%s]%.*s\n", (int) (paren - p), p, name,
                                 (int) (n - (size_t) (paren - p)), paren);
                else if (name && p[0] == '@')
                        fprintf (f, "%.*s" DUMP_PYTHON_NAME "%s\n", (int) n, p, name);
                else if (!print_demangled_frame (f, p, n))
                        fprintf (f, "%.*s\n", (int) n, p);
                p = eol ? eol + 1 : p + n;
        }
        fclose (f);
        return out;
}
