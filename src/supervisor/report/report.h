/* SPDX-License-Identifier: MIT */
/* report.h: renderers of a run_result. They compute nothing.
 *
 * Report files are written atomically (a temporary file in the same
 * directory, then rename), so a reader never sees half a report and an
 * existing symlink is replaced, not followed. "-" means stdout.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "supervisor/result.h"

/* Checks, before the app runs, that a report can be written to path:
 * its directory exists and is writable, it is not a directory and not the
 * script itself. On failure error holds a one-line reason. */
bool report_path_check (const char *path, const char *option, const char *script,
                        char *error, size_t error_size);

/* The end-of-run report for people, to out (stderr by convention). */
void report_write_text (const struct run_result *r, FILE *out, bool color);

/* The machine report (JSON, versioned, see schema/report.schema.json). */
bool report_write_json (const struct run_result *r, const char *path, char *error,
                        size_t error_size);

/* JUnit XML (libxml2's writer): a failing test case per finding group. */
bool report_write_junit (const struct run_result *r, const char *path, char *error,
                         size_t error_size);

/* SARIF 2.1.0: a result per finding group at its creation site. */
bool report_write_sarif (const struct run_result *r, const char *path, char *error,
                         size_t error_size);

/* Live events: JSON Lines, one object per line, flushed at once. */
struct report_events;
struct report_events *report_events_open (const char *path, char *error, size_t error_size);
void report_events_start (struct report_events *ev, const struct options *opts, uint32_t seed,
                          pid_t pid);
void report_events_finding (struct report_events *ev, const struct result_finding *f);
void report_events_note (struct report_events *ev, const char *event, double seconds);
void report_events_end (struct report_events *ev, const struct run_result *r);
void report_events_close (struct report_events *ev);
