/* SPDX-License-Identifier: MIT */
/* Unit tests of the Python frame line (cmocka): what the runner writes,
 * the supervisor reads back, whatever the file name holds. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/pyframe.h"

static void
round_trip (void **state)
{
        static const struct {
                const char *file;
                long line;
                const char *function;
        } cases[] = {
                { "/home/u/app/legend.py", 17, "Legend.__init__" },
                { "dir/ré gress.py", 1, "<module>" },
                { "C:/odd: in name:3.py", 20, "make_probe" },     /* ": in " and ":3" in the file */
                { "/tmp/x.py", 123456, "f.<locals>.<lambda>" },
                { "<string>", 2, "<genexpr>" },
        };
        char buf[4096];
        size_t used = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                pyframe_write (buf, sizeof buf, &used, cases[i].file, cases[i].line, cases[i].function);
        assert_int_equal (buf[used - 1], '\n');
        const char *cursor = buf;
        struct pyframe fr;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                assert_true (pyframe_next (&cursor, &fr));
                assert_string_equal (fr.file, cases[i].file);
                assert_int_equal (fr.line, cases[i].line);
                assert_string_equal (fr.function, cases[i].function);
        }
        assert_false (pyframe_next (&cursor, &fr));
}

static void
a_line_that_does_not_fit_is_left_out (void **state)
{
        char buf[32];
        size_t used = 0;
        pyframe_write (buf, sizeof buf, &used, "a.py", 1, "f");
        size_t first = used;
        pyframe_write (buf, sizeof buf, &used, "/a/very/long/path/name.py", 1, "function");
        assert_int_equal (used, first);
        struct pyframe fr;
        assert_true (pyframe_parse (buf, used, &fr));
        assert_string_equal (fr.file, "a.py");
}

static void
other_lines_are_not_frames (void **state)
{
        struct pyframe fr;
        static const char *const lines[] = { "", "no frame here", "file.py: in f", "file.py:x: in f",
                                             ":12: in f", "Traceback (most recent call last):" };
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
                assert_false (pyframe_parse (lines[i], strlen (lines[i]), &fr));
        const char *stack = "noise\na.py:3: in f\nmore noise\n";
        const char *cursor = stack;
        assert_true (pyframe_next (&cursor, &fr));
        assert_int_equal (fr.line, 3);
        assert_false (pyframe_next (&cursor, &fr));
        /* Only the first line of the text counts. */
        assert_true (pyframe_parse ("b.py:9: in g\na.py:3: in f", 26, &fr));
        assert_string_equal (fr.function, "g");
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (round_trip),
                cmocka_unit_test (a_line_that_does_not_fit_is_left_out),
                cmocka_unit_test (other_lines_are_not_frames),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
