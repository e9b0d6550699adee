/* SPDX-License-Identifier: MIT */
/* result-text.h: the strings a run_result renders, made valid UTF-8 and
 * kept in it until result_free.
 *
 * Every string a report renders passes through here: the app's names,
 * stacks and output may hold any bytes, and JSON, XML and a terminal all
 * need text.
 */
#pragma once

struct run_result;

/* s itself when it is valid UTF-8; else a copy with each invalid sequence
 * replaced by U+FFFD and a character cut at either end dropped, kept in r.
 * NULL stays NULL. */
const char *result_text (struct run_result *r, const char *s);

/* A formatted string kept in r, or NULL on no memory. */
const char *result_text_printf (struct run_result *r, const char *fmt, ...)
        __attribute__ ((format (printf, 2, 3)));

/* The same as result_text for a malloc'd string r owns: replaced in
 * place (the old one freed) when it is not valid. */
void result_text_make_valid (const char **field);
