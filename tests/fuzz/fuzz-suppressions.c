/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the suppression file parser. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/suppressions.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
        char *text = malloc (size + 1);
        memcpy (text, data, size);
        text[size] = '\0';
        struct suppressions s = { 0 };
        char error[256];
        suppressions_parse (&s, text, "fuzz.supp", error, sizeof error);
        suppressions_free (&s);
        free (text);
        return 0;
}
