/* SPDX-License-Identifier: MIT */
/* Unit tests of the crash and hang dump's format (cmocka): what the
 * runner's handlers write, the supervisor's reader gets back. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/dump-format.h"

static size_t
write_dump (char *buf, size_t size)
{
        struct dump_writer w = { buf, size, 0 };
        dump_write_thread (&w, &(struct dump_thread) { .tid = 4242, .ident = 0x7f00aa, .gil = false,
                                                        .main = true, .crashed = "yes",
                                                        .name = "qgc-check-runne",
                                                        .has_fault_addr = true, .fault_addr = 0x10 });
        dump_write_frame (&w, 0, 0x5501f, "crash_handler", 0x1f, "/usr/lib/qgc-check/qgc-check-runner",
                          0x501f, false);
        dump_write_frame (&w, 1, 0x7f0040, "QObject::~QObject()", 0x40, "/lib/libQt6Core.so.6", 0x2c3b1, true);
        dump_write_frame (&w, 2, 0x99, NULL, 0, NULL, 0, false);
        dump_write_thread (&w, &(struct dump_thread) { .tid = 4243, .ident = 0x7f00bb, .gil = true,
                                                        .main = false, .crashed = "no",
                                                        .name = "qgc-stress-1" });
        dump_write_frame (&w, 0, 0x7e0010, NULL, 0, "libpython3.11.so", 0x1234, true);
        dump_put (&w, DUMP_PYTHON);
        dump_put (&w, "Current thread 0x00007f00aa (most recent call first):\n");
        dump_put (&w, DUMP_END);
        buf[w.used] = '\0';
        return w.used;
}

static void
round_trip (void **state)
{
        char buf[2048];
        size_t len = write_dump (buf, sizeof buf - 1);
        assert_true (dump_complete (buf, len));
        const char *cursor = buf;
        struct dump_section s;
        assert_true (dump_next_section (&cursor, &s));
        struct dump_header h;
        dump_parse_header (&s, &h);
        assert_int_equal (h.tid, 4242);
        assert_string_equal (h.ident, "0x7f00aa");
        assert_true (h.main);
        assert_string_equal (h.name, "qgc-check-runne");
        assert_string_equal (h.crashed, "yes");
        assert_true (h.has_fault_addr);
        assert_int_equal (h.fault_addr, 0x10);
        assert_true (dump_section_has (&s, " crashed=yes"));
        assert_false (dump_section_has (&s, " gil=yes"));

        struct dump_frame f[3];
        const char *p = s.body;
        for (int i = 0; i < 3; i++) {
                const char *eol = memchr (p, '\n', (size_t) (s.end - p));
                assert_non_null (eol);
                assert_true (dump_parse_frame (p, (size_t) (eol - p), &f[i]));
                p = eol + 1;
        }
        assert_ptr_equal (p, s.end);
        assert_int_equal (f[0].name_len, strlen ("crash_handler"));
        assert_memory_equal (f[0].module, "qgc-check-runner", f[0].module_len);
        assert_false (f[0].interrupted);
        /* A demangled name holds spaces; the module is its base name. */
        assert_memory_equal (f[1].name, "QObject::~QObject()", f[1].name_len);
        assert_memory_equal (f[1].module, "libQt6Core.so.6", f[1].module_len);
        assert_int_equal (f[1].module_len, strlen ("libQt6Core.so.6"));
        assert_true (f[1].interrupted);
        assert_true (f[1].has_pc && f[1].has_offset && f[1].has_module_offset);
        assert_int_equal (f[1].pc, 0x7f0040);
        assert_int_equal (f[1].offset, 0x40);
        assert_int_equal (f[1].module_offset, 0x2c3b1);
        assert_memory_equal (f[2].name, "??", f[2].name_len);
        assert_false (f[2].has_offset);
        assert_null (f[2].module);

        assert_true (dump_next_section (&cursor, &s));
        dump_parse_header (&s, &h);
        assert_int_equal (h.tid, 4243);
        assert_true (dump_section_has (&s, " gil=yes"));
        assert_false (h.main);
        /* The Python section ends the last thread's. */
        assert_int_equal (s.end[0], '@');
        assert_false (dump_next_section (&cursor, &s));

        const char *py = dump_python_tracebacks (buf);
        assert_non_null (py);
        assert_true (strncmp (py, "Current thread ", 15) == 0);
}

static void
finding_sections (void **state)
{
        char buf[2048];
        write_dump (buf, sizeof buf - 1);
        struct dump_section s;
        assert_true (dump_find_section (buf, " gil=yes", &s));
        struct dump_header h;
        dump_parse_header (&s, &h);
        assert_int_equal (h.tid, 4243);
        assert_true (dump_find_thread (buf, 4242, &s));
        assert_true (dump_find_section (buf, " main=yes", &s));
        assert_false (dump_find_thread (buf, 42, &s));
        assert_false (dump_find_section (buf, " crashed=handler", &s));
}

static void
the_python_name_the_supervisor_adds (void **state)
{
        const char *dump = "@thread 7 0x1 gil=no main=no crashed=no name=Thread (pooled) python=my worker 1\n"
                           "#0 poll+0x1 in libc.so.6\n";
        struct dump_section s;
        const char *cursor = dump;
        assert_true (dump_next_section (&cursor, &s));
        struct dump_header h;
        dump_parse_header (&s, &h);
        assert_string_equal (h.name, "my worker 1");
}

static void
cut_and_empty_dumps (void **state)
{
        char buf[64];
        struct dump_writer w = { buf, 20, 0 };
        dump_write_thread (&w, &(struct dump_thread) { .tid = 1, .crashed = "no", .name = "x" });
        assert_int_equal (w.used, 20); /* cut, never past the buffer */
        assert_false (dump_complete ("@thread 1", 9));
        assert_false (dump_complete (NULL, 0));
        const char *cursor = "";
        struct dump_section s;
        assert_false (dump_next_section (&cursor, &s));
        cursor = "#0 f+0x1 in a.so\n@thread 5 0x1"; /* a header without its line end */
        assert_false (dump_next_section (&cursor, &s));
        assert_null (dump_python_tracebacks ("@thread 1 0x1\n"));
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (round_trip),
                cmocka_unit_test (finding_sections),
                cmocka_unit_test (the_python_name_the_supervisor_adds),
                cmocka_unit_test (cut_and_empty_dumps),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
