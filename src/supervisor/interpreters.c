/* SPDX-License-Identifier: MIT */
/* interpreters.c: the CPython interpreters this build serves (see interpreters.h). */
#include "config.h"

#include "supervisor/interpreters.h"

#include <string.h>

static const struct interpreter table[] = { QGC_INTERPRETERS };
static const size_t n_table = sizeof table / sizeof table[0];

const struct interpreter *
interpreters_default (void)
{
        return &table[0];
}

const struct interpreter *
interpreters_find (const char *version)
{
        for (size_t i = 0; i < n_table; i++) {
                size_t n = strlen (table[i].version);
                if (strncmp (version, table[i].version, n) == 0 && (version[n] == '.' || version[n] == '\0'))
                        return &table[i];
        }
        return NULL;
}

const char *
interpreters_list (char *buf, size_t size)
{
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < n_table && used < size; i++) {
                const char *sep = i == 0 ? "" : i + 1 == n_table ? " and " : ", ";
                int n = snprintf (buf + used, size - used, "%s%s", sep, table[i].version);
                if (n < 0)
                        break;
                used += (size_t) n;
        }
        return buf;
}

void
interpreters_print (FILE *out)
{
        for (size_t i = 0; i < n_table; i++)
                fprintf (out, "Python %s: %s%s\n", table[i].version, table[i].executable,
                         i == 0 ? " (the default, outside a venv)" : "");
}
