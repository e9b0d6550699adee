/* SPDX-License-Identifier: MIT */
/* pyframe.c: the Python frame line (see pyframe.h). */
#include "config.h"

#include "common/pyframe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pyframe_write (char *buf, size_t size, size_t *used, const char *file, long line,
               const char *function)
{
        if (*used >= size)
                return;
        int n = snprintf (buf + *used, size - *used, "%s:%ld: in %s\n", file, line, function);
        if (n > 0 && (size_t) n < size - *used)
                *used += (size_t) n;
        else
                buf[*used] = '\0';
}

bool
pyframe_parse (const char *text, size_t len, struct pyframe *out)
{
        out->file[0] = out->function[0] = '\0';
        out->line = 0;
        if (!text)
                return false;
        const char *eol = memchr (text, '\n', len);
        if (eol)
                len = (size_t) (eol - text);
        const char *in = NULL;
        for (const char *p = text; p + 5 <= text + len; p++)
                if (memcmp (p, ": in ", 5) == 0)
                        in = p;
        if (!in)
                return false;
        const char *digits = in;
        while (digits > text && digits[-1] >= '0' && digits[-1] <= '9')
                digits--;
        if (digits == in || digits - 1 <= text || digits[-1] != ':')
                return false;
        snprintf (out->file, sizeof out->file, "%.*s", (int) (digits - 1 - text), text);
        out->line = strtol (digits, NULL, 10);
        snprintf (out->function, sizeof out->function, "%.*s", (int) (text + len - (in + 5)), in + 5);
        return true;
}

bool
pyframe_next (const char **cursor, struct pyframe *out)
{
        for (const char *p = *cursor; p && *p;) {
                const char *eol = strchr (p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen (p);
                bool frame = pyframe_parse (p, len, out);
                p += len + (eol != NULL);
                *cursor = p;
                if (frame)
                        return true;
        }
        return false;
}
