/* SPDX-License-Identifier: MIT */
/* stress-mode.h: the stress patterns, by the names the user gives them.
 *
 * The supervisor reads the name from its command line (--stress), writes it
 * on the runner's command line and in the JSON report; the runner reads it
 * back. Header-only, as finding.h's names are: whatever compiles options.c
 * on its own (the fuzzer) needs nothing else linked.
 */
#pragma once

#include <stdbool.h>
#include <string.h>

enum stress_mode {
        STRESS_ALLOC = 0, /* steady bursts of cyclic garbage with short pauses */
        STRESS_BURST = 1, /* quiet spells, then large bursts: collections at other moments */
};

static inline const char *
stress_mode_name (enum stress_mode mode)
{
        switch (mode) {
        case STRESS_ALLOC: return "alloc";
        case STRESS_BURST: return "burst";
        default: return "unknown";
        }
}

/* The mode spelled text exactly as stress_mode_name spells it; false for
 * anything else, leaving *mode as it was. */
static inline bool
stress_mode_parse (const char *text, enum stress_mode *mode)
{
        static const enum stress_mode modes[] = { STRESS_ALLOC, STRESS_BURST };
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
                if (strcmp (text, stress_mode_name (modes[i])) == 0) {
                        *mode = modes[i];
                        return true;
                }
        return false;
}
