/* diagnosis.c: reading the runner's crash and hang dumps (see diagnosis.h). */
#include "config.h"

#include "supervisor/diagnosis.h"
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
        static const char *const names[] = { "host_", "pyhost_", "channel_", "crash_", "qgc_",
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
                        const char *text = memchr (f.line, ' ', f.line_len);
                        size_t tn = f.line_len - (size_t) (text + 1 - f.line);
                        if (f.interrupted)
                                tn -= 9;
                        if (asprintf (&s, "%.*s (thread %s)", (int) tn, text + 1, h.name) < 0)
                                s = NULL;
                } else if (asprintf (&s, "the crash handler (thread %s)", h.name) < 0) {
                        s = NULL;
                }
                return s;
        }
        return hang ? NULL : python_tool_frame (dump);
}
