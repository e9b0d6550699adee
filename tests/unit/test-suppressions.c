/* SPDX-License-Identifier: MIT */
/* Unit tests of the suppression file parser and matcher (cmocka). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/suppressions.h"

static const char good[] =
        "# QPicture keeps a private QBuffer\n"
        "{\n"
        "   name: qpicture buffer\n"
        "   kind: off-thread-finalization\n"
        "   class: QBuffer\n"
        "   file: */pyqtgraph/*\n"
        "}\n"
        "\n"
        "{\n"
        "  name: any legend\n"
        "  python-class: Legend*\n"
        "  function: Legend*.__init__\n"
        "}\n";

static void
parses_blocks (void **state)
{
        struct suppressions s = { 0 };
        char err[256];
        assert_true (suppressions_parse (&s, good, "x.supp", err, sizeof err));
        assert_int_equal (s.n, 2);
        assert_string_equal (s.items[0].name, "qpicture buffer");
        assert_string_equal (s.items[0].qt_class, "QBuffer");
        assert_null (s.items[0].py_class);
        assert_int_equal (s.items[1].line, 9);
        suppressions_free (&s);
}

static void
matches_by_glob (void **state)
{
        struct suppressions s = { 0 };
        char err[256];
        assert_true (suppressions_parse (&s, good, "x.supp", err, sizeof err));
        struct result_finding f[2] = {
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = "QBuffer", .py_class = "",
                  .creation_stack = "/usr/lib/python3/dist-packages/pyqtgraph/x.py:10: in f\n" },
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = "QGraphicsTextItem",
                  .py_class = "LegendEntry", .creation_stack = "/app/a.py:14: in LegendEntry.__init__\n" },
        };
        struct options opts = { 0 };
        struct run_result r = { .findings = f, .n_findings = 2, .opts = &opts };
        suppressions_apply (&s, &r);
        assert_string_equal (f[0].suppressed_by, "qpicture buffer");
        assert_string_equal (f[1].suppressed_by, "any legend");
        assert_int_equal (s.items[0].matched, 1);
        suppressions_free (&s);
}

static void
rejects_bad_files (void **state)
{
        static const char *const bad[] = {
                "{\n name: a\n",              /* no closing brace */
                "{\n kind: x\n}\n",           /* no name */
                "name: a\n",                  /* outside a block */
                "{\n name: a\n colour: red\n}\n", /* unknown key */
                "{\n name: a\n name: b\n}\n", /* twice */
                "}\n",
                "{\n{\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct suppressions s = { 0 };
                char err[256] = "";
                assert_false (suppressions_parse (&s, bad[i], "bad.supp", err, sizeof err));
                assert_true (strncmp (err, "bad.supp", 8) == 0);
                assert_null (strchr (err, '\n'));
                suppressions_free (&s);
        }
}

/* A finding whose class was never named matches an entry that pins where
 * the object was made (file and function), and only such an entry. */
static void
unresolved_class_matches_by_site (void **state)
{
        static const char text[] =
                "{\n  name: legend label\n  class: QGraphicsTextItem\n"
                "  file: /app/a.py\n  function: LegendEntry.__init__\n}\n"
                "{\n  name: any buffer\n  class: QBuffer\n}\n";
        struct suppressions s = { 0 };
        char err[256];
        assert_true (suppressions_parse (&s, text, "x.supp", err, sizeof err));
        struct result_finding f[2] = {
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = FINDING_CLASS_UNRESOLVED,
                  .py_class = "", .creation_stack = "/app/a.py:14: in LegendEntry.__init__\n" },
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = FINDING_CLASS_UNRESOLVED,
                  .py_class = "", .creation_stack = "/app/b.py:3: in make\n" },
        };
        struct options opts = { 0 };
        struct run_result r = { .findings = f, .n_findings = 2, .opts = &opts };
        suppressions_apply (&s, &r);
        assert_string_equal (f[0].suppressed_by, "legend label");
        assert_null (f[1].suppressed_by);
        suppressions_free (&s);
}

/* Generated entries: an unnamed finding made where a named one was made
 * gets no entry of its own (the named one's covers it); alone, it gets one
 * that names its site but no class. */
static void
generate_folds_unresolved (void **state)
{
        struct result_finding f[3] = {
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = "QGraphicsTextItem",
                  .py_class = "", .creation_stack = "/app/a.py:14: in LegendEntry.__init__\n" },
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = FINDING_CLASS_UNRESOLVED,
                  .py_class = "", .creation_stack = "/app/a.py:14: in LegendEntry.__init__\n" },
                { .kind = FINDING_OFF_THREAD_FINALIZATION, .qt_class = FINDING_CLASS_UNRESOLVED,
                  .py_class = "", .creation_stack = "/app/b.py:3: in make\n" },
        };
        struct options opts = { .script = "app.py" };
        struct run_result r = { .findings = f, .n_findings = 3, .opts = &opts };
        char path[] = "/tmp/qgc-supp-XXXXXX";
        int fd = mkstemp (path);
        assert_true (fd >= 0);
        close (fd);
        char err[256];
        assert_true (suppressions_generate (&r, path, err, sizeof err));
        FILE *in = fopen (path, "r");
        char text[4096] = "";
        size_t n = fread (text, 1, sizeof text - 1, in);
        text[n] = '\0';
        fclose (in);
        unlink (path);
        struct suppressions s = { 0 };
        assert_true (suppressions_parse (&s, text, path, err, sizeof err));
        assert_int_equal (s.n, 2);
        assert_string_equal (s.items[0].qt_class, "QGraphicsTextItem");
        assert_null (s.items[1].qt_class);
        assert_string_equal (s.items[1].function, "make");
        suppressions_free (&s);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (parses_blocks),
                cmocka_unit_test (matches_by_glob),
                cmocka_unit_test (unresolved_class_matches_by_site),
                cmocka_unit_test (generate_folds_unresolved),
                cmocka_unit_test (rejects_bad_files),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
