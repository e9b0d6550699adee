/* SPDX-License-Identifier: MIT */
/* suppressions.h: findings silenced on purpose, as valgrind and sanitizer
 * users do. The file format, one entry per block, '#' comments:
 *
 *   {
 *      name: QPicture keeps a private QBuffer
 *      kind: off-thread-finalization
 *      class: QBuffer
 *      python-class: *
 *      file: * /pyqtgraph/ *        (no spaces in a real glob)
 *      function: PlotItem.*
 *   }
 *
 * name is required; every other key is a glob (fnmatch) that must match:
 * kind, Qt class, Python class, and the creation site's file and function.
 * A key left out matches anything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/result.h"

struct suppression {
        char *name;
        char *kind, *qt_class, *py_class, *file, *function;
        const char *source; /* file it came from */
        int line;           /* line of its '{' */
        unsigned matched;   /* finding groups it matched in this run */
};

struct suppressions {
        struct suppression *items;
        size_t n;
};

/* Parses text (from source, for messages). On error returns false with a
 * one-line message naming source:line. */
bool suppressions_parse (struct suppressions *s, const char *text, const char *source,
                         char *error, size_t error_size);

/* Reads and parses a file. */
bool suppressions_load (struct suppressions *s, const char *path, char *error, size_t error_size);

/* Marks every finding of r that an entry matches (suppressed_by) and counts
 * the matches per entry. */
void suppressions_apply (struct suppressions *s, struct run_result *r);

/* Writes a ready-to-use entry for each unsuppressed finding group of r. */
bool suppressions_generate (const struct run_result *r, const char *path, char *error,
                            size_t error_size);

void suppressions_free (struct suppressions *s);
