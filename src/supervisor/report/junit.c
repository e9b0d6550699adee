/* SPDX-License-Identifier: MIT */
/* junit.c: JUnit XML as Jenkins, GitLab and GitHub read it, written
 * with libxml2's writer: one test suite for the run, a failing test case per
 * finding group, an error for a crash, a hang or a script error, and one
 * passing case for a clean run. */
#include "config.h"

#include "supervisor/report/report.h"
#include "supervisor/report/finding-text.h"
#include "common/pyframe.h"

#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/report/file.h"

static int
attr (xmlTextWriterPtr w, const char *name, const char *value)
{
        return xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST (value ? value : ""));
}

static int
attr_int (xmlTextWriterPtr w, const char *name, long long value)
{
        return xmlTextWriterWriteFormatAttribute (w, BAD_CAST name, "%lld", value);
}

/* XML 1.0 cannot carry most control characters: drop them. */
static char *
xml_text (const char *s)
{
        char *out = strdup (s ? s : "");
        char *o = out;
        for (const unsigned char *p = (const unsigned char *) (s ? s : ""); out && *p; p++)
                if (*p >= 0x20 || *p == '\n' || *p == '\t' || *p == '\r')
                        *o++ = (char) *p;
        if (o)
                *o = '\0';
        return out;
}

static void
write_text_element (xmlTextWriterPtr w, const char *element, const char *type, const char *message,
                    const char *body)
{
        char *m = xml_text (message), *b = xml_text (body);
        xmlTextWriterStartElement (w, BAD_CAST element);
        attr (w, "type", type);
        attr (w, "message", m);
        xmlTextWriterWriteString (w, BAD_CAST (b ? b : ""));
        xmlTextWriterEndElement (w);
        free (m);
        free (b);
}

/* Findings in the same test share its name: then each gets its own. */
static bool
test_has_other_findings (const struct run_result *r, const struct result_finding *f)
{
        for (size_t i = 0; i < r->n_findings; i++)
                if (&r->findings[i] != f && strcmp (r->findings[i].test, f->test) == 0)
                        return true;
        return false;
}

/* The finding's text as the text report prints it with -v (stacks
 * included, no colour): one text for both; malloc'd. */
static char *
finding_body (const struct result_finding *f)
{
        char *body = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&body, &size);
        if (!out)
                return NULL;
        report_finding_text (out, f, true, "", "");
        fclose (out);
        return body;
}

/* The test case's name: the test that was running ("file.py::test_x")
 * when there is one, else the finding's name under the script. */
static void
write_case_name (xmlTextWriterPtr w, const struct run_result *r, const struct result_finding *f)
{
        char *name = xml_text (f->name);
        if (*f->test) {
                const char *sep = strstr (f->test, "::");
                char *file = sep ? strndup (f->test, (size_t) (sep - f->test)) : strdup (f->test);
                const char *test = sep ? sep + 2 : f->test;
                char *unique = NULL;
                if (test_has_other_findings (r, f) && asprintf (&unique, "%s [%s]", test, name) < 0)
                        unique = NULL;
                attr (w, "classname", file);
                attr (w, "name", unique ? unique : test);
                free (unique);
                free (file);
        } else {
                attr (w, "classname", r->script);
                attr (w, "name", name);
        }
        free (name);
}

/* A failing case for a finding that makes the verdict a race, a passing
 * one (its text as output) for a warning, a skipped one when suppressed. */
static void
write_finding (xmlTextWriterPtr w, const struct run_result *r, const struct result_finding *f)
{
        xmlTextWriterStartElement (w, BAD_CAST "testcase");
        write_case_name (w, r, f);
        /* file/line attributes: GitLab and Jenkins link them. */
        struct pyframe site;
        if (f->creation_site && pyframe_parse (f->creation_site, strlen (f->creation_site), &site)) {
                attr (w, "file", site.file);
                attr_int (w, "line", site.line);
        }
        attr (w, "time", "0");
        if (f->role == ROLE_SUPPRESSED) {
                xmlTextWriterStartElement (w, BAD_CAST "skipped");
                char *why = NULL;
                if (asprintf (&why, "suppressed by '%s'", f->suppressed_by) < 0)
                        why = NULL;
                attr (w, "message", why);
                free (why);
                xmlTextWriterEndElement (w);
        } else if (f->role == ROLE_WARNING) {
                char *body = finding_body (f);
                char *b = xml_text (body);
                xmlTextWriterWriteElement (w, BAD_CAST "system-out", BAD_CAST (b ? b : ""));
                free (b);
                free (body);
        } else {
                char *body = finding_body (f);
                write_text_element (w, "failure", finding_kind_name (f->kind), f->title, body);
                free (body);
        }
        xmlTextWriterEndElement (w);
}

static void
write_run_case (xmlTextWriterPtr w, const struct run_result *r)
{
        xmlTextWriterStartElement (w, BAD_CAST "testcase");
        bool run_failed = r->verdict == VERDICT_CRASH || r->verdict == VERDICT_HANG ||
                          (r->verdict == VERDICT_INCOMPLETE && r->stopped);
        if (run_failed && r->running_test) {
                /* The crash or hang happened in this test: attach it there. */
                const char *sep = strstr (r->running_test, "::");
                char *file = sep ? strndup (r->running_test, (size_t) (sep - r->running_test))
                                 : strdup (r->running_test);
                attr (w, "classname", file);
                attr (w, "name", sep ? sep + 2 : r->running_test);
                free (file);
        } else {
                attr (w, "classname", r->script);
                attr (w, "name", "run");
        }
        xmlTextWriterWriteFormatAttribute (w, BAD_CAST "time", "%.3f", r->sup.elapsed_s);
        if (r->verdict == VERDICT_CRASH)
                write_text_element (w, "error", "crash", r->crash_reason, r->dump);
        else if (r->verdict == VERDICT_HANG) {
                char *msg = NULL;
                if (asprintf (&msg, "GUI event loop stalled; GIL held by %s; GUI thread waits for %s%s%s",
                              r->gil_holder ? r->gil_holder : "unknown",
                              r->gui_waiting ? r->gui_waiting : "unknown",
                              r->collector ? "; a collection was running in " : "",
                              r->collector ? r->collector : "") < 0)
                        msg = NULL;
                write_text_element (w, "error", "hang", msg, r->dump);
                free (msg);
        } else if (r->error && r->verdict != VERDICT_RACE)
                write_text_element (w, "error", "script-error", r->error, r->sup.stderr_tail);
        else if (r->verdict == VERDICT_INCOMPLETE)
                write_text_element (w, "error", "incomplete", r->incomplete,
                                    r->stopped ? r->dump : r->sup.stderr_tail);
        xmlTextWriterEndElement (w);
}

bool
report_write_junit (const struct run_result *r, const char *path, char *error, size_t size)
{
        char *tmp;
        FILE *f = report_file_begin (path, &tmp, error, size);
        if (!f)
                return false;
        xmlBufferPtr buf = xmlBufferCreate ();
        xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory (buf, 0) : NULL;
        if (!w) {
                snprintf (error, size, "cannot create the JUnit writer");
                report_file_commit (f, path, tmp, error, size);
                return false;
        }
        xmlTextWriterSetIndent (w, 1);
        xmlTextWriterStartDocument (w, NULL, "UTF-8", NULL);

        bool run_failed = r->verdict == VERDICT_CRASH || r->verdict == VERDICT_HANG ||
                          r->verdict == VERDICT_INCOMPLETE || (r->error && r->verdict != VERDICT_RACE);
        long long tests = (long long) r->n_findings + 1;
        xmlTextWriterStartElement (w, BAD_CAST "testsuites");
        attr (w, "name", "qgc-check");
        attr_int (w, "tests", tests);
        long long failures = (long long) r->n_races;
        attr_int (w, "failures", failures);
        attr_int (w, "errors", run_failed);
        xmlTextWriterStartElement (w, BAD_CAST "testsuite");
        attr (w, "name", r->script);
        attr_int (w, "tests", tests);
        attr_int (w, "failures", failures);
        attr_int (w, "errors", run_failed);
        attr_int (w, "skipped", (long long) r->n_suppressed);
        xmlTextWriterWriteFormatAttribute (w, BAD_CAST "time", "%.3f", r->sup.elapsed_s);
        xmlTextWriterStartElement (w, BAD_CAST "properties");
        static const char *const names[] = { "verdict", "seed", "binding", "qt_version" };
        char seed[16];
        snprintf (seed, sizeof seed, "%u", r->seed);
        const char *values[] = { verdict_name (r->verdict), seed, r->binding, r->qt_version };
        for (size_t i = 0; i < 4; i++) {
                xmlTextWriterStartElement (w, BAD_CAST "property");
                attr (w, "name", names[i]);
                attr (w, "value", values[i]);
                xmlTextWriterEndElement (w);
        }
        xmlTextWriterEndElement (w);
        write_run_case (w, r);
        for (size_t i = 0; i < r->n_findings; i++)
                write_finding (w, r, &r->findings[i]);
        xmlTextWriterEndDocument (w);
        xmlFreeTextWriter (w);
        fwrite (xmlBufferContent (buf), 1, (size_t) xmlBufferLength (buf), f);
        xmlBufferFree (buf);
        return report_file_commit (f, path, tmp, error, size);
}
