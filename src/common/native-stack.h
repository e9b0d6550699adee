/* SPDX-License-Identifier: MIT */
/* native-stack.h: the native stack of a finding, "function<TAB>library"
 * lines, innermost first.
 *
 * The runner names a finding's return addresses into such lines (outside
 * the hooks); the supervisor's culprit search and its reports read them
 * back here and nowhere else.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* One frame: pointers into the stack's text, not terminated. */
struct native_frame {
        const char *function;
        int function_len;
        const char *library; /* library_len 0: none given */
        int library_len;
};

/* Writes one line: the function ("??" when NULL) and the library's base
 * name. */
void native_stack_write (FILE *out, const char *function, const char *library);

/* The next frame from *cursor, advancing it; false at the end. */
bool native_stack_next (const char **cursor, struct native_frame *frame);
