/* SPDX-License-Identifier: MIT */
/* native-stack.c: a finding's native stack lines (see native-stack.h). */
#include "config.h"

#include "common/native-stack.h"

#include <string.h>

void
native_stack_write (FILE *out, const char *function, const char *library)
{
        const char *base = library ? strrchr (library, '/') : NULL;
        fprintf (out, "%s\t%s\n", function ? function : "??", base ? base + 1 : library ? library : "");
}

bool
native_stack_next (const char **cursor, struct native_frame *frame)
{
        const char *p = *cursor;
        if (!p || !*p)
                return false;
        const char *eol = strchr (p, '\n');
        int len = eol ? (int) (eol - p) : (int) strlen (p);
        const char *tab = memchr (p, '\t', (size_t) len);
        frame->function = p;
        frame->function_len = tab ? (int) (tab - p) : len;
        frame->library = tab ? tab + 1 : p + len;
        frame->library_len = tab ? (int) (p + len - tab - 1) : 0;
        *cursor = p + len + (eol != NULL);
        return true;
}
