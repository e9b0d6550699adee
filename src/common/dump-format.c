/* SPDX-License-Identifier: MIT */
/* dump-format.c: the crash and hang dump's writer and reader (see
 * dump-format.h). */
#include "config.h"

#include "common/dump-format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signal-safe: memcpy and arithmetic only. */
void
dump_put (struct dump_writer *w, const char *s)
{
        size_t n = strlen (s);
        if (n > w->size - w->used)
                n = w->size - w->used;
        memcpy (w->buf + w->used, s, n);
        w->used += n;
}

/* Signal-safe. */
void
dump_put_num (struct dump_writer *w, unsigned long long v, int base)
{
        char tmp[32];
        int i = 0;
        do {
                tmp[i++] = "0123456789abcdef"[v % (unsigned) base];
                v /= (unsigned) base;
        } while (v && i < (int) sizeof tmp);
        char s[36];
        int j = 0;
        if (base == 16) {
                s[j++] = '0';
                s[j++] = 'x';
        }
        while (i)
                s[j++] = tmp[--i];
        s[j] = '\0';
        dump_put (w, s);
}

/* Signal-safe. */
void
dump_write_thread (struct dump_writer *w, const struct dump_thread *t)
{
        dump_put (w, DUMP_THREAD);
        dump_put_num (w, t->tid, 10);
        dump_put (w, " ");
        dump_put_num (w, t->ident, 16);
        dump_put (w, t->gil ? " gil=yes" : " gil=no");
        dump_put (w, t->main ? " main=yes" : " main=no");
        dump_put (w, " crashed=");
        dump_put (w, t->crashed);
        if (t->has_fault_addr) {
                dump_put (w, " addr=");
                dump_put_num (w, (unsigned long long) t->fault_addr, 16);
        }
        dump_put (w, " name=");
        dump_put (w, t->name);
        dump_put (w, "\n");
}

/* Signal-safe. */
void
dump_write_frame (struct dump_writer *w, int index, uintptr_t pc, const char *name, uintptr_t offset,
                  const char *module, uintptr_t module_offset, bool interrupted)
{
        dump_put (w, "#");
        dump_put_num (w, (unsigned long long) index, 10);
        dump_put (w, " ");
        dump_put_num (w, (unsigned long long) pc, 16);
        dump_put (w, " ");
        if (name) {
                dump_put (w, name);
                dump_put (w, "+");
                dump_put_num (w, (unsigned long long) offset, 16);
        } else {
                dump_put (w, "??");
        }
        if (module) {
                const char *base = strrchr (module, '/');
                dump_put (w, " in ");
                dump_put (w, base ? base + 1 : module);
                dump_put (w, "+");
                dump_put_num (w, (unsigned long long) module_offset, 16);
        }
        if (interrupted)
                dump_put (w, " [signal]");
        dump_put (w, "\n");
}

bool
dump_next_section (const char **cursor, struct dump_section *s)
{
        const char *dump = *cursor;
        if (!dump)
                return false;
        for (const char *p = dump; (p = strstr (p, DUMP_THREAD)); p++) {
                /* Sections start lines; the text of a frame cannot. */
                if (p != dump && p[-1] != '\n' && p[-1] != '\0')
                        continue;
                const char *eol = strchr (p, '\n');
                if (!eol)
                        break;
                const char *end = strstr (eol, "\n@");
                end = end ? end + 1 : eol + strlen (eol);
                *s = (struct dump_section) { .header = p, .header_len = (size_t) (eol - p),
                                             .body = eol + 1, .end = end };
                *cursor = end;
                return true;
        }
        *cursor = NULL;
        return false;
}

bool
dump_section_has (const struct dump_section *s, const char *attribute)
{
        size_t a = strlen (attribute);
        for (const char *p = s->header; p + a <= s->header + s->header_len; p++)
                if (memcmp (p, attribute, a) == 0)
                        return true;
        return false;
}

bool
dump_find_section (const char *dump, const char *attribute, struct dump_section *s)
{
        for (const char *c = dump; dump_next_section (&c, s);)
                if (dump_section_has (s, attribute))
                        return true;
        return false;
}

bool
dump_find_thread (const char *dump, unsigned long tid, struct dump_section *s)
{
        for (const char *c = dump; dump_next_section (&c, s);) {
                struct dump_header h;
                dump_parse_header (s, &h);
                if (h.tid == tid)
                        return true;
        }
        return false;
}

/* The value of key in the header: to its end for the supervisor's
 * " python=" (a Python name may hold spaces), else to the next space. */
static bool
header_value (const struct dump_section *s, const char *key, char *out, size_t size)
{
        size_t kl = strlen (key);
        const char *end = s->header + s->header_len;
        for (const char *p = s->header; p + kl <= end; p++) {
                if (memcmp (p, key, kl) != 0)
                        continue;
                const char *v = p + kl, *e = v;
                bool to_end = strcmp (key, DUMP_PYTHON_NAME) == 0;
                while (e < end && (to_end || *e != ' '))
                        e++;
                snprintf (out, size, "%.*s", (int) (e - v), v);
                return true;
        }
        return false;
}

void
dump_parse_header (const struct dump_section *s, struct dump_header *h)
{
        *h = (struct dump_header) { 0 };
        snprintf (h->ident, sizeof h->ident, "?");
        char line[512];
        snprintf (line, sizeof line, "%.*s", (int) s->header_len, s->header);
        sscanf (line, DUMP_THREAD "%lu %31s", &h->tid, h->ident);
        h->main = dump_section_has (s, " main=yes");
        h->gil = dump_section_has (s, " gil=yes");
        if (!header_value (s, " crashed=", h->crashed, sizeof h->crashed))
                snprintf (h->crashed, sizeof h->crashed, "no");
        char addr[32];
        if (header_value (s, " addr=", addr, sizeof addr)) {
                h->has_fault_addr = true;
                h->fault_addr = strtoull (addr, NULL, 16);
        }
        /* The kernel's name is cut at the supervisor's " python=". */
        if (header_value (s, " name=", h->comm, sizeof h->comm)) {
                char *py = strstr (h->comm, DUMP_PYTHON_NAME);
                if (py)
                        *py = '\0';
        }
        h->python_named = header_value (s, DUMP_PYTHON_NAME, h->name, sizeof h->name);
        if (!h->python_named)
                snprintf (h->name, sizeof h->name, "%s", h->comm[0] ? h->comm : "?");
}

/* A "0x..." number at p (before end), its value in *v; where it ends. */
static const char *
hex_at (const char *p, const char *end, unsigned long long *v)
{
        if (end - p < 3 || p[0] != '0' || p[1] != 'x')
                return NULL;
        const char *q = p + 2;
        unsigned long long n = 0;
        for (; q < end && ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')); q++)
                n = n * 16 + (unsigned) (*q <= '9' ? *q - '0' : *q - 'a' + 10);
        if (q == p + 2)
                return NULL;
        *v = n;
        return q;
}

bool
dump_parse_frame (const char *line, size_t n, struct dump_frame *f)
{
        if (n < 2 || line[0] != '#')
                return false;
        const char *sp = memchr (line, ' ', n);
        if (!sp)
                return false;
        *f = (struct dump_frame) { .line = line, .line_len = n };
        const char *end = line + n;
        f->interrupted = n >= 9 && memcmp (end - 9, " [signal]", 9) == 0;
        if (f->interrupted)
                end -= 9;
        f->name = sp + 1;
        const char *after_pc = hex_at (f->name, end, &f->pc);
        if (after_pc && after_pc < end && *after_pc == ' ') {
                f->has_pc = true;
                f->name = after_pc + 1;
        }
        /* Demangled C++ names hold spaces: the module is after the last " in ". */
        const char *in = NULL;
        for (const char *p = f->name; p + 4 <= end; p++)
                if (memcmp (p, " in ", 4) == 0)
                        in = p;
        if (in) {
                f->module = in + 4;
                f->module_len = (size_t) (end - f->module);
                for (const char *p = end - 1; p > f->module; p--) {
                        if (*p != '+')
                                continue;
                        if (hex_at (p + 1, end, &f->module_offset) == end) {
                                f->has_module_offset = true;
                                f->module_len = (size_t) (p - f->module);
                        }
                        break;
                }
                end = in;
        }
        const char *plus = NULL;
        for (const char *p = f->name; p + 3 <= end; p++)
                if (memcmp (p, "+0x", 3) == 0)
                        plus = p;
        f->has_offset = plus && hex_at (plus + 1, end, &f->offset) == end;
        f->name_len = (size_t) ((plus ? plus : end) - f->name);
        return true;
}

const char *
dump_python_tracebacks (const char *dump)
{
        const char *py = dump ? strstr (dump, "\n" DUMP_PYTHON) : NULL;
        return py ? py + 1 + strlen (DUMP_PYTHON) : NULL;
}

bool
dump_complete (const char *text, size_t len)
{
        size_t m = strlen (DUMP_END);
        return text && len >= m && memmem (text, len, DUMP_END, m) != NULL;
}
