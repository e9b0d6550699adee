/* SPDX-License-Identifier: MIT */
/* Unit tests of a finding's native stack lines (cmocka). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/native-stack.h"

static void
round_trip (void **state)
{
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        native_stack_write (out, "QObject::~QObject()", "/usr/lib/x86_64-linux-gnu/libQt6Core.so.6");
        native_stack_write (out, "QList<QObject*>::operator[](long long) const", "libapp.so");
        native_stack_write (out, NULL, "/opt/x/liby.so");
        fclose (out);
        static const char *const want[][2] = {
                { "QObject::~QObject()", "libQt6Core.so.6" },
                { "QList<QObject*>::operator[](long long) const", "libapp.so" },
                { "??", "liby.so" },
        };
        const char *cursor = text;
        struct native_frame fr;
        for (size_t i = 0; i < 3; i++) {
                assert_true (native_stack_next (&cursor, &fr));
                assert_int_equal (fr.function_len, strlen (want[i][0]));
                assert_memory_equal (fr.function, want[i][0], fr.function_len);
                assert_int_equal (fr.library_len, strlen (want[i][1]));
                assert_memory_equal (fr.library, want[i][1], fr.library_len);
        }
        assert_false (native_stack_next (&cursor, &fr));
        free (text);
}

static void
a_line_without_a_library (void **state)
{
        const char *cursor = "f()";
        struct native_frame fr;
        assert_true (native_stack_next (&cursor, &fr));
        assert_int_equal (fr.function_len, 3);
        assert_int_equal (fr.library_len, 0);
        assert_false (native_stack_next (&cursor, &fr));
        cursor = NULL;
        assert_false (native_stack_next (&cursor, &fr));
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (round_trip),
                cmocka_unit_test (a_line_without_a_library),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
