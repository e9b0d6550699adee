/* result.c: from the channel and the child's fate to one run_result. */
#include "config.h"

#include "supervisor/result.h"

#include "supervisor/diagnosis.h"
#include "common/dump-format.h"
#include "common/pyframe.h"
#include "supervisor/suppressions.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
verdict_name (enum verdict v)
{
        static const char *const names[] = { "clean", "race", "error", "crash", "hang", "incomplete" };
        return v <= VERDICT_INCOMPLETE ? names[v] : "error";
}

void
result_finding_from_group (struct result_finding *out, const struct channel *ch,
                           const struct channel_group *g)
{
        const struct finding *f = &g->finding;
        *out = (struct result_finding) {
                .kind = (enum finding_kind) f->kind,
                .cause = finding_cause_name (f->cause),
                .gc_generation = f->gc_generation,
                .gc_trigger = f->gc_trigger ? gc_trigger_name (f->gc_trigger) : NULL,
                .qt_class = channel_string (ch, f->qt_class),
                .py_class = channel_string (ch, f->py_class),
                .object_name = channel_string (ch, f->object_name),
                .owner_thread = channel_string (ch, f->owner_thread),
                .finalizing_thread = channel_string (ch, f->finalizing_thread),
                .message = channel_string (ch, f->message),
                .creation_stack = channel_string (ch, f->creation_stack),
                .finalization_stack = channel_string (ch, f->finalization_stack),
                .test = channel_string (ch, f->test),
                .creation_test = channel_string (ch, f->creation_test),
                .evidence = f->evidence,
                .origin = finding_origin_name (f->origin),
                .class_library = channel_string (ch, f->class_library),
                .parents = channel_string (ch, f->parents),
                .native_stack = channel_string (ch, atomic_load_explicit (
                                                            &((struct channel_group *) g)->native_stack,
                                                            memory_order_acquire)),
                .risk = f->evidence ? "high" : "rule",
                .count = atomic_load (&((struct channel_group *) g)->count),
                .children = atomic_load (&((struct channel_group *) g)->children),
                .first_seen_s = g->first_seen_s,
                .merged = g->merged == MERGE_CLASS  ? "class"
                          : g->merged == MERGE_KIND ? "kind"
                                                    : NULL,
        };
}

/* --- text made valid for the reports ---------------------------------- */

static const char *
keep (struct run_result *r, char *s)
{
        if (!s)
                return NULL;
        if (r->n_texts == r->texts_cap) {
                size_t cap = r->texts_cap ? 2 * r->texts_cap : 64;
                char **t = realloc (r->texts, cap * sizeof *t);
                if (!t) {
                        free (s);
                        return NULL;
                }
                r->texts = t;
                r->texts_cap = cap;
        }
        r->texts[r->n_texts++] = s;
        return s;
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), 0 when
 * there is none (RFC 3629: no overlong forms, surrogates or values past
 * U+10FFFF). */
static size_t
utf8_sequence (const unsigned char *p, size_t n)
{
        unsigned c = p[0];
        size_t len;
        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
                len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
                len = 4;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++)
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
            (c == 0xF4 && p[1] > 0x8F))
                return 0;
        return len;
}

/* True when the n bytes at p are the start of a character that the end of
 * the text cut (a lead byte and fewer continuation bytes than it needs). */
static bool
utf8_cut_at_end (const unsigned char *p, size_t n)
{
        size_t need = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
                      : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
        if (!need || n >= need)
                return false;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xC0) != 0x80)
                        return false;
        return true;
}

/* A valid copy of s, or NULL when s is valid already (or on no memory). */
static char *
valid_copy (const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen (s), i = 0;
        while (i < n && utf8_sequence (p + i, n - i))
                i += utf8_sequence (p + i, n - i);
        if (i == n)
                return NULL;
        /* Texts cut to a size (the app's stderr tail, an id) may start or
         * end inside a character: drop that part of it. Anything else not
         * UTF-8 becomes U+FFFD. */
        size_t start = 0;
        while (start < 3 && start < n && (p[start] & 0xC0) == 0x80)
                start++;
        char *out = malloc (3 * n + 1);
        if (!out)
                return NULL;
        size_t o = 0;
        for (i = start; i < n;) {
                size_t len = utf8_sequence (p + i, n - i);
                if (len) {
                        memcpy (out + o, p + i, len);
                        o += len;
                        i += len;
                } else if (utf8_cut_at_end (p + i, n - i)) {
                        break;
                } else {
                        memcpy (out + o, "\xEF\xBF\xBD", 3);
                        o += 3;
                        i++;
                }
        }
        out[o] = '\0';
        return out;
}

const char *
result_text (struct run_result *r, const char *s)
{
        if (!s)
                return NULL;
        char *copy = valid_copy (s);
        return copy ? keep (r, copy) ?: "" : s;
}

/* The same for a string r owns (malloc'd): replaced in place. */
static void
make_valid_owned (const char **field)
{
        char *copy = *field ? valid_copy (*field) : NULL;
        if (copy) {
                free ((char *) *field);
                *field = copy;
        }
}

static const char *
keep_printf (struct run_result *r, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static const char *
keep_printf (struct run_result *r, const char *fmt, ...)
{
        va_list ap;
        va_start (ap, fmt);
        char *s = NULL;
        if (vasprintf (&s, fmt, ap) < 0)
                s = NULL;
        va_end (ap);
        return keep (r, s);
}

static bool
gui_owned (const struct result_finding *f)
{
        return !f->owner_thread || !*f->owner_thread || strcmp (f->owner_thread, "MainThread") == 0;
}

/* The fix for one finding: what moves its destruction into its owner. */
static const char *
finding_fix (struct run_result *r, const struct result_finding *f)
{
        const char *owner = f->owner_thread && *f->owner_thread ? f->owner_thread : "its owning thread";
        if (f->kind == FINDING_THREAD_WARNING)
                return keep_printf (r, "do that work in the object's own thread (deleteLater(), a queued "
                                       "call), not in a finalizer run by %s",
                                    *f->finalizing_thread ? f->finalizing_thread : "another thread");
        if (f->kind == FINDING_AT_RISK_CYCLE)
                return "break the cycle (a weakref, or clear the reference when done), or collect only "
                       "in the GUI thread: gc.disable() at start-up and gc.collect() from a QTimer "
                       "there (--mitigate applies it)";
        /* A Python thread outside a collection: its last reference dropped
         * there, or a call there deleted it (a parent that lives on owns
         * it, so a call is the likelier: QTextDocument.undo() deleting
         * QTextLists, delete(), a container's clear()). */
        if (strcmp (f->cause, "refcount") == 0 && (f->evidence & EVIDENCE_LIVE_PARENT))
                return keep_printf (r, "%s deleted it while its parent lives on (a call there that "
                                       "deletes objects, or its last reference dropped): make that "
                                       "call, or drop it, in %s instead, or call deleteLater() on the "
                                       "object first (a collector in the GUI thread does not help here)",
                                    *f->finalizing_thread ? f->finalizing_thread : "another thread", owner);
        if (strcmp (f->cause, "refcount") == 0)
                return keep_printf (r, "%s dropped the last reference: drop it in %s instead, or call "
                                       "deleteLater() on the object first (a collector in the GUI "
                                       "thread does not help here)",
                                    *f->finalizing_thread ? f->finalizing_thread : "another thread", owner);
        if (strcmp (f->cause, "native") == 0)
                return keep_printf (r, "destroy it (or its parent) in %s, or with deleteLater()", owner);
        if (!gui_owned (f))
                return keep_printf (r, "its owner %s is not the GUI thread, so a collector in the GUI "
                                       "thread races just the same: break the cycle, call deleteLater() "
                                       "on it before dropping it, or collect in %s",
                                    owner, owner);
        return "break the cycle (a weakref, or clear the reference when done), or collect only in the "
               "GUI thread: gc.disable() at start-up and gc.collect() from a QTimer there (--mitigate "
               "applies it)";
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
                        text = result_text (r, keep_printf (r, "%.*s", (int) (end - start), start));
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
                int w = snprintf (out + used, sizeof out - used, "%s%.*s (%.*s)", shown ? " <- " : "",
                                  fr.function_len, fr.function, fr.library_len, fr.library);
                if (w < 0 || (size_t) w >= sizeof out - used)
                        break;
                used += (size_t) w;
                shown++;
        }
        return shown ? keep_printf (r, "%s", out) : NULL;
}

void
result_describe (struct run_result *r, struct result_finding *f)
{
        const char **texts[] = { &f->qt_class, &f->py_class, &f->object_name, &f->owner_thread,
                                 &f->finalizing_thread, &f->message, &f->creation_stack,
                                 &f->finalization_stack, &f->test, &f->creation_test, &f->suppressed_by,
                                 &f->class_library, &f->parents, &f->native_stack };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
                *texts[i] = result_text (r, *texts[i]);
        /* Made by C++ code during a Python call (QPicture() makes its
         * QBuffer): no Python object owns it, the call at the creation
         * site made it. */
        f->died_inside = native_culprit (r, f);
        f->creation_source = frame_source (r, f->creation_stack);
        f->finalization_source = frame_source (r, f->finalization_stack);
        if (f->origin && strcmp (f->origin, "native") == 0) {
                /* Destroyed by another class's destructor: a part of that
                 * object (QPicture's QBuffer), which need not be a QObject. */
                const char *sep = f->died_inside ? strstr (f->died_inside, "::~") : NULL;
                const char *end = f->died_inside ? strpbrk (f->died_inside, " (") : NULL;
                if (sep && end && sep < end && strncmp (f->died_inside, f->qt_class, (size_t) (sep - f->died_inside)))
                        f->made_by = keep_printf (r, "made by C++ code inside that call (not through Python), "
                                                     "a part of a %.*s: no Python object owns it",
                                                  (int) (sep - f->died_inside), f->died_inside);
                else
                        f->made_by = "made by C++ code inside that call (not through Python): no Python object "
                                     "owns it";
        }
        const char *py_open = *f->py_class ? " (Python class " : "", *py_close = *f->py_class ? ")" : "";
        switch (f->kind) {
        case FINDING_THREAD_WARNING:
                f->title = keep_printf (r, "Qt warned \"%s\" in %s (%s)", f->message, f->finalizing_thread,
                                        f->cause);
                break;
        case FINDING_AT_RISK_CYCLE:
                f->title = keep_printf (r, "%s%s%s%s would die in whichever thread collects the cycle %s",
                                        f->qt_class, py_open, f->py_class, py_close, f->message);
                break;
        default:
                f->title = keep_printf (r, "%s%s%s%s owned by %s, destroyed in %s (%s)", f->qt_class,
                                        py_open, f->py_class, py_close, f->owner_thread,
                                        f->finalizing_thread, f->cause);
                break;
        }
        if (!f->title)
                f->title = finding_kind_name (f->kind);
        f->name = f->title;
        f->fix = finding_fix (r, f);
}

/* Groups differ by their whole creation stack, but the reports show its
 * first frame: for groups that would look the same, name the first frame
 * where each differs from the others, and make every name unique. */
static void
distinguish (struct run_result *r)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                struct result_finding *f = &r->findings[i];
                size_t best = 0; /* frames in common with the closest look-alike, + 1 */
                for (size_t j = 0; j < r->n_findings; j++) {
                        const struct result_finding *g = &r->findings[j];
                        if (j == i || strcmp (f->title, g->title) != 0)
                                continue;
                        const char *a = f->creation_stack, *b = g->creation_stack;
                        size_t la = first_line_length (a), lb = first_line_length (b);
                        if (la != lb || memcmp (a, b, la) != 0)
                                continue; /* the first frame already differs */
                        size_t depth = 0;
                        while (*a && *b) {
                                la = first_line_length (a);
                                lb = first_line_length (b);
                                if (la != lb || memcmp (a, b, la) != 0)
                                        break;
                                a += la + (a[la] == '\n');
                                b += lb + (b[lb] == '\n');
                                depth++;
                        }
                        if (depth + 1 > best) {
                                best = depth + 1;
                                f->differs_at = *a ? keep_printf (r, "%.*s", (int) first_line_length (a), a)
                                                   : "(its creation stack ends there)";
                        }
                }
                if (f->differs_at)
                        f->name = keep_printf (r, "%s via %s", f->title, f->differs_at) ?: f->title;
        }
        for (size_t i = 0; i < r->n_findings; i++) {
                unsigned same = 1;
                for (size_t j = 0; j < i; j++)
                        if (strcmp (r->findings[j].name, r->findings[i].name) == 0)
                                same++;
                if (same > 1)
                        r->findings[i].name = keep_printf (r, "%s #%u", r->findings[i].name, same)
                                              ?: r->findings[i].name;
        }
}

static void
add_note (struct run_result *r, const char *note)
{
        if (note && r->n_notes < sizeof r->notes / sizeof r->notes[0])
                r->notes[r->n_notes++] = note;
}

/* What the run's own conditions mean for its result, and advice that fits
 * the findings it has. */
static void
advise (struct run_result *r, const struct options *opts)
{
        bool gui_collector_helps = false;
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->role == ROLE_RACE && f->kind == FINDING_OFF_THREAD_FINALIZATION &&
                    strcmp (f->cause, "cyclic-gc") == 0 && gui_owned (f))
                        gui_collector_helps = true;
        }
        if (gui_collector_helps)
                r->hint = "Qt objects die in whichever thread Python's collector runs. For the findings "
                          "owned by the GUI thread and destroyed by a collection, the known fix is "
                          "gc.disable() at start-up and gc.collect() from a QTimer in the GUI thread; "
                          "--mitigate applies it, --compare shows the run with and without it.";
        else if (r->n_races)
                r->hint = "a collector in the GUI thread would not fix these findings: each one's "
                          "\"fix:\" line says what does.";

        if (opts->mitigate && r->automatic_collections)
                add_note (r, keep_printf (r, "--mitigate was undone: the app turned automatic collection "
                                             "back on (gc.enable()); %llu automatic collections ran, %llu "
                                             "of them off the GUI thread",
                                          (unsigned long long) r->automatic_collections,
                                          (unsigned long long) r->automatic_collections_off_gui));
        if (opts->threads == 0 && !opts->mitigate)
                add_note (r, "--threads 0: no stress, and every collection ran in the GUI thread: "
                             "at-risk cycles show what a collection in another thread would destroy; "
                             "other findings come from the app's own threads");
        else if (opts->strict && !opts->mitigate)
                add_note (r, "--strict: the stress was off; every collection ran in the GUI thread and "
                             "its garbage was read for at-risk cycles");
        else if (!opts->mitigate && r->verdict != VERDICT_HANG && r->verdict != VERDICT_CRASH &&
                 r->objects_created && r->automatic_collections_off_gui == 0)
                add_note (r, keep_printf (r, "the stress had no effect: no automatic collection ran off "
                                             "the GUI thread (%llu automatic collections in all; the app "
                                             "may keep automatic collection off), so a clean verdict "
                                             "says little",
                                          (unsigned long long) r->automatic_collections));
        if (r->strings_dropped)
                add_note (r, keep_printf (r, "limit reached: the string area (%u MiB) was full; %llu "
                                             "strings (names, stacks, messages) were dropped and show as "
                                             "empty",
                                          CHANNEL_STRINGS_SIZE >> 20,
                                          (unsigned long long) r->strings_dropped));
}

static int
by_first_seen (const void *a, const void *b)
{
        const struct result_finding *x = a, *y = b;
        return (x->first_seen_s > y->first_seen_s) - (x->first_seen_s < y->first_seen_s);
}

static char *
signal_name (int sig)
{
        char *s = NULL;
        const char *abbrev = sigabbrev_np (sig);
        if (abbrev && asprintf (&s, "SIG%s", abbrev) > 0)
                return s;
        if (asprintf (&s, "signal %d", sig) > 0)
                return s;
        return NULL;
}

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

/* "LABEL, waiting for WHAT" for a thread's section. */
static const char *
waiting_thread (const struct dump_section *section, const char *doing)
{
        char *label = thread_label (section);
        char *s = NULL;
        if (label && asprintf (&s, "%s%s, waiting for %s", label, doing, describe_wait (section)) < 0)
                s = NULL;
        free (label);
        return s;
}

static void
diagnose_hang (struct run_result *r, int collecting_tid)
{
        /* A collection running in another thread while the GUI thread is
         * stuck: the collector destroys objects with Qt's locks taken and
         * may wait for the GIL there (a lock-order inversion no finding
         * shows, since nothing finished dying yet). */
        struct dump_section section;
        if (collecting_tid > 0 && dump_find_thread (r->dump, (unsigned long) collecting_tid, &section))
                r->collector = waiting_thread (&section, ", inside a garbage collection");
        if (dump_find_section (r->dump, " gil=yes", &section))
                r->gil_holder = waiting_thread (&section, "");
        else
                r->gil_holder = strdup ("no thread (or it did not answer)");
        r->gui_waiting = strdup (dump_find_section (r->dump, " main=yes", &section)
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

/* Names the threads of a dump: faulthandler's "Thread 0x00007f..." lines and
 * the sections' headers get the Python thread names the runner recorded. */
static char *
annotate_dump (const char *dump, const struct channel *ch)
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

static const char *
outcome_name (uint32_t outcome)
{
        switch (outcome) {
        case OUTCOME_RETURNED: return "returned";
        case OUTCOME_EXIT: return "exit";
        case OUTCOME_EXCEPTION: return "exception";
        case OUTCOME_CANNOT_RUN: return "cannot-run";
        default: return NULL;
        }
}

void
result_build (struct run_result *r, const struct options *opts, uint32_t seed,
              struct channel *ch, const struct supervision *sup,
              struct suppressions *suppressions)
{
        memset (r, 0, sizeof *r);
        r->opts = opts;
        r->seed = seed;
        r->sup = *sup;
        r->binding = ch->binding;
        uint32_t running = atomic_load (&ch->current_test);
        r->running_test = running ? channel_string (ch, running) : NULL;
        r->qt_version = ch->qt_version;
        r->qtcore_path = ch->qtcore_path;
        r->objects_created = atomic_load (&ch->stats.objects_created);
        r->objects_destroyed = atomic_load (&ch->stats.objects_destroyed);
        r->collections = atomic_load (&ch->stats.collections);
        r->collections_off_gui = atomic_load (&ch->stats.collections_off_gui);
        r->dropped = atomic_load (&ch->stats.dropped);
        r->merged = atomic_load (&ch->stats.merged);
        r->automatic_collections = atomic_load (&ch->stats.collections_automatic);
        r->automatic_collections_off_gui = atomic_load (&ch->stats.collections_automatic_off_gui);
        r->loop_ticks = atomic_load (&ch->stats.loop_ticks);
        r->late_p50_ms = channel_lateness_percentile (ch, 0.50);
        r->late_p99_ms = channel_lateness_percentile (ch, 0.99);
        r->late_max_ms = atomic_load (&ch->stats.loop_late_max_ns) / 1e6;
        r->deferred_by_binding = atomic_load (&ch->stats.deferred_by_binding);
        r->strings_dropped = atomic_load (&ch->stats.strings_dropped);
        r->guarded_faults = atomic_load (&ch->stats.guarded_faults);

        struct channel_group **groups = calloc (CHANNEL_MAX_GROUPS, sizeof *groups);
        size_t n = groups ? channel_groups (ch, groups, CHANNEL_MAX_GROUPS) : 0;
        r->findings = calloc (n ? n : 1, sizeof *r->findings);
        for (size_t i = 0; r->findings && i < n; i++)
                result_finding_from_group (&r->findings[i], ch, groups[i]);
        r->n_findings = r->findings ? n : 0;
        r->suppressions = suppressions;
        if (suppressions)
                suppressions_apply (suppressions, r);
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &groups[i]->finding;
                const struct result_finding *rf = &r->findings[i];
                r->total_occurrences += rf->count;
                /* Suppressed: counted, never a race. At-risk cycles are
                 * warnings unless --strict; with --fail-on high, only
                 * findings with evidence of a hazard make a race. */
                struct result_finding *w = &r->findings[i];
                if (rf->suppressed_by) {
                        w->role = ROLE_SUPPRESSED;
                        r->n_suppressed++;
                        r->suppressed_occurrences += rf->count;
                } else if ((f->kind == FINDING_AT_RISK_CYCLE && !opts->strict) ||
                           (opts->fail_on_high && !f->evidence)) {
                        w->role = ROLE_WARNING;
                        r->n_warnings++;
                        r->warning_occurrences += rf->count;
                        if (f->kind != FINDING_AT_RISK_CYCLE)
                                r->n_rule_warnings++;
                } else {
                        w->role = ROLE_RACE;
                        r->n_races++;
                        r->race_occurrences += rf->count;
                }
        }
        free (groups);
        qsort (r->findings, r->n_findings, sizeof *r->findings, by_first_seen);

        uint32_t dump_len = atomic_load (&ch->dump.length);
        if (dump_len > CHANNEL_DUMP_SIZE)
                dump_len = CHANNEL_DUMP_SIZE;
        if (dump_len) {
                char *raw = strndup (ch->dump.text, dump_len);
                r->dump = raw ? annotate_dump (raw, ch) : NULL;
                free (raw);
        }

        /* The script's fate. */
        uint32_t outcome = atomic_load (&ch->outcome);
        uint32_t phase = atomic_load (&ch->phase);
        r->script_status = -1;
        if (phase == PHASE_DONE || outcome != OUTCOME_NONE) {
                r->outcome = outcome_name (outcome);
                r->script_status = atomic_load (&ch->script_status);
        } else if (sup->exited) {
                /* Ended without the runner's epilogue: os._exit(n). */
                r->outcome = "exit";
                r->script_status = sup->exit_code;
        } else if (sup->term_signal) {
                r->outcome = "killed";
        }

        bool crash = false;
        int sig = atomic_load (&ch->crash_signal);
        /* A runner killed by the user's interrupt (Ctrl-C, or the script's
         * own uncaught KeyboardInterrupt) did not crash. */
        if (!sig && !sup->exited && sup->term_signal && !sup->killed_by_us &&
            !(sup->interrupt_signal && sup->term_signal == sup->interrupt_signal))
                sig = sup->term_signal;
        uint32_t fatal = atomic_load (&ch->fatal_message);
        if (sig) {
                r->crash_signal = sig;
                const char *fatal_text = channel_string (ch, fatal);
                if (fatal && (strstr (fatal_text, "Unhandled Python exception") ||
                              strncmp (fatal_text, "Traceback (most recent call last):", 34) == 0)) {
                        /* PyQt aborts on an exception escaping a slot: the
                         * app's code failed, memory is fine. Name the
                         * exception (the traceback's last line). */
                        const char *end = fatal_text + strlen (fatal_text);
                        while (end > fatal_text && end[-1] == '\n')
                                end--;
                        const char *last = end;
                        while (last > fatal_text && last[-1] != '\n')
                                last--;
                        char *reason = NULL;
                        if (asprintf (&reason, "unhandled Python exception in a slot: %.*s",
                                      (int) (end - last), last) < 0)
                                reason = NULL;
                        r->crash_reason = reason;
                        r->error = reason;
                } else {
                        char *name = signal_name (sig);
                        char *reason = NULL;
                        if (fatal && name && asprintf (&reason, "%s after Qt's fatal error \"%s\"", name,
                                                       fatal_text) > 0) {
                                free (name);
                                r->crash_reason = reason;
                        } else {
                                r->crash_reason = name;
                        }
                        crash = true;
                }
        }

        if (sup->hang && r->dump)
                diagnose_hang (r, atomic_load (&ch->collecting_tid));
        /* Stopped before its end, with every thread's stacks: a thread
         * blocked in qgc-check then is the tool's fault as in a hang. */
        r->stopped = !sup->hang && !crash && (sup->interrupt_signal || sup->over_limit) && r->dump &&
                     dump_complete (r->dump, strlen (r->dump));
        if (sup->hang || crash || r->stopped)
                r->tool_frame = dump_tool_frame (r->dump, !crash);

        if (!r->error) {
                if (atomic_load (&ch->error_set))
                        r->error = ch->error;
                else if (outcome == OUTCOME_CANNOT_RUN)
                        r->error = "the script could not be run (see the message above)";
                else if (outcome == OUTCOME_EXCEPTION)
                        r->error = "the script raised an uncaught exception (traceback above)";
                else if (!atomic_load (&ch->binding_loaded) && !ch->binding[0] && !crash &&
                         !sup->hang && !sup->interrupt_signal && !sup->over_limit &&
                         !sup->stop_signal)
                        r->error = "nothing was checked: the script never loaded a Qt binding "
                                   "(PyQt6 or PySide6)";
        }

        /* No finding is not "clean" when the check did not cover the run:
         * the app never got to its end, or no QObject was ever watched. */
        if (sup->stop_signal == SIGTTOU)
                r->incomplete = "the app was stopped by SIGTTOU: it wrote to or set up the terminal, "
                                "which it could not have (qgc-check is not in the terminal's "
                                "foreground); run qgc-check in the foreground";
        else if (sup->stop_signal)
                r->incomplete = "the app was stopped by SIGTTIN: it read the terminal, which it could "
                                "not have (qgc-check is not in the terminal's foreground); run "
                                "qgc-check in the foreground or give the app its input on stdin";
        else if (sup->over_limit)
                r->incomplete = "the app did not end within --duration + --hang-timeout + 5 s and was "
                                "stopped: what it does after that (its teardown) was not checked; "
                                "let it end (e.g. quit its event loop) or raise --duration";
        else if (sup->interrupt_signal && atomic_load (&ch->phase) == PHASE_DONE)
                r->incomplete = "the script ended with an uncaught KeyboardInterrupt (as by Ctrl-C)";
        else if (sup->interrupt_signal)
                r->incomplete = "interrupted before the app ended: its teardown was not checked";
        else if (ch->binding[0] && !atomic_load (&ch->binding_loaded))
                r->incomplete = "nothing was checked: the Qt probe never started";
        else if (atomic_load (&ch->binding_loaded) && r->objects_created == 0)
                r->incomplete = "nothing was checked: the Qt binding was loaded but no QObject was "
                                "created while the check ran; create the app's objects (or run "
                                "with --duration > 0 so that an event loop runs)";

        /* Precedence: hang and crash over race over script error over
         * incomplete over clean. */
        if (sup->hang)
                r->verdict = VERDICT_HANG;
        else if (crash)
                r->verdict = VERDICT_CRASH;
        else if (r->n_races > 0)
                r->verdict = VERDICT_RACE;
        else if (r->error)
                r->verdict = VERDICT_ERROR;
        else if (r->incomplete)
                r->verdict = VERDICT_INCOMPLETE;
        else
                r->verdict = VERDICT_CLEAN;

        static const int codes[] = { EXIT_CLEAN, EXIT_RACE, EXIT_SCRIPT_ERROR, EXIT_CRASH, EXIT_HANG,
                                     EXIT_INCOMPLETE };
        r->exit_code = codes[r->verdict];
        /* The program's own failure stays visible (a failing test suite
         * fails the job) and distinct from a race. */
        if (r->verdict == VERDICT_CLEAN && r->script_status > 0)
                r->exit_code = EXIT_PROGRAM_FAILED;
        if (sup->interrupt_signal)
                r->exit_code = 128 + sup->interrupt_signal;

        /* Every text a report renders, made valid in one place. */
        for (size_t i = 0; i < r->n_findings; i++)
                result_describe (r, &r->findings[i]);
        distinguish (r);
        bool error_is_reason = r->error && r->error == r->crash_reason;
        const char **owned[] = { &r->crash_reason, &r->dump, &r->gil_holder, &r->gui_waiting,
                                 &r->collector, &r->tool_frame, &r->sup.stderr_tail };
        for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
                make_valid_owned (owned[i]);
        if (error_is_reason)
                r->error = r->crash_reason;
        const char **texts[] = { &r->error, &r->incomplete, &r->running_test, &r->binding,
                                 &r->qt_version, &r->qtcore_path };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
                *texts[i] = result_text (r, *texts[i]);
        r->script = result_text (r, opts->script);
        r->argv = calloc ((size_t) opts->script_argc + 1, sizeof *r->argv);
        for (int i = 0; r->argv && i < opts->script_argc; i++)
                r->argv[i] = result_text (r, opts->script_argv[i]);
        advise (r, opts);
}

void
result_free (struct run_result *r)
{
        free ((char *) r->sup.stderr_tail);
        for (size_t i = 0; i < r->n_texts; i++)
                free (r->texts[i]);
        free (r->texts);
        free (r->argv);
        free (r->findings);
        free ((char *) r->dump);
        free ((char *) r->gil_holder);
        free ((char *) r->gui_waiting);
        free ((char *) r->collector);
        free ((char *) r->tool_frame);
        if (r->crash_reason)
                free ((char *) r->crash_reason);
}
