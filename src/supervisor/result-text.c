/* SPDX-License-Identifier: MIT */
/* result-text.c: the strings a run_result renders, valid UTF-8 (see result-text.h). */
#include "config.h"

#include "supervisor/result-text.h"

#include "supervisor/options.h"
#include "supervisor/result.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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

/* The code point of the well-formed sequence of len bytes at p. */
static uint32_t
code_point (const unsigned char *p, size_t len)
{
        if (len == 1)
                return p[0];
        uint32_t c = p[0] & (0xFF >> (len + 1));
        for (size_t i = 1; i < len; i++)
                c = (c << 6) | (p[i] & 0x3F);
        return c;
}

/* Characters that change how the text around them shows: C1 controls,
 * bidirectional marks and overrides, line and paragraph separators, the
 * byte order mark. */
static bool
invisible (uint32_t c)
{
        return (c >= 0x80 && c <= 0x9F) || c == 0x200E || c == 0x200F || (c >= 0x2028 && c <= 0x202E) ||
               (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

/* The escape for the character of len bytes at p ("" when it shows as it
 * is), into buf. */
static const char *
escape_of (const unsigned char *p, size_t len, bool quoted, char buf[16])
{
        if (!len) {
                snprintf (buf, 16, "\\x%02x", p[0]);
                return buf;
        }
        uint32_t c = code_point (p, len);
        if (c == '\n')
                return "\\n";
        if (c == '\t')
                return "\\t";
        if (c == '\r')
                return "\\r";
        if (quoted && (c == '"' || c == '\\'))
                return c == '"' ? "\\\"" : "\\\\";
        if (c < 0x20 || c == 0x7F) {
                snprintf (buf, 16, "\\x%02x", c);
                return buf;
        }
        if (invisible (c)) {
                snprintf (buf, 16, "\\u%04x", c);
                return buf;
        }
        return "";
}

void
result_text_write_escaped (FILE *out, const char *s, bool quoted)
{
        if (!s)
                return;
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen (s);
        char buf[16];
        if (quoted)
                fputc ('"', out);
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence (p + i, n - i);
                const char *esc = escape_of (p + i, len, quoted, buf);
                if (*esc)
                        fputs (esc, out);
                else
                        fwrite (p + i, 1, len, out);
                i += len ? len : 1;
        }
        if (quoted)
                fputc ('"', out);
}

bool
result_text_needs_escape (const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t n = s ? strlen (s) : 0;
        char buf[16];
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence (p + i, n - i);
                if (*escape_of (p + i, len, false, buf))
                        return true;
                i += len ? len : 1;
        }
        return false;
}

const char *
result_text_name (struct run_result *r, const char *s)
{
        if (!s || !result_text_needs_escape (s))
                return s;
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        if (!out)
                return s;
        result_text_write_escaped (out, s, true);
        if (fclose (out) != 0) {
                free (text);
                return s;
        }
        return keep (r, text) ?: s;
}

/* Characters no POSIX shell treats specially anywhere in a word. */
static bool
shell_plain (const char *word)
{
        if (!*word)
                return false;
        for (const char *p = word; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr ("_@%+=:,./-", *p)))
                        return false;
        return true;
}

void
result_text_write_shell_word (FILE *out, const char *word)
{
        if (shell_plain (word)) {
                fputs (word, out);
                return;
        }
        bool open = false;
        for (const unsigned char *p = (const unsigned char *) word;; p++) {
                bool control = *p && ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F);
                if (open && (!*p || control || *p == '\'')) {
                        fputc ('\'', out);
                        open = false;
                }
                if (!*p)
                        break;
                if (control)
                        fprintf (out, "\"$(printf '\\%03o')\"", *p);
                else if (*p == '\'')
                        fputs ("\\'", out);
                else {
                        if (!open)
                                fputc ('\'', out);
                        open = true;
                        fputc (*p, out);
                }
        }
        if (!*word)
                fputs ("''", out);
}

bool
result_text_stressed (const struct options *opts)
{
        return opts->threads > 0 && (!opts->strict || opts->mitigate);
}

void
result_text_write_command (FILE *out, const struct options *opts, const uint32_t *seed)
{
        fputs ("qgc-check", out);
        if (seed)
                fprintf (out, " --seed %u", *seed);
        if (opts->threads != 2)
                fprintf (out, " --threads %u", opts->threads);
        if (opts->duration != 5.0)
                fprintf (out, " --duration %g", opts->duration);
        if (opts->stress_mode != STRESS_ALLOC)
                fprintf (out, " --stress %s", stress_mode_name (opts->stress_mode));
        if (opts->strict)
                fputs (" --strict", out);
        if (opts->mitigate)
                fputs (" --mitigate", out);
        fputs (opts->module ? " -m " : " ", out);
        result_text_write_shell_word (out, opts->script);
        for (int i = 0; i < opts->script_argc; i++) {
                fputc (' ', out);
                result_text_write_shell_word (out, opts->script_argv[i]);
        }
}
