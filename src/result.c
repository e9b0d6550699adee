/* result.c: from the channel and the child's fate to one run_result. */
#include "config.h"

#include "result.h"

#include "dump.h"
#include "suppressions.h"

#include <signal.h>
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
                .kind = finding_kind_name (f->kind),
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
                .risk = f->evidence ? "high" : "rule",
                .count = atomic_load (&((struct channel_group *) g)->count),
                .children = atomic_load (&((struct channel_group *) g)->children),
                .first_seen_s = g->first_seen_s,
                .merged = g->merged == MERGE_CLASS  ? "class"
                          : g->merged == MERGE_KIND ? "kind"
                                                    : NULL,
        };
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

/* The dump's section for one thread: from its "@thread" line to the next
 * marker. Returns a malloc'd copy or NULL. */
static char *
thread_section (const char *dump, const char *attribute)
{
        for (const char *p = dump; (p = strstr (p, "@thread ")); p++) {
                const char *eol = strchr (p, '\n');
                if (!eol)
                        return NULL;
                const char *a = strstr (p, attribute);
                if (!a || a > eol)
                        continue;
                const char *end = strstr (eol, "\n@");
                end = end ? end + 1 : p + strlen (p);
                return strndup (p, (size_t) (end - p));
        }
        return NULL;
}

static bool
has_frame (const char *section, const char *name)
{
        return section && strstr (section, name);
}

/* What a stuck thread waits for, from its native frames. */
static const char *
describe_wait (const char *section)
{
        if (!section)
                return "unknown (no native stack)";
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
thread_label (const char *section)
{
        /* "@thread TID IDENT gil=.. main=.. crashed=.. name=COMM" */
        unsigned long tid = 0;
        char ident[32] = "?", comm[32] = "?";
        sscanf (section, "@thread %lu %31s", &tid, ident);
        const char *n = strstr (section, "python=");
        if (n)
                sscanf (n, "python=%31[^\n]", comm);
        else if ((n = strstr (section, "name=")))
                sscanf (n, "name=%31[^ \n]", comm);
        bool main = strstr (section, "main=yes") && strstr (section, "main=yes") < strchr (section, '\n');
        char *s = NULL;
        if (asprintf (&s, "%s (tid %lu, Python thread id %s)", main ? "MainThread" : comm, tid, ident) < 0)
                return NULL;
        return s;
}

static void
diagnose_hang (struct run_result *r)
{
        char *holder = thread_section (r->dump, "gil=yes");
        char *gui = thread_section (r->dump, "main=yes");
        if (holder) {
                char *label = thread_label (holder);
                char *s = NULL;
                if (label && asprintf (&s, "%s, waiting for %s", label, describe_wait (holder)) > 0)
                        r->gil_holder = s;
                free (label);
        } else {
                r->gil_holder = strdup ("no thread (or it did not answer)");
        }
        r->gui_waiting = strdup (describe_wait (gui));
        free (holder);
        free (gui);
}

/* The C++ runtime's demangler (libstdc++, linked in): native frames read
 * "QWidget::~QWidget()" rather than "_ZN7QWidgetD1Ev". */
extern char *__cxa_demangle (const char *mangled, char *buf, size_t *len, int *status);

/* "#3 _ZN7QWidgetD1Ev+0x456 in libQt6Widgets.so.6" with the name demangled. */
static bool
print_demangled_frame (FILE *f, const char *line, size_t n)
{
        const char *name = memchr (line, ' ', n);
        if (!name || strncmp (name + 1, "_Z", 2) != 0)
                return false;
        name++;
        const char *plus = memchr (name, '+', n - (size_t) (name - line));
        if (!plus)
                return false;
        char *mangled = strndup (name, (size_t) (plus - name));
        int status = -1;
        char *plain = mangled ? __cxa_demangle (mangled, NULL, NULL, &status) : NULL;
        free (mangled);
        if (status != 0 || !plain) {
                free (plain);
                return false;
        }
        fprintf (f, "%.*s%s%.*s\n", (int) (name - line), line, plain, (int) (n - (size_t) (plus - line)), plus);
        free (plain);
        return true;
}

/* Names the threads of a dump: faulthandler's "Thread 0x00007f..." lines and
 * the "@thread" sections get the Python thread names the runner recorded. */
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
                else if (strncmp (p, "@thread ", 8) == 0)
                        hex = strstr (p, " 0x");
                const char *name = NULL;
                if (hex && (size_t) (hex - p) < n)
                        name = channel_thread_name (ch, strtoull (hex + (*hex == ' '), NULL, 16));
                const char *paren = name ? strstr (p, " (most recent call first)") : NULL;
                if (name && paren && (size_t) (paren - p) < n)
                        fprintf (f, "%.*s [%s]%.*s\n", (int) (paren - p), p, name,
                                 (int) (n - (size_t) (paren - p)), paren);
                else if (name && p[0] == '@')
                        fprintf (f, "%.*s python=%s\n", (int) n, p, name);
                else if (!(p[0] == '#' && print_demangled_frame (f, p, n)))
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
                if (rf->suppressed_by) {
                        r->n_suppressed++;
                        r->suppressed_occurrences += rf->count;
                } else if ((f->kind == FINDING_AT_RISK_CYCLE && !opts->strict) ||
                           (opts->fail_on_high && !f->evidence)) {
                        r->n_warnings++;
                } else {
                        r->n_races++;
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
        if (!sig && !sup->exited && sup->term_signal && !sup->killed_by_us)
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
                diagnose_hang (r);
        if (sup->hang || crash)
                r->tool_frame = dump_tool_frame (r->dump, sup->hang);

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
}

void
result_free (struct run_result *r)
{
        free ((char *) r->sup.stderr_tail);
        free (r->findings);
        free ((char *) r->dump);
        free ((char *) r->gil_holder);
        free ((char *) r->gui_waiting);
        free ((char *) r->tool_frame);
        if (r->crash_reason)
                free ((char *) r->crash_reason);
}
