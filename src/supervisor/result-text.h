/* SPDX-License-Identifier: MIT */
/* result-text.h: the strings a run_result renders, made valid UTF-8 and
 * kept in it until result_free.
 *
 * Every string a report renders passes through here: the app's names,
 * stacks and output may hold any bytes, and JSON, XML and a terminal all
 * need text.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct options;
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

/* --- Text for a terminal and a shell ------------------------------------ */

/* Writes s for a terminal, on one line: control characters, the other
 * characters that change how text shows (C1 controls, bidirectional
 * overrides, line separators) and bytes that are not UTF-8 are escaped as
 * \n, \t, \x1b, \u202e. With quoted, between double quotes, " and \
 * escaped too. NULL writes nothing. */
void result_text_write_escaped (FILE *out, const char *s, bool quoted);

/* Whether s would be changed by result_text_write_escaped (unquoted). */
bool result_text_needs_escape (const char *s);

/* s as a name inside a sentence: s itself when it shows as it is, else
 * quoted and escaped (result_text_write_escaped), kept in r. */
const char *result_text_name (struct run_result *r, const char *s);

/* Writes one word of a command line so that a POSIX shell reads it back
 * as that word: as it is when it holds only characters no shell treats
 * specially, else between single quotes (a control character other than
 * a newline or tab as "$(printf '\ooo')", outside them). */
void result_text_write_shell_word (FILE *out, const char *word);

/* Writes the command line that runs the run again with the same options
 * that shape it ("qgc-check --seed N --threads 0 ... SCRIPT ARGS"), every
 * word through result_text_write_shell_word; without --seed when seed is
 * NULL (a run without stress has no pattern to replay). */
void result_text_write_command (FILE *out, const struct options *opts, const uint32_t *seed);

/* Whether the run's options started the stress workers (a seed means
 * something). */
bool result_text_stressed (const struct options *opts);
