/* SPDX-License-Identifier: MIT */
/* advice.c: advice for a run as a whole (see advice.h). */
#include "config.h"

#include "supervisor/advice.h"

#include "supervisor/describe.h"
#include "supervisor/result-text.h"
#include "supervisor/result.h"

#include <string.h>

static void
add_note (struct run_result *r, const char *note)
{
        if (note && r->n_notes < sizeof r->notes / sizeof r->notes[0])
                r->notes[r->n_notes++] = note;
}

/* Race groups that the GUI-thread collector (--mitigate) fixes. */
static size_t
races_gui_collector_fixes (const struct run_result *r)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->role == ROLE_RACE && f->fix_kind && strcmp (f->fix_kind, "gui-collector") == 0)
                        n++;
        }
        return n;
}

/* Advice that fits the findings the run has. */
static void
give_hint (struct run_result *r)
{
        if (r->verdict == VERDICT_CRASH && r->interpreter_fatal) {
                r->hint = result_text_printf (
                        r, "the interpreter itself aborted (\"Fatal Python error: %s\"): a reference-counting "
                           "error in a C extension, most often the Qt binding (%s), not a QObject destroyed off "
                           "its thread%s. Run the script under plain python3 to confirm, and try another "
                           "release of the binding.",
                        r->interpreter_fatal, r->binding && *r->binding ? r->binding : "not loaded",
                        r->n_races ? " (the findings above are real, but did not cause this crash)" : "");
                return;
        }
        size_t helped = races_gui_collector_fixes (r);
        if (helped && helped == r->n_races)
                r->hint = "Qt objects die in whichever thread Python's collector runs. For the findings "
                          "owned by the GUI thread and destroyed by a collection, the known fix is "
                          "gc.disable() at start-up and gc.collect() from a QTimer in the GUI thread; "
                          "--mitigate applies it, --compare shows the run with and without it.";
        else if (helped)
                r->hint = "for the findings whose fix is the GUI-thread collector, gc.disable() at start-up "
                          "and gc.collect() from a QTimer in the GUI thread fixes them (--mitigate applies "
                          "it, --compare shows it); it does not fix the others: their \"fix:\" lines say "
                          "what does.";
        else if (r->n_races)
                r->hint = "moving automatic collection to the GUI thread would not fix these findings: "
                          "--mitigate changes nothing for them, and --compare does not show their fix; each "
                          "one's \"fix:\" line says what does.";
}

/* What the run's own conditions mean for its result. */
static void
add_notes (struct run_result *r, const struct options *opts)
{
        if (opts->mitigate && r->automatic_collections)
                add_note (r, result_text_printf (r, "--mitigate was undone: the app turned automatic collection "
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
                add_note (r, result_text_printf (r, "the stress had no effect: no automatic collection ran off "
                                                    "the GUI thread (%llu automatic collections in all; the app "
                                                    "may keep automatic collection off), so a clean verdict "
                                                    "says little",
                                                 (unsigned long long) r->automatic_collections));
        if (opts->compare && !opts->mitigate && r->n_races && !races_gui_collector_fixes (r))
                add_note (r, "--compare runs the app again with --mitigate, which only moves automatic "
                             "collection to the GUI thread: none of these findings comes from that, so the "
                             "second run says nothing of their fix");
        if (r->strings_dropped)
                add_note (r, result_text_printf (r, "limit reached: the string area (%u MiB) was full; %llu "
                                                    "strings (names, stacks, messages) were dropped and show as "
                                                    "empty",
                                                 CHANNEL_STRINGS_SIZE >> 20,
                                                 (unsigned long long) r->strings_dropped));
}

void
result_advise (struct run_result *r, const struct options *opts)
{
        give_hint (r);
        add_notes (r, opts);
}
