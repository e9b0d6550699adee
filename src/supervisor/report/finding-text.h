/* SPDX-License-Identifier: MIT */
/* finding-text.h: the text of one finding group, as the text report prints
 * it and a JUnit test case carries it: one function, so that the two
 * cannot drift apart.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "supervisor/result.h"

/* Writes the group's title line (its title between bold and reset, which
 * are terminal escapes or "", then what varies within the group) and the
 * two-space indented lines that describe it: the tests, where it was
 * created and finalized with their source lines, what made and destroyed
 * it, its fix (unless suppressed); with stacks, its whole creation,
 * finalization and C++ stacks too. Paths under the working directory are
 * shown relative to it. */
void report_finding_text (FILE *out, const struct result_finding *f, bool stacks, const char *bold,
                          const char *reset);

/* "process PID (xdist worker W): ARGV": how every text names a process of
 * the run, without a newline. */
void report_process_text (FILE *out, const struct run_process *p);

/* path relative to the working directory when it is under it, as a
 * compiler shows it; else path. */
const char *report_relative_path (const char *path);

/* " 'name'", the group's objectName, or " e.g. 'name'" when its objects
 * had other names too (quoted and escaped as data when it needs it);
 * nothing without one. */
void report_object_name_text (FILE *out, const struct result_finding *f);
