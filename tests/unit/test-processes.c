/* SPDX-License-Identifier: MIT */
/* Unit tests of the run's process list (cmocka): what the follow directory
 * holds becomes one entry per process, in the order they started. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/processes.h"

static void
write_record (const char *dir, const char *name, const char *text, size_t len)
{
        char path[512];
        snprintf (path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen (path, "w");
        assert_non_null (f);
        fwrite (text, 1, len, f);
        fclose (f);
}

static struct channel *
child_channel (const char *dir, int pid, enum channel_origin origin, const char *binding)
{
        struct channel *ch = channel_create_file (dir);
        assert_non_null (ch);
        atomic_store (&ch->runner_pid, pid);
        atomic_store (&ch->start_ns, channel_now_ns ());
        ch->process.origin = origin;
        memcpy (ch->process.argv, "python3\0-c\0pass\0", 16);
        ch->process.argv_length = 16;
        snprintf (ch->binding, sizeof ch->binding, "%s", binding);
        return ch;
}

#define RECORD(pid, reason, argv) pid "\n1\n" reason "\n" argv

static void
one_entry_per_process (void **state)
{
        char dir[] = "/tmp/qgc-test-processes-XXXXXX";
        assert_non_null (mkdtemp (dir));
        struct channel *main_ch = channel_create ();
        atomic_store (&main_ch->runner_pid, 10);
        /* pid 100: a wrapper script named python3, then the interpreter it runs. */
        static const char wrapper[] = RECORD ("100", "another Python interpreter than the run's", "/shims/python3\0");
        static const char other[] = RECORD ("100", "another Python interpreter than the run's", "/opt/py/python3.12\0");
        write_record (dir, "u100-5", wrapper, sizeof wrapper - 1);
        write_record (dir, "u100-9", other, sizeof other - 1);
        /* pid 200: a wrapper that exec'd the run's own interpreter. */
        static const char early[] = RECORD ("200", "another Python interpreter than the run's", "/shims/python\0");
        write_record (dir, "u200-1", early, sizeof early - 1);
        channel_destroy (child_channel (dir, 200, PROCESS_EXEC, ""));
        /* A fork that never loaded Qt, and one that did. */
        channel_destroy (child_channel (dir, 300, PROCESS_FORK, ""));
        channel_destroy (child_channel (dir, 301, PROCESS_FORK, "PyQt6 6.4.2"));

        struct run_processes list;
        processes_collect (&list, main_ch, dir);
        processes_remove (dir);
        assert_int_equal (list.n, 4);
        assert_int_equal (list.n_unchecked, 1);
        assert_int_equal (list.list[0].pid, 10);
        assert_string_equal (list.list[0].origin, "main");
        size_t found = 0;
        for (size_t i = 1; i < list.n; i++) {
                const struct run_process *p = &list.list[i];
                if (p->pid == 100) {
                        assert_false (p->checked);
                        assert_string_equal (p->argv[0], "/opt/py/python3.12");
                        found++;
                } else if (p->pid == 200) {
                        assert_true (p->checked);
                        assert_string_equal (p->origin, "exec");
                        assert_string_equal (p->outcome, "killed");
                        found++;
                } else if (p->pid == 301) {
                        assert_string_equal (p->origin, "fork");
                        assert_string_equal (p->binding, "PyQt6 6.4.2");
                        found++;
                }
        }
        assert_int_equal (found, 3);
        processes_free (&list);
        channel_destroy (main_ch);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (one_entry_per_process),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
