/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the command-line parser. The input is split at NUL
 * bytes into argv. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/options.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
        if (size > 4096)
                return 0;
        char *copy = malloc (size + 1);
        memcpy (copy, data, size);
        copy[size] = '\0';
        char *argv[130] = { "qgc-check" };
        int argc = 1;
        for (char *p = copy; p < copy + size && argc < 129; p += strlen (p) + 1)
                argv[argc++] = p;
        argv[argc] = NULL;
        struct options opts;
        char error[512];
        FILE *out = fopen ("/dev/null", "w");
        options_parse (&opts, argc, argv, out, error, sizeof error);
        fclose (out);
        free (copy);
        return 0;
}
