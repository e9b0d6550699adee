/* SPDX-License-Identifier: MIT */
/* suppressions.c: parse, apply and generate suppression files. */
#include "config.h"

#include "supervisor/suppressions.h"
#include "common/pyframe.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/report/file.h"

static char *
trim (char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        char *e = s + strlen (s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static void
clear_entry (struct suppression *e)
{
        free (e->name);
        free (e->kind);
        free (e->qt_class);
        free (e->py_class);
        free (e->file);
        free (e->function);
        memset (e, 0, sizeof *e);
}

bool
suppressions_parse (struct suppressions *s, const char *text, const char *source,
                    char *error, size_t size)
{
        char *copy = strdup (text);
        if (!copy) {
                snprintf (error, size, "out of memory");
                return false;
        }
        struct suppression cur = { 0 };
        bool in_block = false, ok = true;
        int lineno = 0;
        char *save = NULL;
        /* strtok_r would merge empty lines and miscount: split by hand. */
        for (char *line = copy; line && ok; line = save) {
                char *nl = strchr (line, '\n');
                save = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = '\0';
                lineno++;
                char *t = trim (line);
                if (*t == '\0' || *t == '#')
                        continue;
                if (strcmp (t, "{") == 0) {
                        if (in_block) {
                                snprintf (error, size, "%s:%d: '{' inside an entry; close the previous one with '}'",
                                          source, lineno);
                                ok = false;
                                break;
                        }
                        in_block = true;
                        cur = (struct suppression) { .source = source, .line = lineno };
                        continue;
                }
                if (strcmp (t, "}") == 0) {
                        if (!in_block || !cur.name) {
                                snprintf (error, size, in_block ? "%s:%d: the entry has no name: add 'name: ...'"
                                                                : "%s:%d: '}' without '{'", source, lineno);
                                ok = false;
                                break;
                        }
                        struct suppression *items = realloc (s->items, (s->n + 1) * sizeof *items);
                        if (!items) {
                                snprintf (error, size, "out of memory");
                                ok = false;
                                break;
                        }
                        s->items = items;
                        s->items[s->n++] = cur;
                        cur = (struct suppression) { 0 };
                        in_block = false;
                        continue;
                }
                char *colon = strchr (t, ':');
                if (!in_block || !colon) {
                        snprintf (error, size, in_block ? "%s:%d: expected 'key: value', got '%.60s'"
                                                        : "%s:%d: expected '{' to start an entry, got '%.60s'",
                                  source, lineno, t);
                        ok = false;
                        break;
                }
                *colon = '\0';
                char *key = trim (t), *value = trim (colon + 1);
                char **field = strcmp (key, "name") == 0           ? &cur.name
                               : strcmp (key, "kind") == 0         ? &cur.kind
                               : strcmp (key, "class") == 0        ? &cur.qt_class
                               : strcmp (key, "python-class") == 0 ? &cur.py_class
                               : strcmp (key, "file") == 0         ? &cur.file
                               : strcmp (key, "function") == 0     ? &cur.function
                                                                   : NULL;
                if (!field) {
                        snprintf (error, size, "%s:%d: unknown key '%.40s' (name, kind, class, python-class, "
                                               "file, function)", source, lineno, key);
                        ok = false;
                        break;
                }
                if (*field) {
                        snprintf (error, size, "%s:%d: '%s' given twice in one entry", source, lineno, key);
                        ok = false;
                        break;
                }
                *field = strdup (value);
        }
        if (ok && in_block) {
                snprintf (error, size, "%s: the entry at line %d has no closing '}'", source, cur.line);
                ok = false;
        }
        if (!ok)
                clear_entry (&cur);
        free (copy);
        return ok;
}

bool
suppressions_load (struct suppressions *s, const char *path, char *error, size_t size)
{
        FILE *f = fopen (path, "r");
        if (!f) {
                snprintf (error, size, "cannot read --suppressions '%s': %s", path, strerror (errno));
                return false;
        }
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream (&text, &len);
        char buf[4096];
        size_t n;
        while (mem && (n = fread (buf, 1, sizeof buf, f)) > 0)
                fwrite (buf, 1, n, mem);
        fclose (f);
        if (!mem) {
                snprintf (error, size, "out of memory");
                return false;
        }
        fclose (mem);
        if (memchr (text, '\0', len)) {
                snprintf (error, size, "--suppressions '%s' is not a text file", path);
                free (text);
                return false;
        }
        bool ok = suppressions_parse (s, text, path, error, size);
        free (text);
        return ok;
}

static bool
glob_ok (const char *pattern, const char *value)
{
        return !pattern || fnmatch (pattern, value ? value : "", 0) == 0;
}

void
suppressions_apply (struct suppressions *s, struct run_result *r)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                struct result_finding *f = &r->findings[i];
                struct pyframe site;
                pyframe_parse (f->creation_stack, f->creation_stack ? strlen (f->creation_stack) : 0,
                                     &site);
                /* A finding whose class could not be named (the object died
                 * before its creating thread named it) is the entry's when
                 * the entry pins where the object was made: same site,
                 * same objects. */
                bool unnamed = f->qt_class && strcmp (f->qt_class, FINDING_CLASS_UNRESOLVED) == 0;
                for (size_t j = 0; j < s->n; j++) {
                        struct suppression *e = &s->items[j];
                        bool pins_site = e->file && e->function;
                        bool class_ok = unnamed && pins_site
                                ? true
                                : glob_ok (e->qt_class, f->qt_class) && glob_ok (e->py_class, f->py_class);
                        if (glob_ok (e->kind, finding_kind_name (f->kind)) && class_ok &&
                            glob_ok (e->file, site.file) && glob_ok (e->function, site.function)) {
                                f->suppressed_by = e->name;
                                e->matched++;
                                break;
                        }
                }
        }
}

bool
suppressions_generate (const struct run_result *r, const char *path, char *error, size_t size)
{
        char *tmp;
        FILE *out = report_file_begin (path, &tmp, error, size);
        if (!out)
                return false;
        fprintf (out, "# qgc-check suppressions for %s (seed %u). Review each entry before\n"
                      "# committing it: a suppressed finding no longer fails the run.\n",
                 r->opts->script, r->seed);
        /* Groups that differ only by thread or generation give the same
         * entry: write each entry once. */
        char **written = calloc (r->n_findings + 1, sizeof *written);
        size_t n_written = 0;
        for (size_t i = 0; written && i < r->n_findings; i++) {
                const struct result_finding *f = &r->findings[i];
                if (f->suppressed_by)
                        continue;
                struct pyframe site;
                pyframe_parse (f->creation_stack, f->creation_stack ? strlen (f->creation_stack) : 0,
                                     &site);
                const char *file = site.file, *function = site.function;
                /* An unnamed class: an entry for a named finding made at the
                 * same site covers it (suppressions_apply); with none, the
                 * entry names the site only, which covers both. */
                if (strcmp (f->qt_class, FINDING_CLASS_UNRESOLVED) == 0 && *file && *function) {
                        bool named_here = false;
                        for (size_t k = 0; k < r->n_findings && !named_here; k++) {
                                const struct result_finding *g = &r->findings[k];
                                struct pyframe gs;
                                pyframe_parse (g->creation_stack,
                                                     g->creation_stack ? strlen (g->creation_stack) : 0, &gs);
                                named_here = k != i && g->kind == f->kind && !g->suppressed_by &&
                                             strcmp (g->qt_class, FINDING_CLASS_UNRESOLVED) != 0 &&
                                             strcmp (gs.file, file) == 0 && strcmp (gs.function, function) == 0;
                        }
                        if (named_here)
                                continue;
                }
                bool unnamed = strcmp (f->qt_class, FINDING_CLASS_UNRESOLVED) == 0 && *file && *function;
                char *block = NULL;
                size_t len = 0;
                FILE *b = open_memstream (&block, &len);
                if (!b)
                        break;
                fprintf (b, "\n{\n   name: %s %s%s%s from %s\n   kind: %s\n", finding_kind_name (f->kind),
                         *f->qt_class ? f->qt_class : "", *f->py_class ? " of " : "", f->py_class,
                         *function ? function : "unknown site", finding_kind_name (f->kind));
                if (*f->qt_class && !unnamed)
                        fprintf (b, "   class: %s\n", f->qt_class);
                if (*f->py_class)
                        fprintf (b, "   python-class: %s\n", f->py_class);
                if (*file)
                        fprintf (b, "   file: %s\n", file);
                if (*function)
                        fprintf (b, "   function: %s\n", function);
                fprintf (b, "}\n");
                fclose (b);
                bool seen = false;
                for (size_t j = 0; j < n_written && !seen; j++)
                        seen = strcmp (written[j], block) == 0;
                if (seen) {
                        free (block);
                        continue;
                }
                fputs (block, out);
                written[n_written++] = block;
        }
        for (size_t j = 0; j < n_written; j++)
                free (written[j]);
        free (written);
        return report_file_commit (out, path, tmp, error, size);
}

void
suppressions_free (struct suppressions *s)
{
        for (size_t i = 0; i < s->n; i++)
                clear_entry (&s->items[i]);
        free (s->items);
        s->items = NULL;
        s->n = 0;
}
