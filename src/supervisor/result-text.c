/* SPDX-License-Identifier: MIT */
/* result-text.c: the strings a run_result renders, valid UTF-8 (see result-text.h). */
#include "config.h"

#include "supervisor/result-text.h"

#include "supervisor/result.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps s in r until result_free; NULL (s freed) on no memory. */
static const char *
keep (struct run_result *r, char *s)
{
        if (!s)
                return NULL;
        if (r->n_texts == r->texts_cap) {
                size_t cap = r->texts_cap ? 2 * r->texts_cap : 64;
                char **t = realloc (r->texts, cap * sizeof *t);
                if (!t) {
                        free (s);
                        return NULL;
                }
                r->texts = t;
                r->texts_cap = cap;
        }
        r->texts[r->n_texts++] = s;
        return s;
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), 0 when
 * there is none (RFC 3629: no overlong forms, surrogates or values past
 * U+10FFFF). */
static size_t
utf8_sequence (const unsigned char *p, size_t n)
{
        unsigned c = p[0];
        size_t len;
        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
                len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
                len = 4;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++)
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
            (c == 0xF4 && p[1] > 0x8F))
                return 0;
        return len;
}

/* True when the n bytes at p are the start of a character that the end of
 * the text cut (a lead byte and fewer continuation bytes than it needs). */
static bool
utf8_cut_at_end (const unsigned char *p, size_t n)
{
        size_t need = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
                      : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
        if (!need || n >= need)
                return false;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xC0) != 0x80)
                        return false;
        return true;
}

/* A valid copy of s, or NULL when s is valid already (or on no memory). */
static char *
valid_copy (const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen (s), i = 0;
        while (i < n && utf8_sequence (p + i, n - i))
                i += utf8_sequence (p + i, n - i);
        if (i == n)
                return NULL;
        /* Texts cut to a size (the app's stderr tail, an id) may start or
         * end inside a character: drop that part of it. Anything else not
         * UTF-8 becomes U+FFFD. */
        size_t start = 0;
        while (start < 3 && start < n && (p[start] & 0xC0) == 0x80)
                start++;
        char *out = malloc (3 * n + 1);
        if (!out)
                return NULL;
        size_t o = 0;
        for (i = start; i < n;) {
                size_t len = utf8_sequence (p + i, n - i);
                if (len) {
                        memcpy (out + o, p + i, len);
                        o += len;
                        i += len;
                } else if (utf8_cut_at_end (p + i, n - i)) {
                        break;
                } else {
                        memcpy (out + o, "\xEF\xBF\xBD", 3);
                        o += 3;
                        i++;
                }
        }
        out[o] = '\0';
        return out;
}

const char *
result_text (struct run_result *r, const char *s)
{
        if (!s)
                return NULL;
        char *copy = valid_copy (s);
        return copy ? keep (r, copy) ?: "" : s;
}

void
result_text_make_valid (const char **field)
{
        char *copy = *field ? valid_copy (*field) : NULL;
        if (copy) {
                free ((char *) *field);
                *field = copy;
        }
}

const char *
result_text_printf (struct run_result *r, const char *fmt, ...)
{
        va_list ap;
        va_start (ap, fmt);
        char *s = NULL;
        if (vasprintf (&s, fmt, ap) < 0)
                s = NULL;
        va_end (ap);
        return keep (r, s);
}
