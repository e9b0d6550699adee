/* SPDX-License-Identifier: MIT */
/* interpreters.h: the CPython interpreters this build of qgc-check serves,
 * one runner each (meson.build's -Dpython=), the default first: a script
 * runs in the runner of its venv's minor version.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

struct interpreter {
        const char *version;    /* "3.12" */
        const char *executable; /* the interpreter the build used */
        const char *runner;     /* the runner's file name, beside the probe */
};

/* The default interpreter: for a script run outside any venv. */
const struct interpreter *interpreters_default (void);

/* The interpreter of version ("3.12", "3.12.1": its minor version), or
 * NULL when this build serves none. */
const struct interpreter *interpreters_find (const char *version);

/* "3.11, 3.12 and 3.13" into buf, for messages. */
const char *interpreters_list (char *buf, size_t size);

/* One line per interpreter, for --version. */
void interpreters_print (FILE *out);
