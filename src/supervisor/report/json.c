/* SPDX-License-Identifier: MIT */
/* json.c: the JSON report and the JSON Lines live events. */
#include "config.h"

#include "supervisor/report/report.h"
#include "common/native-stack.h"
#include "common/pyframe.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/report/file.h"
#include "supervisor/suppressions.h"

static json_t *
str_or_null (const char *s)
{
        return s && *s ? json_string (s) : json_null ();
}

static json_t *
frame_object (const struct pyframe *fr)
{
        return json_pack ("{s:s, s:I, s:s}", "file", fr->file, "line", (json_int_t) fr->line, "function",
                          fr->function);
}

/* A stack's frames as {"file", "line", "function"}. */
static json_t *
stack_array (const char *stack)
{
        json_t *a = json_array ();
        struct pyframe fr;
        for (const char *p = stack; pyframe_next (&p, &fr);) {
                json_t *frame = frame_object (&fr);
                if (frame)
                        json_array_append_new (a, frame);
        }
        return a;
}

static json_t *
evidence_array (uint32_t evidence)
{
        json_t *a = json_array ();
        for (uint32_t bit = 1; bit < EVIDENCE_MAX; bit <<= 1)
                if (evidence & bit)
                        json_array_append_new (a, json_string (finding_evidence_name (bit)));
        return a;
}

/* The first line's frame, or null. */
static json_t *
frame_or_null (const char *line)
{
        struct pyframe fr;
        json_t *frame = line && pyframe_parse (line, strlen (line), &fr) ? frame_object (&fr) : NULL;
        return frame ? frame : json_null ();
}

/* A word of a command line: need not be UTF-8, which jansson refuses. */
static json_t *
word_string (const char *word)
{
        json_t *s = json_string (word);
        return s ? s : json_stringn_nocheck (word, strlen (word));
}

/* A process of the run as a finding or the crash names it. */
static json_t *
process_ref (const struct run_process *p)
{
        if (!p)
                return json_null ();
        json_t *argv = json_array ();
        for (size_t i = 0; p->argv && p->argv[i]; i++)
                json_array_append_new (argv, word_string (p->argv[i]));
        return json_pack ("{s:i, s:o, s:o}", "pid", p->pid, "argv", argv, "xdist_worker",
                          p->xdist_worker && p->xdist_worker[0] ? json_string (p->xdist_worker) : json_null ());
}

/* native-stack.h lines as {function, library} objects. */
static json_t *
native_stack_array (const char *stack)
{
        json_t *native = json_array ();
        struct native_frame fr;
        for (const char *p = stack; native_stack_next (&p, &fr);)
                json_array_append_new (native, json_pack ("{s:s%,s:s%}", "function", fr.function,
                                                          (size_t) fr.function_len, "library", fr.library,
                                                          (size_t) fr.library_len));
        return native;
}

static json_t *
finding_object (const struct result_finding *f)
{
        json_t *creation = stack_array (f->creation_stack);
        json_t *site = frame_or_null (f->creation_site);
        json_t *obj = json_pack ("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:I, s:I, s:f, s:o, s:o, s:o, s:o}",
                          "kind", finding_kind_name (f->kind),
                          "class", str_or_null (f->qt_class),
                          "python_class", str_or_null (f->py_class),
                          "object_name", json_string (f->object_name ? f->object_name : ""),
                          "owner_thread", str_or_null (f->owner_thread),
                          "finalizing_thread", str_or_null (f->finalizing_thread),
                          "cause", f->cause,
                          "gc_generation", f->gc_generation >= 0 ? json_integer (f->gc_generation) : json_null (),
                          "gc_trigger", str_or_null (f->gc_trigger),
                          "message", str_or_null (f->message),
                          "count", (json_int_t) f->count,
                          "children_destroyed", (json_int_t) f->children,
                          "first_seen_s", f->first_seen_s,
                          "creation_site", site,
                          "creation_stack", creation,
                          "finalization_stack", stack_array (f->finalization_stack),
                          "test", str_or_null (f->test));
        json_object_set_new (obj, "creation_test", str_or_null (f->creation_test));
        json_object_set_new (obj, "risk", json_string (f->risk));
        json_object_set_new (obj, "evidence", evidence_array (f->evidence));
        json_object_set_new (obj, "during_teardown", json_boolean (f->during_teardown));
        json_object_set_new (obj, "origin", str_or_null (f->origin));
        json_object_set_new (obj, "class_library",
                             f->origin && *f->class_library ? json_string (f->class_library) : json_null ());
        json_t *parents = json_array ();
        for (const char *p = f->parents; p && *p;) {
                const char *eol = strchr (p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen (p);
                json_array_append_new (parents, json_stringn (p, len));
                p += len + (eol != NULL);
        }
        json_object_set_new (obj, "parents", parents);
        json_object_set_new (obj, "made_by", str_or_null (f->made_by));
        json_object_set_new (obj, "native_stack", native_stack_array (f->native_stack));
        json_object_set_new (obj, "destroyed_by_cpp", str_or_null (f->died_inside));
        json_object_set_new (obj, "creation_source", str_or_null (f->creation_source));
        json_object_set_new (obj, "finalization_source", str_or_null (f->finalization_source));
        json_object_set_new (obj, "suppressed_by", str_or_null (f->suppressed_by));
        json_object_set_new (obj, "merged", str_or_null (f->merged));
        /* What it means for the verdict, and the description every report
         * shares (result_describe). */
        static const char *const roles[] = { "race", "warning", "suppressed" };
        json_object_set_new (obj, "role", json_string (roles[f->role]));
        json_object_set_new (obj, "title", str_or_null (f->title));
        json_object_set_new (obj, "name", str_or_null (f->name));
        json_object_set_new (obj, "differs_at", frame_or_null (f->differs_at));
        json_object_set_new (obj, "differs", str_or_null (f->differs));
        json_object_set_new (obj, "object_names_vary", json_boolean (f->object_names_vary));
        json_object_set_new (obj, "fix", str_or_null (f->fix));
        json_object_set_new (obj, "fix_kind", str_or_null (f->fix_kind));
        json_object_set_new (obj, "owner_event_loop",
                             f->owner_event_loop < 0 ? json_null () : json_boolean (f->owner_event_loop));
        json_object_set_new (obj, "process", process_ref (f->process));
        json_object_set_new (obj, "other_processes", json_integer (f->other_processes));
        return obj;
}

/* Every process of the run, with how it ended and its own stats. */
static json_t *
processes_array (const struct run_result *r)
{
        json_t *a = json_array ();
        for (size_t i = 0; i < r->n_processes; i++) {
                const struct run_process *p = &r->processes[i];
                json_t *o = process_ref (p);
                json_object_set_new (o, "ppid", json_integer (p->ppid));
                json_object_set_new (o, "checked", json_boolean (p->checked));
                json_object_set_new (o, "reason", str_or_null (p->reason));
                json_object_set_new (o, "error", str_or_null (p->error));
                json_object_set_new (o, "stacks", str_or_null (p->stacks));
                json_object_set_new (o, "origin", str_or_null (p->origin));
                json_object_set_new (o, "outcome", str_or_null (p->outcome));
                json_object_set_new (o, "exit_status", p->exit_status >= 0 ? json_integer (p->exit_status) : json_null ());
                json_object_set_new (o, "crash_signal", p->crash_signal
                                     ? json_string (sigabbrev_np (p->crash_signal) ?: "?") : json_null ());
                json_object_set_new (o, "binding", str_or_null (p->binding && p->binding[0] ? p->binding : NULL));
                json_object_set_new (o, "stats", !p->checked ? json_null ()
                                     : json_pack ("{s:I, s:I, s:I, s:I, s:I}",
                                                  "objects_created", (json_int_t) p->objects_created,
                                                  "objects_destroyed", (json_int_t) p->objects_destroyed,
                                                  "collections", (json_int_t) p->collections,
                                                  "collections_off_gui_thread", (json_int_t) p->collections_off_gui,
                                                  "findings_total", (json_int_t) p->findings));
                json_array_append_new (a, o);
        }
        return a;
}

static json_t *
argv_array (const struct options *opts)
{
        json_t *a = json_array ();
        json_array_append_new (a, json_string (opts->script));
        for (int i = 0; i < opts->script_argc; i++) {
                /* Arguments need not be UTF-8; jansson refuses those. */
                json_t *s = json_string (opts->script_argv[i]);
                json_array_append_new (a, s ? s : json_stringn_nocheck (opts->script_argv[i],
                                                                          strlen (opts->script_argv[i])));
        }
        return a;
}

/* The GUI thread's timer lateness: what the stress costs the app. */
static json_t *
event_loop_object (const struct run_result *r)
{
        return json_pack ("{s:I, s:f, s:f, s:f}", "ticks", (json_int_t) r->loop_ticks,
                          "lateness_p50_ms", r->late_p50_ms, "lateness_p99_ms", r->late_p99_ms,
                          "lateness_max_ms", r->late_max_ms);
}

/* The script's arguments as the result made them valid. */
static json_t *
result_argv_array (const struct run_result *r)
{
        json_t *a = json_array ();
        json_array_append_new (a, json_string (r->script));
        for (int i = 0; r->argv && i < r->opts->script_argc; i++)
                json_array_append_new (a, json_string (r->argv[i]));
        return a;
}

static json_t *
string_array (const char *const *items, size_t n)
{
        json_t *a = json_array ();
        for (size_t i = 0; i < n; i++)
                json_array_append_new (a, json_string (items[i]));
        return a;
}

static json_t *
findings_array (const struct run_result *r)
{
        json_t *findings = json_array ();
        for (size_t i = 0; i < r->n_findings; i++)
                json_array_append_new (findings, finding_object (&r->findings[i]));
        return findings;
}

/* in_tool: the crash or hang is qgc-check's own (tool_frame says where),
 * whatever the app did. */
static json_t *
crash_object (const struct run_result *r)
{
        if (!r->crash_signal)
                return json_null ();
        return json_pack ("{s:o, s:o, s:o, s:b, s:o, s:o, s:b, s:o}",
                          "process", process_ref (r->crash_process),
                          "signal", json_string (sigabbrev_np (r->crash_signal) ?: "?"),
                          "reason", str_or_null (r->crash_reason),
                          "after_script", r->crash_after_script,
                          "interpreter_fatal_error", str_or_null (r->interpreter_fatal),
                          "stacks", str_or_null (r->dump),
                          "in_tool", r->verdict == VERDICT_CRASH && r->tool_frame,
                          "tool_frame", str_or_null (r->verdict == VERDICT_CRASH ? r->tool_frame : NULL));
}

static json_t *
hang_object (const struct run_result *r)
{
        if (!r->sup.hang)
                return json_null ();
        return json_pack ("{s:o, s:f, s:o, s:o, s:o, s:o, s:b, s:o}",
                          "process", process_ref (r->hang_process),
                          "timeout_s", r->opts->hang_timeout,
                          "gil_holder", str_or_null (r->gil_holder),
                          "gui_thread_waiting_for", str_or_null (r->gui_waiting),
                          "collecting_thread", str_or_null (r->collector),
                          "stacks", str_or_null (r->dump),
                          "in_tool", r->tool_frame != NULL,
                          "tool_frame", str_or_null (r->tool_frame));
}

/* A run stopped before its end: where every thread was then. */
static json_t *
stopped_object (const struct run_result *r)
{
        if (!r->stopped)
                return json_null ();
        return json_pack ("{s:s, s:o, s:b, s:o}",
                          "cause", r->sup.over_limit ? "limit" : sigabbrev_np (r->sup.interrupt_signal),
                          "stacks", str_or_null (r->dump),
                          "in_tool", r->tool_frame != NULL,
                          "tool_frame", str_or_null (r->tool_frame));
}

static json_t *
compare_object (const struct run_result *r)
{
        if (!r->compared)
                return json_null ();
        return json_pack ("{s:s, s:I}", "mitigated_verdict", r->mitigated_verdict, "mitigated_findings_total",
                          (json_int_t) r->mitigated_findings);
}

static json_t *
unused_suppressions_array (const struct run_result *r)
{
        json_t *unused = json_array ();
        for (size_t i = 0; r->suppressions && i < r->suppressions->n; i++) {
                const struct suppression *e = &r->suppressions->items[i];
                if (!e->matched)
                        json_array_append_new (unused, json_pack ("{s:s, s:s, s:i}", "name", e->name,
                                                                  "file", e->source, "line", e->line));
        }
        return unused;
}

static json_t *
stats_object (const struct run_result *r)
{
        return json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I}",
                          "objects_created", (json_int_t) r->objects_created,
                          "objects_destroyed", (json_int_t) r->objects_destroyed,
                          "collections", (json_int_t) r->collections,
                          "collections_off_gui_thread", (json_int_t) r->collections_off_gui,
                          "findings_total", (json_int_t) r->total_occurrences,
                          "findings_dropped", (json_int_t) r->dropped,
                          "findings_merged", (json_int_t) r->merged,
                          "qobjects_deferred_by_binding", (json_int_t) r->deferred_by_binding,
                          "automatic_collections", (json_int_t) r->automatic_collections,
                          "automatic_collections_off_gui_thread",
                          (json_int_t) r->automatic_collections_off_gui,
                          "automatic_collections_with_app", (json_int_t) r->automatic_collections_app,
                          "automatic_collections_with_app_off_gui_thread",
                          (json_int_t) r->automatic_collections_app_off_gui,
                          "event_loop", event_loop_object (r),
                          "strings_dropped", (json_int_t) r->strings_dropped,
                          "finding_strings_dropped", (json_int_t) r->finding_strings_dropped,
                          "class_lookups_abandoned", (json_int_t) r->guarded_faults);
}

static json_t *
result_object (const struct run_result *r)
{
        json_t *compare = compare_object (r);
        json_t *doc = json_pack ("{s:i, s:{s:s, s:s}, s:s, s:i, s:b, s:o, s:I, s:f, s:f, s:I, s:f,"
                          " s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                          " s:I, s:b, s:s, s:o, s:o, s:o, s:o}",
                          "schema_version", REPORT_SCHEMA_VERSION,
                          "tool", "name", "qgc-check", "version", QGC_VERSION,
                          "verdict", verdict_name (r->verdict),
                          "exit_code", r->exit_code,
                          "interrupted", r->sup.interrupt_signal != 0,
                          "interrupt_signal", r->sup.interrupt_signal
                                  ? json_string (sigabbrev_np (r->sup.interrupt_signal)) : json_null (),
                          "seed", (json_int_t) r->seed,
                          "duration_s", r->opts->duration,
                          "elapsed_s", r->sup.elapsed_s,
                          "threads", (json_int_t) r->opts->threads,
                          "hang_timeout_s", r->opts->hang_timeout,
                          "script", r->script,
                          "module", r->opts->module,
                          "argv", result_argv_array (r),
                          "script_outcome", str_or_null (r->outcome),
                          "script_exit_status", r->script_status >= 0 ? json_integer (r->script_status) : json_null (),
                          "error", str_or_null (r->error),
                          "stopped_after_limit", json_boolean (r->sup.over_limit),
                          "binding", str_or_null (r->binding),
                          "qt_version", str_or_null (r->qt_version),
                          "qtcore_library", str_or_null (r->qtcore_path),
                          "findings", findings_array (r),
                          "crash", crash_object (r),
                          "hang", hang_object (r),
                          "stderr_tail", str_or_null (r->sup.stderr_tail),
                          "runner_pid", (json_int_t) r->sup.runner_pid,
                          "mitigated", r->opts->mitigate,
                          "stress_mode", stress_mode_name (r->opts->stress_mode),
                          "compare", compare,
                          "suppressed", json_pack ("{s:I, s:I}", "groups", (json_int_t) r->n_suppressed,
                                                   "findings_total", (json_int_t) r->suppressed_occurrences),
                          "unused_suppressions", unused_suppressions_array (r),
                          "stats", stats_object (r));
        if (!doc)
                return NULL;
        json_object_set_new (doc, "incomplete_reason", str_or_null (r->incomplete));
        json_object_set_new (doc, "python", r->sup.python_version
                                                    ? json_pack ("{s:s, s:s}", "version", r->sup.python_version,
                                                                 "executable", r->sup.python_executable)
                                                    : json_null ());
        json_object_set_new (doc, "running_test", str_or_null (r->running_test));
        json_object_set_new (doc, "processes", processes_array (r));
        json_object_set_new (doc, "stopped", stopped_object (r));
        json_object_set_new (doc, "notes", string_array (r->notes, r->n_notes));
        json_object_set_new (doc, "hint", str_or_null (r->hint));
        return doc;
}

bool
report_write_json (const struct run_result *r, const char *path, char *error, size_t size)
{
        return report_file_write_json (result_object (r), "JSON", path, error, size);
}

/* --- live events ------------------------------------------------------- */

struct report_events {
        FILE *out;
};

struct report_events *
report_events_open (const char *path, char *error, size_t size)
{
        struct report_events *ev = calloc (1, sizeof *ev);
        if (!ev)
                return NULL;
        if (strcmp (path, "-") == 0) {
                ev->out = stdout;
        } else {
                /* Live: written as things happen, so not atomic; never
                 * through a symlink. */
                int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
                ev->out = fd >= 0 ? fdopen (fd, "w") : NULL;
                if (!ev->out) {
                        snprintf (error, size, "cannot write --events '%s': %s", path, strerror (errno));
                        if (fd >= 0)
                                close (fd);
                        free (ev);
                        return NULL;
                }
        }
        return ev;
}

static void
emit (struct report_events *ev, json_t *obj)
{
        if (!obj)
                return;
        json_object_set_new (obj, "time", json_real (channel_now_ns () / 1e9));
        json_dumpf (obj, ev->out, JSON_COMPACT | JSON_ENSURE_ASCII);
        fputc ('\n', ev->out);
        fflush (ev->out);
        json_decref (obj);
}

void
report_events_start (struct report_events *ev, const struct options *opts, uint32_t seed, pid_t pid)
{
        emit (ev, json_pack ("{s:s, s:i, s:s, s:o, s:I, s:f, s:I, s:I}", "event", "start",
                             "schema_version", REPORT_SCHEMA_VERSION, "script", opts->script,
                             "argv", argv_array (opts), "seed", (json_int_t) seed,
                             "duration_s", opts->duration, "threads", (json_int_t) opts->threads,
                             "pid", (json_int_t) pid));
}

void
report_events_finding (struct report_events *ev, const struct result_finding *f)
{
        json_t *obj = finding_object (f);
        json_object_set_new (obj, "event", json_string ("finding"));
        emit (ev, obj);
}

void
report_events_note (struct report_events *ev, const char *event, double seconds)
{
        emit (ev, json_pack ("{s:s, s:f}", "event", event, "stalled_s", seconds));
}

void
report_events_end (struct report_events *ev, const struct run_result *r)
{
        if (r->crash_signal)
                emit (ev, json_pack ("{s:s, s:s, s:o}", "event", "crash",
                                     "signal", sigabbrev_np (r->crash_signal) ?: "?",
                                     "reason", str_or_null (r->crash_reason)));
        emit (ev, json_pack ("{s:s, s:s, s:i, s:I, s:I}", "event", "end",
                             "verdict", verdict_name (r->verdict), "exit_code", r->exit_code,
                             "finding_groups", (json_int_t) r->n_findings,
                             "findings_total", (json_int_t) r->total_occurrences));
}

void
report_events_close (struct report_events *ev)
{
        if (!ev)
                return;
        if (ev->out != stdout)
                fclose (ev->out);
        free (ev);
}
