/* SPDX-License-Identifier: MIT */
/* pyframe.h: the Python frame line, "file:line: in qualname".
 *
 * The runner writes a stack as such lines, innermost first (creation and
 * finalization stacks of findings); the supervisor's reports, its
 * suppression matcher and its source-line lookup read them back here and
 * nowhere else.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The most frames the runner captures of a stack, innermost first: a
 * stack of this many frames may have been cut. */
#define PYFRAME_STACK_DEPTH 16
#define PYFRAME_DEPTH_TEXT "16"

struct pyframe {
        char file[1024];
        long line;
        char function[256];
};

/* Appends one line (with its newline) at buf + *used, advancing *used;
 * a line that does not fit is left out whole. */
void pyframe_write (char *buf, size_t size, size_t *used, const char *file, long line,
                    const char *function);

/* Splits the first line of text (at most len bytes, or up to its newline).
 * False when it is not a frame line. File names may hold ": in " and
 * digits; a qualname holds neither ':' nor spaces, so the line is split
 * at its last ": in " after ":LINE". */
bool pyframe_parse (const char *text, size_t len, struct pyframe *out);

/* The next frame line of a stack from *cursor, advancing it past that
 * line; lines that are not frames are skipped. False at the end. */
bool pyframe_next (const char **cursor, struct pyframe *out);
