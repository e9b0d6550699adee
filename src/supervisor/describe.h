/* SPDX-License-Identifier: MIT */
/* describe.h: one description of each finding group, for every report.
 *
 * What happened (title), a name unique among the run's groups, where
 * look-alike groups differ, what fixes it, and what the stacks say beyond
 * the frames: the source lines of both sites, the C++ code that destroyed
 * it, the call that made a native object. Strings are kept in the
 * run_result (result-text.h).
 */
#pragma once

#include <stdbool.h>

struct run_result;
struct result_finding;

/* Makes a finding's strings valid and fills its title, name, fix, source
 * lines, made_by and died_inside (for findings outside a run_result too,
 * e.g. live events: r may be a zeroed run_result used only to hold the
 * strings). */
void result_describe (struct run_result *r, struct result_finding *f);

/* Groups differ by their whole creation stack, but the reports show its
 * first frame: for groups of r that would look the same, fills differs_at
 * (the first frame where each differs from the others) and makes every
 * name unique. After result_describe of each. */
void result_distinguish (struct run_result *r);

/* Whether the finding's owner is the GUI thread (or unknown): a collector
 * there would destroy it in its own thread. */
bool result_finding_gui_owned (const struct result_finding *f);
