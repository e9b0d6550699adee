/* SPDX-License-Identifier: MIT */
/* result.c: from the channel and the child's fate to one run_result, in stages. */
#include "config.h"

#include "supervisor/result.h"

#include "supervisor/advice.h"
#include "supervisor/diagnosis.h"
#include "common/dump-format.h"
#include "supervisor/result-text.h"
#include "supervisor/suppressions.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                .object_names_vary = atomic_load (&((struct channel_group *) g)->names_vary) != 0,
                .owner_thread = channel_string (ch, f->owner_thread),
                .finalizing_thread = channel_string (ch, f->finalizing_thread),
                .message = channel_string (ch, f->message),
                .creation_stack = channel_string (ch, f->creation_stack),
                .creation_site = channel_string (ch, f->creation_site ? f->creation_site : f->creation_stack),
                .finalization_stack = channel_string (ch, f->finalization_stack),
                .test = channel_string (ch, f->test),
                .creation_test = channel_string (ch, f->creation_test),
                .evidence = f->evidence,
                .during_teardown = f->during_teardown != 0,
                .origin = finding_origin_name (f->origin),
                .class_library = channel_string (ch, f->class_library),
                .parents = channel_string (ch, f->parents),
                .native_stack = channel_string (ch, atomic_load_explicit (
                                                            &((struct channel_group *) g)->native_stack,
                                                            memory_order_acquire)),
                /* The GUI thread's deleteLater() runs if its event loop
                 * ever ran (a script that never calls exec() runs none). */
                .owner_event_loop = f->owner_event_loop == LOOP_RUNS  ? 1
                                    : f->owner_event_loop == LOOP_NONE ? 0
                                    : f->owner_event_loop == LOOP_GUI
                                            ? atomic_load (&((struct channel *) ch)->script_loop_ran) != 0
                                            : -1,
                .risk = f->evidence ? "high" : "rule",
                .count = atomic_load (&((struct channel_group *) g)->count),
                .children = atomic_load (&((struct channel_group *) g)->children),
                .first_seen_s = g->first_seen_s,
                .merged = g->merged == MERGE_CLASS  ? "class"
                          : g->merged == MERGE_KIND ? "kind"
                                                    : NULL,
                .process_index = g->process,
                .other_processes = g->other_processes,
        };
}

/* What the runner recorded of the binding and the run's counters. */
static void
read_channel (struct run_result *r, struct channel *ch)
{
        r->binding = ch->binding;
        r->running_test = channel_running_test (ch);
        r->qt_version = ch->qt_version;
        r->qtcore_path = ch->qtcore_path;
        r->objects_created = channel_objects (ch, true);
        r->objects_destroyed = channel_objects (ch, false);
        r->collections = atomic_load (&ch->stats.collections);
        r->collections_off_gui = atomic_load (&ch->stats.collections_off_gui);
        r->dropped = atomic_load (&ch->stats.dropped);
        r->merged = atomic_load (&ch->stats.merged);
        r->automatic_collections = atomic_load (&ch->stats.collections_automatic);
        r->automatic_collections_off_gui = atomic_load (&ch->stats.collections_automatic_off_gui);
        r->automatic_collections_app = atomic_load (&ch->stats.collections_automatic_app);
        r->automatic_collections_app_off_gui = atomic_load (&ch->stats.collections_automatic_app_off_gui);
        r->loop_ticks = atomic_load (&ch->stats.loop_ticks);
        r->late_p50_ms = channel_lateness_percentile (ch, 0.50);
        r->late_p99_ms = channel_lateness_percentile (ch, 0.99);
        r->late_max_ms = atomic_load (&ch->stats.loop_late_max_ns) / 1e6;
        r->deferred_by_binding = atomic_load (&ch->stats.deferred_by_binding);
        r->strings_dropped = atomic_load (&ch->stats.strings_dropped);
        r->finding_strings_dropped = atomic_load (&ch->stats.finding_strings_dropped);
        r->guarded_faults = atomic_load (&ch->stats.guarded_faults);
}

/* A run whose main process never loaded Qt (a launcher, a pool's
 * parent, pytest's xdist controller) names the binding of the first
 * child that did. */
static void
read_child_binding (struct run_result *r)
{
        for (size_t i = 1; !r->binding[0] && i < r->n_processes; i++) {
                const struct channel *ch = r->processes[i].channel;
                if (r->processes[i].checked && ch->binding[0]) {
                        r->binding = ch->binding;
                        r->qt_version = ch->qt_version;
                        r->qtcore_path = ch->qtcore_path;
                }
        }
}

/* Each group's role for the verdict (verdict_role), counted. */
static void
count_roles (struct run_result *r)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                struct result_finding *f = &r->findings[i];
                r->total_occurrences += f->count;
                f->role = verdict_role (f->kind, f->evidence, f->suppressed_by != NULL, r->opts->strict,
                                        r->opts->fail_on_high);
                if (f->role == ROLE_SUPPRESSED) {
                        r->n_suppressed++;
                        r->suppressed_occurrences += f->count;
                } else if (f->role == ROLE_WARNING) {
                        r->n_warnings++;
                        r->warning_occurrences += f->count;
                        if (f->kind != FINDING_AT_RISK_CYCLE)
                                r->n_rule_warnings++;
                } else {
                        r->n_races++;
                        r->race_occurrences += f->count;
                }
        }
}

static int
by_first_seen (const void *a, const void *b)
{
        const struct result_finding *x = a, *y = b;
        return (x->first_seen_s > y->first_seen_s) - (x->first_seen_s < y->first_seen_s);
}

/* The published groups, suppressions applied (may be NULL), in the order
 * they were first seen. */
static void
read_findings (struct run_result *r, struct channel *ch, struct suppressions *suppressions)
{
        struct channel_group **groups = calloc (CHANNEL_MAX_GROUPS, sizeof *groups);
        size_t n = groups ? channel_groups (ch, groups, CHANNEL_MAX_GROUPS) : 0;
        r->findings = calloc (n ? n : 1, sizeof *r->findings);
        for (size_t i = 0; r->findings && i < n; i++) {
                result_finding_from_group (&r->findings[i], ch, groups[i]);
                uint32_t p = r->findings[i].process_index;
                r->findings[i].process = p < r->n_processes ? &r->processes[p] : NULL;
        }
        r->n_findings = r->findings ? n : 0;
        free (groups);
        r->suppressions = suppressions;
        if (suppressions)
                suppressions_apply (suppressions, r);
        count_roles (r);
        qsort (r->findings, r->n_findings, sizeof *r->findings, by_first_seen);
}

/* The stacks of a crash, a hang or a stop, with the threads' names. */
static void
read_dump (struct run_result *r, struct channel *ch)
{
        uint32_t dump_len = atomic_load (&ch->dump.length);
        if (dump_len > CHANNEL_DUMP_SIZE)
                dump_len = CHANNEL_DUMP_SIZE;
        if (dump_len) {
                char *raw = strndup (ch->dump.text, dump_len);
                r->dump = raw ? dump_annotate (raw, ch) : NULL;
                free (raw);
        }
}

/* The script's fate: how it ended and its exit status. */
static void
read_outcome (struct run_result *r, struct channel *ch, const struct supervision *sup)
{
        uint32_t outcome = atomic_load (&ch->outcome);
        uint32_t phase = atomic_load (&ch->phase);
        r->script_status = -1;
        if (phase == PHASE_DONE || outcome != OUTCOME_NONE) {
                r->outcome = script_outcome_name (outcome);
                r->script_status = atomic_load (&ch->script_status);
        } else if (sup->exited) {
                /* Ended without the runner's epilogue: os._exit(n). */
                r->outcome = "exit";
                r->script_status = sup->exit_code;
        } else if (sup->term_signal) {
                r->outcome = "killed";
        }
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

/* The signal the app died of, or 0. A runner killed by the user's
 * interrupt (Ctrl-C, or the script's own uncaught KeyboardInterrupt) did
 * not crash. */
static int
death_signal (struct channel *ch, const struct supervision *sup)
{
        int sig = atomic_load (&ch->crash_signal);
        if (!sig && !sup->exited && sup->term_signal && !sup->killed_by_us &&
            !(sup->interrupt_signal && sup->term_signal == sup->interrupt_signal))
                sig = sup->term_signal;
        return sig;
}

/* PyQt aborts on an exception escaping a slot: the app's code failed,
 * memory is fine. Names the exception (the traceback's last line);
 * malloc'd. */
static char *
slot_exception (const char *fatal_text)
{
        const char *end = fatal_text + strlen (fatal_text);
        while (end > fatal_text && end[-1] == '\n')
                end--;
        const char *last = end;
        while (last > fatal_text && last[-1] != '\n')
                last--;
        char *reason = NULL;
        if (asprintf (&reason, "unhandled Python exception in a slot: %.*s", (int) (end - last), last) < 0)
                reason = NULL;
        return reason;
}

/* A death by a signal: a crash, or the app's own error when the signal
 * is PyQt's abort on an exception escaping a slot. Whether it crashed. */
/* CPython's own fatal error ("Fatal Python error: bool_dealloc: ...", a
 * reference-counting error in a C extension, typically), from the app's
 * last stderr lines: the interpreter aborted, which is not the race's
 * crash. faulthandler (PYTHONFAULTHANDLER=1, or the app's own) prints the
 * same prefix for a signal ("Segmentation fault", "Aborted", ...): those
 * are the crash, not its cause, and are passed over. Malloc'd, or NULL. */
static char *
interpreter_fatal_error (const char *stderr_tail)
{
        static const char prefix[] = "Fatal Python error: ";
        static const char *const faulthandler_signals[] = { "Segmentation fault", "Aborted", "Bus error",
                                                            "Floating point exception",
                                                            "Illegal instruction", NULL };
        for (const char *p = stderr_tail; p && (p = strstr (p, prefix));) {
                p += sizeof prefix - 1;
                size_t n = strcspn (p, "\n");
                bool signal = false;
                for (int i = 0; faulthandler_signals[i]; i++)
                        signal |= n == strlen (faulthandler_signals[i]) &&
                                  strncmp (p, faulthandler_signals[i], n) == 0;
                if (!signal)
                        return strndup (p, n);
        }
        return NULL;
}

static bool
read_crash (struct run_result *r, struct channel *ch, const struct supervision *sup)
{
        int sig = death_signal (ch, sup);
        if (!sig)
                return false;
        r->crash_signal = sig;
        r->crash_after_script = atomic_load (&ch->phase) >= PHASE_TEARDOWN;
        uint32_t fatal = atomic_load (&ch->fatal_message);
        const char *fatal_text = channel_string (ch, fatal);
        if (fatal && (strstr (fatal_text, "Unhandled Python exception") ||
                      strncmp (fatal_text, "Traceback (most recent call last):", 34) == 0)) {
                r->crash_reason = slot_exception (fatal_text);
                r->error = r->crash_reason;
                return false;
        }
        char *name = signal_name (sig);
        char *reason = NULL;
        char *interpreter = interpreter_fatal_error (sup->stderr_tail);
        if (interpreter) {
                r->interpreter_fatal = result_text_printf (r, "%s", interpreter);
                free (interpreter);
        }
        if (r->interpreter_fatal && name &&
            asprintf (&reason, "%s after the interpreter's fatal error \"%s\"", name, r->interpreter_fatal) > 0) {
                free (name);
                r->crash_reason = reason;
        } else if (fatal && name && asprintf (&reason, "%s after Qt's fatal error \"%s\"", name, fatal_text) > 0) {
                free (name);
                r->crash_reason = reason;
        } else {
                r->crash_reason = name;
        }
        return true;
}

/* A crash of a child of the run, when the main process did not crash:
 * its signal, its stacks and the test it was in are the run's crash. */
static bool
read_child_crash (struct run_result *r, const struct supervision *sup)
{
        size_t i = sup->processes.first_crash;
        if (!i || i >= r->n_processes)
                return false;
        const struct run_process *p = &r->processes[i];
        /* Its own death is in its channel: the supervisor did not reap it. */
        const struct supervision its = { .exited = true };
        bool crash = read_crash (r, p->channel, &its);
        if (!r->crash_signal)
                return false;
        r->crash_process = p;
        if (!r->dump)
                read_dump (r, p->channel);
        if (p->running_test[0])
                r->running_test = p->running_test;
        return crash;
}

/* The process that hung, and the channel with its stacks: a child's
 * (the supervisor asked it for them), or the main one's. */
static struct channel *
read_hang_process (struct run_result *r, struct channel *ch, const struct supervision *sup)
{
        if (!sup->hang)
                return ch;
        for (size_t i = 0; i < r->n_processes; i++) {
                const struct run_process *p = &r->processes[i];
                if (!p->checked || p->pid != sup->hang_pid)
                        continue;
                r->hang_process = p;
                if (i == 0)
                        return ch;
                if (!r->dump)
                        read_dump (r, p->channel);
                if (p->running_test[0])
                        r->running_test = p->running_test;
                return p->channel;
        }
        return ch;
}

/* The main process's entry of the list: how it ended, as read above. */
static void
complete_main_process (struct run_result *r)
{
        if (!r->n_processes)
                return;
        struct run_process *main = (struct run_process *) &r->processes[0];
        main->outcome = r->crash_signal && !r->crash_process ? "crash" : r->outcome;
        main->exit_status = r->script_status;
        main->crash_signal = r->crash_process ? 0 : r->crash_signal;
        if (main->crash_signal)
                r->crash_process = main;
}

/* Where the threads were: what a hang's threads wait for, whether a stop
 * has every thread's stacks, and qgc-check's own frame when it is to
 * blame. */
static void
diagnose (struct run_result *r, struct channel *ch, const struct supervision *sup, bool crash)
{
        if (sup->hang && r->dump) {
                struct hang_diagnosis hang;
                dump_diagnose_hang (r->dump, atomic_load (&ch->collecting_tid), &hang);
                r->gil_holder = hang.gil_holder;
                r->gui_waiting = hang.gui_waiting;
                r->collector = hang.collector;
        }
        /* Stopped before its end, with every thread's stacks: a thread
         * blocked in qgc-check then is the tool's fault as in a hang. */
        r->stopped = !sup->hang && !crash && (sup->interrupt_signal || sup->over_limit) && r->dump &&
                     dump_complete (r->dump, strlen (r->dump));
        if (sup->hang || crash || r->stopped)
                r->tool_frame = dump_tool_frame (r->dump, !crash);
}

/* The verdict, the exit status and their reasons, from the facts
 * gathered so far. */
static void
decide (struct run_result *r, struct channel *ch, const struct supervision *sup, bool crash)
{
        bool binding_named = ch->binding[0] != '\0', binding_loaded = atomic_load (&ch->binding_loaded) != 0;
        for (size_t i = 1; i < r->n_processes; i++)
                if (r->processes[i].checked && r->processes[i].binding[0])
                        binding_named = binding_loaded = true;
        struct verdict_facts facts = {
                .hang = sup->hang,
                .crash = crash,
                .unchecked_processes = r->n_unchecked,
                .races = r->n_races,
                .known_error = r->error,
                .runner_error = atomic_load (&ch->error_set) ? ch->error : NULL,
                .runner_started = atomic_load (&ch->start_ns) != 0,
                .outcome = atomic_load (&ch->outcome),
                .finished = atomic_load (&ch->phase) == PHASE_DONE,
                .script_status = r->script_status,
                .binding_named = binding_named,
                .binding_loaded = binding_loaded,
                .objects_created = r->objects_created,
                .over_limit = sup->over_limit,
                .stop_signal = sup->stop_signal,
                .interrupt_signal = sup->interrupt_signal,
        };
        struct verdict_decision d = verdict_decide (&facts);
        r->verdict = d.verdict;
        r->exit_code = d.exit_status;
        r->error = d.error;
        r->incomplete = d.incomplete;
}

/* Every text a report renders, made valid in one place. */
static void
make_texts_valid (struct run_result *r, const struct options *opts)
{
        bool error_is_reason = r->error && r->error == r->crash_reason;
        const char **owned[] = { &r->crash_reason, &r->dump, &r->gil_holder, &r->gui_waiting,
                                 &r->collector, &r->tool_frame, &r->sup.stderr_tail };
        for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
                result_text_make_valid (owned[i]);
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
        r->processes = sup->processes.list;
        r->n_processes = sup->processes.n;
        r->n_unchecked = sup->processes.n_unchecked;
        read_channel (r, ch);
        read_child_binding (r);
        read_findings (r, ch, suppressions);
        read_dump (r, ch);
        read_outcome (r, ch, sup);
        bool crash = read_crash (r, ch, sup);
        if (!r->crash_signal)
                crash = read_child_crash (r, sup);
        complete_main_process (r);
        diagnose (r, read_hang_process (r, ch, sup), sup, crash);
        decide (r, ch, sup, crash);
        for (size_t i = 0; i < r->n_findings; i++)
                result_describe (r, &r->findings[i]);
        result_distinguish (r);
        make_texts_valid (r, opts);
        result_advise (r, opts);
}

void
result_free (struct run_result *r)
{
        free ((char *) r->sup.stderr_tail);
        processes_free (&r->sup.processes);
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
