/* SPDX-License-Identifier: MIT */
/* describe.c: one description of each finding group (see describe.h). */
#include "config.h"

#include "supervisor/describe.h"

#include "common/native-stack.h"
#include "common/pyframe.h"
#include "supervisor/result-text.h"
#include "supervisor/result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool
result_finding_gui_owned (const struct result_finding *f)
{
        return !f->owner_thread || !*f->owner_thread || strcmp (f->owner_thread, "MainThread") == 0;
}

static size_t
first_line_length (const char *s)
{
        const char *eol = strchr (s, '\n');
        return eol ? (size_t) (eol - s) : strlen (s);
}

/* The source text of a stack's innermost frame ("path:line: in name"),
 * read from the file as Python tracebacks do, stripped; NULL when the file
 * cannot be read (a "<string>" frame, a file gone since). */
static const char *
frame_source (struct run_result *r, const char *stack)
{
        if (!stack || !*stack)
                return NULL;
        struct pyframe frame;
        if (!pyframe_parse (stack, strlen (stack), &frame))
                return NULL;
        long want = frame.line;
        FILE *file = frame.file[0] != '<' ? fopen (frame.file, "r") : NULL;
        if (!file)
                return NULL;
        char *line = NULL, *found = NULL;
        size_t cap = 0;
        for (long n = 1; n <= want && getline (&line, &cap, file) >= 0; n++)
                if (n == want)
                        found = line;
        fclose (file);
        const char *text = NULL;
        if (found) {
                char *start = found, *end = found + strlen (found);
                while (*start == ' ' || *start == '\t')
                        start++;
                while (end > start && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                if (end - start > 240)
                        end = start + 240; /* valid_copy drops a character cut here */
                if (end > start)
                        text = result_text (r, result_text_printf (r, "%.*s", (int) (end - start), start));
        }
        free (line);
        return text;
}

/* A module of the Python binding (sip's or shiboken's wrappers, the
 * binding's extension modules) rather than Qt or the app's C++. */
static bool
binding_module (const char *m, size_t len)
{
        return (len >= 8 && memcmp (m + len - 8, ".abi3.so", 8) == 0) || memmem (m, len, ".cpython-", 9) ||
               (len >= 11 && memcmp (m, "libshiboken", 11) == 0) || (len >= 9 && memcmp (m, "libpyside", 9) == 0);
}

/* Appends "f (lib)" to a chain "g (lib) <- f (lib)" being written in
 * out; false when it does not fit. */
static bool
append_frame (char *out, size_t size, size_t *used, int shown, const struct native_frame *fr)
{
        int w = snprintf (out + *used, size - *used, "%s%.*s (%.*s)", shown ? " <- " : "", fr->function_len,
                          fr->function, fr->library_len, fr->library);
        if (w < 0 || (size_t) w >= size - *used)
                return false;
        *used += (size_t) w;
        return true;
}

/* The C++ code that destroyed the object, from its native stack: past
 * the destructors of its own class chain (QObject's, its class's, the
 * binding's subclass of it), the next three named frames; NULL when the
 * first of them is the binding's (a wrapper freed by Python: the Python
 * stack tells that story) or there are none. */
static const char *
native_culprit (struct run_result *r, const struct result_finding *f)
{
        if (f->kind != FINDING_OFF_THREAD_FINALIZATION || !*f->native_stack)
                return NULL;
        /* Its class's destructor, also as the binding's subclass of it
         * (sipQBuffer::~sipQBuffer, QBufferWrapper::~QBufferWrapper). */
        const char *cls = strcmp (f->qt_class, FINDING_CLASS_UNRESOLVED) ? f->qt_class : "QObject";
        char own[160], wrapper[168];
        snprintf (own, sizeof own, "%s::~", cls);
        snprintf (wrapper, sizeof wrapper, "%sWrapper::~", cls);
        const char *p = f->native_stack, *start = p;
        /* Past the last destructor of the object's own chain. */
        struct native_frame fr;
        for (const char *q = p; native_stack_next (&q, &fr);) {
                size_t fn = (size_t) fr.function_len;
                if (!memmem (fr.function, fn, "::~", 3))
                        break;
                if (memmem (fr.function, fn, "QObject::~QObject", 17) || memmem (fr.function, fn, own, strlen (own)) ||
                    memmem (fr.function, fn, wrapper, strlen (wrapper)))
                        start = q;
        }
        char out[600] = "";
        size_t used = 0;
        int shown = 0;
        for (const char *q = start; shown < 3 && native_stack_next (&q, &fr);) {
                if (shown == 0 && binding_module (fr.library, (size_t) fr.library_len))
                        return NULL;
                if (fr.function_len == 2 && memcmp (fr.function, "??", 2) == 0)
                        continue;
                if (!append_frame (out, sizeof out, &used, shown, &fr))
                        break;
                shown++;
        }
        return shown ? result_text_printf (r, "%s", out) : NULL;
}

/* Made by C++ code during a Python call (QPicture() makes its QBuffer):
 * no Python object owns it, the call at the creation site made it. NULL
 * for an object made through the binding. */
static const char *
made_by (struct run_result *r, const struct result_finding *f)
{
        if (!f->origin || strcmp (f->origin, "native") != 0)
                return NULL;
        /* Destroyed by another class's destructor: a part of that object
         * (QPicture's QBuffer), which need not be a QObject. */
        const char *sep = f->died_inside ? strstr (f->died_inside, "::~") : NULL;
        const char *end = f->died_inside ? strpbrk (f->died_inside, " (") : NULL;
        if (sep && end && sep < end && strncmp (f->died_inside, f->qt_class, (size_t) (sep - f->died_inside)))
                return result_text_printf (r, "made by C++ code inside that call (not through Python), "
                                              "a part of a %.*s: no Python object owns it",
                                           (int) (sep - f->died_inside), f->died_inside);
        return "made by C++ code inside that call (not through Python): no Python object owns it";
}

/* The cycle an at-risk object hangs from: the reference path back to
 * it, or, for an object on no cycle of its own ("Class -> ...": garbage
 * only because a cycle holds it), that. */
static const char *
at_risk_path (struct run_result *r, const struct result_finding *f)
{
        size_t len = strlen (f->message);
        if (len >= 7 && strcmp (f->message + len - 7, " -> ...") == 0)
                return "that holds it (it is on no reference cycle itself: garbage kept only by one)";
        return result_text_name (r, f->message);
}

/* What happened, in one line. The app's names are data: quoted and
 * escaped when they would not show as they are (result_text_name). */
static const char *
finding_title (struct run_result *r, const struct result_finding *f)
{
        const char *py_open = *f->py_class ? " (Python class " : "", *py_close = *f->py_class ? ")" : "";
        const char *qt_class = result_text_name (r, f->qt_class), *py_class = result_text_name (r, f->py_class);
        const char *owner = result_text_name (r, f->owner_thread);
        const char *thread = result_text_name (r, f->finalizing_thread);
        const char *message = result_text_name (r, f->message); /* quoted when escaped */
        const char *title;
        switch (f->kind) {
        case FINDING_THREAD_WARNING:
                /* Nothing died: a call from the wrong thread, in a
                 * finalizer a collection ran, or in the thread's code. */
                title = result_text_printf (r, "Qt warned %s%s%s in %s%s%s%s", message == f->message ? "\"" : "",
                                            message, message == f->message ? "\"" : "", thread,
                                            *f->qt_class ? ", about a " : "", *f->qt_class ? qt_class : "",
                                            strcmp (f->cause, "cyclic-gc") == 0 ? ", during a garbage collection" : "");
                break;
        case FINDING_AT_RISK_CYCLE:
                title = result_text_printf (r, "%s%s%s%s would die in whichever thread collects the cycle %s",
                                            qt_class, py_open, py_class, py_close, at_risk_path (r, f));
                break;
        default:
                title = result_text_printf (r, "%s%s%s%s owned by %s, destroyed in %s (%s)", qt_class, py_open,
                                            py_class, py_close, owner, thread, f->cause);
                break;
        }
        return title ? title : finding_kind_name (f->kind);
}

/* The fixes the tool gives, one per way an object can come to die off
 * its thread. fix_kind_of picks one from what the tool saw, and nothing
 * else; finding_fix words it. Their names are the JSON's fix_kind. */
enum fix_kind {
        FIX_NONE,
        FIX_GUI_COLLECTOR,      /* automatic collection off the GUI thread, GUI-owned */
        FIX_COLLECT_IN_OWNER,   /* an explicit gc.collect() in another thread */
        FIX_MOVE_TO_GUI_THREAD, /* the owner runs no event loop */
        FIX_DROP_IN_OWNER,      /* a reference dropped in another thread */
        FIX_BREAK_CYCLE,        /* a collection, the owner another thread with a loop */
        FIX_CPP_CALL,           /* C++ code destroyed it */
        FIX_OWNER_THREAD_WORK,  /* Qt warned of work from the wrong thread */
};

static const char *const fix_kind_names[] = {
        [FIX_NONE] = NULL,
        [FIX_GUI_COLLECTOR] = "gui-collector",
        [FIX_COLLECT_IN_OWNER] = "collect-in-owner",
        [FIX_MOVE_TO_GUI_THREAD] = "move-to-gui-thread",
        [FIX_DROP_IN_OWNER] = "drop-in-owner",
        [FIX_BREAK_CYCLE] = "break-cycle",
        [FIX_CPP_CALL] = "cpp-call",
        [FIX_OWNER_THREAD_WORK] = "owner-thread-work",
};

/* In this order: what destroyed it first (C++ code, an explicit
 * collection: the call is the thing to move), then what the owner can
 * run (no event loop: no deleteLater() or queued drop would ever run
 * there), then how Python let go of it. */
static enum fix_kind
fix_kind_of (const struct result_finding *f, const char *call)
{
        if (f->kind == FINDING_THREAD_WARNING)
                return FIX_OWNER_THREAD_WORK;
        if (f->kind == FINDING_AT_RISK_CYCLE)
                return result_finding_gui_owned (f) ? FIX_GUI_COLLECTOR : FIX_BREAK_CYCLE;
        if (f->kind != FINDING_OFF_THREAD_FINALIZATION)
                return FIX_NONE;
        bool cyclic = strcmp (f->cause, "cyclic-gc") == 0;
        if (call || strcmp (f->cause, "native") == 0)
                return FIX_CPP_CALL;
        if (cyclic && f->gc_trigger && strcmp (f->gc_trigger, "explicit") == 0)
                return FIX_COLLECT_IN_OWNER;
        /* A worker without a loop: the GUI thread has one to move it to.
         * The GUI thread's own loop that never ran: nowhere to move it. */
        if (f->owner_event_loop == 0 && !result_finding_gui_owned (f))
                return FIX_MOVE_TO_GUI_THREAD;
        if (!cyclic)
                return FIX_DROP_IN_OWNER;
        return result_finding_gui_owned (f) ? FIX_GUI_COLLECTOR : FIX_BREAK_CYCLE;
}

/* The gc.collect() call of an explicit collection: the innermost Python
 * frame while it ran ("app.py:33 (in collect_loop)"), or NULL. */
static const char *
collect_call (struct run_result *r, const struct result_finding *f)
{
        struct pyframe frame;
        const char *stack = f->finalization_stack;
        if (!stack || !*stack || !pyframe_next (&stack, &frame))
                return NULL;
        /* Relative to the working directory, as the reports show paths. */
        char cwd[1024];
        const char *file = frame.file;
        size_t n = getcwd (cwd, sizeof cwd) ? strlen (cwd) : 0;
        if (n && strncmp (file, cwd, n) == 0 && file[n] == '/')
                file += n + 1;
        return result_text_printf (r, "%s:%ld (in %s)", file, frame.line, frame.function);
}

/* The C++ call that destroyed it, when C++ code did rather than the
 * binding freeing a wrapper: past the destructors at the top of its native
 * stack (its own, and those of what it was a part of: a parent item's,
 * a QThreadPool's), the first frame that is no destructor is a C++
 * function (QThreadPoolPrivate::reset(), QTextDocumentPrivate::undoRedo())
 * rather than the binding's release of a wrapper, the object's own or
 * its owner's. That frame, its caller, and the last frame before the
 * binding's (the API the app called: QThreadPool::waitForDone(int)),
 * the ones between elided; NULL when the binding's comes first. */
static const char *
cpp_call (struct run_result *r, const struct result_finding *f)
{
        if (f->kind != FINDING_OFF_THREAD_FINALIZATION || !f->native_stack || !*f->native_stack)
                return NULL;
        struct native_frame frames[64];
        size_t n = 0;
        struct native_frame fr;
        for (const char *q = f->native_stack; n < sizeof frames / sizeof frames[0] && native_stack_next (&q, &fr);) {
                bool binding = binding_module (fr.library, (size_t) fr.library_len);
                bool unnamed = fr.function_len == 2 && memcmp (fr.function, "??", 2) == 0;
                if (n == 0 && !unnamed && memmem (fr.function, (size_t) fr.function_len, "::~", 3))
                        continue;
                if (binding)
                        break;
                if (!unnamed)
                        frames[n++] = fr;
        }
        char out[600] = "";
        size_t used = 0;
        int shown = 0;
        for (size_t i = 0; i < n && i < 2; i++)
                if (append_frame (out, sizeof out, &used, shown, &frames[i]))
                        shown++;
        if (n > 3 && used + 8 < sizeof out) {
                memcpy (out + used, " <- ...", 8);
                used += 7;
        }
        if (n > 2 && append_frame (out, sizeof out, &used, shown, &frames[n - 1]))
                shown++;
        return shown ? result_text_printf (r, "%s", out) : NULL;
}

/* The fix for one finding: what moves its destruction into its owner. */
static const char *
finding_fix (struct run_result *r, const struct result_finding *f, enum fix_kind kind, const char *call)
{
        const char *owner = f->owner_thread && *f->owner_thread ? f->owner_thread : "its owning thread";
        const char *by = f->finalizing_thread && *f->finalizing_thread ? f->finalizing_thread : "another thread";
        bool cyclic = strcmp (f->cause, "cyclic-gc") == 0;
        switch (kind) {
        case FIX_OWNER_THREAD_WORK:
                /* A finalizer only when a collection ran there. */
                return result_text_printf (r, "do that work in the object's own thread (deleteLater(), a queued "
                                              "call: a signal emitted in %s to a slot of an object of that "
                                              "thread), not %s%s",
                                           by, cyclic ? "in a finalizer run by a collection in " : "in ", by);
        case FIX_GUI_COLLECTOR:
                if (f->owner_event_loop == 0)
                        return "break the cycle (a weakref, or clear the reference when done), or collect only "
                               "in the GUI thread: gc.disable() at start-up and gc.collect() at points of your "
                               "own there (it never dispatched events in this run: no exec(), processEvents() "
                               "or qWait(), so neither a QTimer nor --mitigate's collector would fire)";
                return "break the cycle (a weakref, or clear the reference when done), or collect only "
                       "in the GUI thread: gc.disable() at start-up and gc.collect() from a QTimer "
                       "there (--mitigate applies it)";
        case FIX_COLLECT_IN_OWNER: {
                const char *call = collect_call (r, f);
                return result_text_printf (r, "the explicit gc.collect() %s%s in %s destroyed it: make that call "
                                              "in %s instead%s, or break the cycle (--mitigate cannot help: it "
                                              "turns off automatic collection, not an explicit call)",
                                           call ? "at " : "", call ? call : "", by, owner,
                                           result_finding_gui_owned (f) ? " (from a QTimer there)" : "");
        }
        case FIX_MOVE_TO_GUI_THREAD:
                return result_text_printf (r, "its owner %s runs no event loop, so a deleteLater() or a queued "
                                              "call there would never run: move it to the GUI thread before "
                                              "it leaves %s (obj.moveToThread(QApplication.instance().thread()) "
                                              "in %s, on the object or its top-level parent), or make it in "
                                              "the GUI thread%s",
                                           owner, owner, owner,
                                           cyclic ? "; then collect only in the GUI thread, or break the cycle" : "");
        case FIX_DROP_IN_OWNER:
                if (f->evidence & EVIDENCE_LIVE_PARENT)
                        return result_text_printf (r, "%s deleted it while its parent lives on (a call there that "
                                                      "deletes objects, or its last reference dropped): make that "
                                                      "call, or drop it, in %s instead, or call deleteLater() on "
                                                      "the object first (a collector in the GUI thread does not "
                                                      "help here)", by, owner);
                if (f->owner_event_loop == 0)
                        return result_text_printf (r, "%s dropped the last reference: drop it in %s instead (it "
                                                      "never dispatched events in this run: no exec(), "
                                                      "processEvents() or qWait(), so deleteLater() would not "
                                                      "delete it; a collector in the GUI thread does not help "
                                                      "here)", by, owner);
                return result_text_printf (r, "%s dropped the last reference: drop it in %s instead, or call "
                                              "deleteLater() on the object first (a collector in the GUI "
                                              "thread does not help here)", by, owner);
        case FIX_BREAK_CYCLE:
                return result_text_printf (r, "its owner %s is not the GUI thread, so a collector in the GUI "
                                              "thread races just the same: break the cycle, call deleteLater() "
                                              "on it before dropping it, or collect in %s", owner, owner);
        case FIX_CPP_CALL: {
                const char *later = f->owner_event_loop == 0 ? "" : ", or with deleteLater()";
                if (call)
                        return result_text_printf (r, "C++ code destroyed it, not a Python reference: %s, "
                                                      "called in %s; make that call in %s, the thread that "
                                                      "owns it, or move the object to %s first",
                                                   call, by, owner, by);
                return result_text_printf (r, "C++ code in %s destroyed it: destroy it (or its parent) in %s%s",
                                           by, owner, later);
        }
        case FIX_NONE:
                break;
        }
        return NULL;
}

void
result_describe (struct run_result *r, struct result_finding *f)
{
        if (!f->creation_site || !*f->creation_site)
                f->creation_site = f->creation_stack; /* its first line */
        const char **texts[] = { &f->qt_class, &f->py_class, &f->object_name, &f->owner_thread,
                                 &f->finalizing_thread, &f->message, &f->creation_stack,
                                 &f->creation_site, &f->finalization_stack, &f->test, &f->creation_test, &f->suppressed_by,
                                 &f->class_library, &f->parents, &f->native_stack };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
                *texts[i] = result_text (r, *texts[i]);
        f->died_inside = native_culprit (r, f);
        /* C++ code destroyed it: no Python reference did. */
        const char *call = cpp_call (r, f);
        if (call && strcmp (f->cause, "refcount") == 0)
                f->cause = "native";
        f->creation_source = frame_source (r, f->creation_site);
        f->finalization_source = frame_source (r, f->finalization_stack);
        f->made_by = made_by (r, f);
        f->title = finding_title (r, f);
        f->name = f->title;
        enum fix_kind kind = fix_kind_of (f, call);
        f->fix_kind = fix_kind_names[kind];
        f->fix = finding_fix (r, f, kind, call);
}

/* Frames a and b share from the innermost one; *a_rest and *b_rest are
 * where they part (at the end of a stack: ""). */
static size_t
common_frames (const char *a, const char *b, const char **a_rest, const char **b_rest)
{
        size_t depth = 0;
        while (*a && *b) {
                size_t la = first_line_length (a), lb = first_line_length (b);
                if (la != lb || memcmp (a, b, la) != 0)
                        break;
                a += la + (a[la] == '\n');
                b += lb + (b[lb] == '\n');
                depth++;
        }
        *a_rest = a;
        *b_rest = b;
        return depth;
}

/* What tells f from g, whose creation stacks are the same as captured,
 * in words; NULL when none of what a group keeps does. */
static const char *
other_difference (struct run_result *r, const struct result_finding *f, const struct result_finding *g)
{
        const char *verb = f->kind == FINDING_THREAD_WARNING ? "warned" : "died";
        if (strcmp (f->test, g->test) != 0)
                return *f->test ? result_text_printf (r, "%s during test %s", verb, f->test)
                                : result_text_printf (r, "%s outside any test", verb);
        if (strcmp (f->creation_test, g->creation_test) != 0)
                return *f->creation_test ? result_text_printf (r, "created during test %s", f->creation_test)
                                         : "created outside any test";
        if (f->evidence != g->evidence) {
                char list[256] = "";
                size_t used = 0;
                for (uint32_t bit = 1; bit < EVIDENCE_MAX; bit <<= 1)
                        if ((f->evidence & bit) && used < sizeof list)
                                used += (size_t) snprintf (list + used, sizeof list - used, "%s%s", used ? ", " : "",
                                                           finding_evidence_name (bit));
                return used ? result_text_printf (r, "evidence %s", list) : "no evidence";
        }
        if ((f->origin == NULL) != (g->origin == NULL) || (f->origin && strcmp (f->origin, g->origin) != 0))
                return f->origin ? result_text_printf (r, "made by %s code",
                                                       strcmp (f->origin, "native") == 0 ? "C++" : "Python")
                                 : "its maker unknown";
        if (strcmp (f->class_library, g->class_library) != 0)
                return result_text_printf (r, "its class from %s", *f->class_library ? f->class_library : "no library");
        return NULL;
}

/* How f differs from its look-alike g (the same title and first creation
 * frame), their stacks parting at a and b after depth frames: the frame
 * of f's there, else in words. */
static void
describe_difference (struct run_result *r, const struct result_finding *f, const struct result_finding *g,
                     const char *a, const char *b, size_t depth, const char **frame, const char **words)
{
        *frame = NULL;
        *words = NULL;
        if (*a) {
                *frame = result_text_printf (r, "%.*s", (int) first_line_length (a), a);
        } else if (*b) {
                *words = "its creation stack ends there; a look-alike group's goes on";
        } else {
                /* The same stacks as captured: cut at the capture's limit,
                 * or the groups differ by something else. */
                const char *other = other_difference (r, f, g);
                const char *stack = depth >= PYFRAME_STACK_DEPTH
                                            ? "creation stack cut at " PYFRAME_DEPTH_TEXT " frames (the capture's "
                                              "limit), the same as a look-alike group's up to there"
                                            : "the same creation stack as a look-alike group";
                *words = other ? result_text_printf (r, "%s; %s", stack, other) : stack;
        }
}

void
result_distinguish (struct run_result *r)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                struct result_finding *f = &r->findings[i];
                size_t best = 0; /* frames in common with the closest look-alike, + 1 */
                for (size_t j = 0; j < r->n_findings; j++) {
                        const struct result_finding *g = &r->findings[j];
                        if (j == i || strcmp (f->title, g->title) != 0)
                                continue;
                        size_t la = first_line_length (f->creation_stack), lb = first_line_length (g->creation_stack);
                        if (la != lb || memcmp (f->creation_stack, g->creation_stack, la) != 0)
                                continue; /* the first frame already differs */
                        const char *a, *b;
                        size_t depth = common_frames (f->creation_stack, g->creation_stack, &a, &b);
                        if (depth + 1 > best) {
                                best = depth + 1;
                                describe_difference (r, f, g, a, b, depth, &f->differs_at, &f->differs);
                        }
                }
                if (f->differs_at)
                        f->name = result_text_printf (r, "%s via %s", f->title, f->differs_at) ?: f->title;
                else if (f->differs)
                        f->name = result_text_printf (r, "%s (%s)", f->title, f->differs) ?: f->title;
        }
        for (size_t i = 0; i < r->n_findings; i++) {
                unsigned same = 1;
                for (size_t j = 0; j < i; j++)
                        if (strcmp (r->findings[j].name, r->findings[i].name) == 0)
                                same++;
                if (same > 1)
                        r->findings[i].name = result_text_printf (r, "%s #%u", r->findings[i].name, same)
                                              ?: r->findings[i].name;
        }
}
