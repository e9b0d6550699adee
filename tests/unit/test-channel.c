/* SPDX-License-Identifier: MIT */
/* Unit tests of the shared findings channel (cmocka): grouping, interning,
 * and that what one process writes another reads after the writer died. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/channel.h"

static void
interning (void **state)
{
        struct channel *ch = channel_create ();
        assert_non_null (ch);
        uint32_t a = channel_intern (ch, "QGraphicsTextItem");
        uint32_t b = channel_intern (ch, "QGraphicsTextItem");
        uint32_t c = channel_intern (ch, "MainThread");
        assert_int_not_equal (a, 0);
        assert_int_equal (a, b);
        assert_int_not_equal (a, c);
        assert_string_equal (channel_string (ch, a), "QGraphicsTextItem");
        assert_int_equal (channel_intern (ch, ""), 0);
        assert_string_equal (channel_string (ch, 0), "");
        assert_string_equal (channel_string (ch, 0xffffffffu), "");
}

static void
grouping (void **state)
{
        struct channel *ch = channel_create ();
        struct finding f = { .kind = FINDING_OFF_THREAD_FINALIZATION, .cause = CAUSE_CYCLIC_GC,
                             .gc_generation = 0, .qt_class = channel_intern (ch, "A") };
        for (int i = 0; i < 1000; i++)
                channel_add_finding (ch, &f);
        f.cause = CAUSE_REFCOUNT;
        f.gc_generation = -1;
        channel_add_finding (ch, &f);
        struct channel_group *groups[8];
        size_t n = channel_groups (ch, groups, 8);
        assert_int_equal (n, 2);
        uint64_t total = atomic_load (&groups[0]->count) + atomic_load (&groups[1]->count);
        assert_int_equal (total, 1001);
}

/* More distinct findings than groups: none is lost, counts stay exact,
 * the overflow lands in merged groups by class, then by kind. */
static void
never_drops_a_finding (void **state)
{
        struct channel *ch = channel_create ();
        uint32_t classes[4];
        for (int c = 0; c < 4; c++) {
                char name[8];
                snprintf (name, sizeof name, "C%d", c);
                classes[c] = channel_intern (ch, name);
        }
        const uint64_t n_findings = 20000;
        for (uint64_t i = 0; i < n_findings; i++) {
                struct finding f = { .kind = FINDING_OFF_THREAD_FINALIZATION, .cause = CAUSE_CYCLIC_GC,
                                     .qt_class = classes[i % 4], .creation_stack = (uint32_t) i + 1000 };
                channel_add_finding (ch, &f);
                if (i % 7 == 0)
                        channel_add_finding (ch, &f); /* repeats go to the same group */
        }
        for (uint64_t i = 0; i < 600; i++) {
                struct finding w = { .kind = FINDING_THREAD_WARNING, .message = (uint32_t) i + 1 };
                channel_add_finding (ch, &w);
                /* more classes than the groups by class can hold */
                struct finding f = { .kind = FINDING_OFF_THREAD_FINALIZATION, .cause = CAUSE_REFCOUNT,
                                     .qt_class = (uint32_t) i + 100000 };
                channel_add_finding (ch, &f);
        }
        static struct channel_group *groups[CHANNEL_MAX_GROUPS];
        size_t n = channel_groups (ch, groups, CHANNEL_MAX_GROUPS);
        uint64_t total = 0, by_class = 0, by_kind = 0;
        for (size_t i = 0; i < n; i++) {
                total += atomic_load (&groups[i]->count);
                by_class += groups[i]->merged == MERGE_CLASS;
                by_kind += groups[i]->merged == MERGE_KIND;
        }
        assert_true (n <= CHANNEL_MAX_GROUPS);
        assert_int_equal (total, n_findings + (n_findings + 6) / 7 + 1200);
        assert_int_equal (atomic_load (&ch->stats.dropped), 0);
        assert_true (atomic_load (&ch->stats.merged) > 0);
        assert_true (by_class > 5);     /* C0..C3, the warnings' (none), some new classes */
        assert_int_equal (by_kind, 1);  /* the classes that came after */
        channel_destroy (ch);
}

static void
survives_the_writer_dying (void **state)
{
        struct channel *ch = channel_create ();
        pid_t pid = fork ();
        if (pid == 0) {
                struct finding f = { .kind = FINDING_THREAD_WARNING,
                                     .message = channel_intern (ch, "Timers cannot be stopped") };
                channel_add_finding (ch, &f);
                /* Every descriptor closed, then killed: the mapping stays. */
                for (int fd = 0; fd < 1024; fd++)
                        close (fd);
                raise (SIGKILL);
        }
        int status;
        waitpid (pid, &status, 0);
        assert_true (WIFSIGNALED (status));
        struct channel_group *groups[4];
        assert_int_equal (channel_groups (ch, groups, 4), 1);
        assert_string_equal (channel_string (ch, groups[0]->finding.message), "Timers cannot be stopped");
}

static void
dump_is_bounded (void **state)
{
        struct channel *ch = channel_create ();
        char big[4096];
        memset (big, 'x', sizeof big);
        for (int i = 0; i < 300; i++)
                channel_dump_append (ch, big, sizeof big);
        assert_true (atomic_load (&ch->dump.length) >= CHANNEL_DUMP_SIZE);
}

/* A finding of the hundred children's test: its strings interned in the
 * order given, so that each process's ids differ. */
static struct finding
child_finding (struct channel *ch, bool other_order)
{
        if (other_order)
                channel_intern (ch, "something else first");
        struct finding f = { .kind = FINDING_OFF_THREAD_FINALIZATION, .cause = CAUSE_REFCOUNT,
                             .gc_generation = -1 };
        f.finalizing_thread = channel_intern (ch, "dropper");
        f.qt_class = channel_intern (ch, "QGraphicsTextItem");
        f.owner_thread = channel_intern (ch, "MainThread");
        return f;
}

/* A hundred processes, each with its own channel file, counted into the
 * main channel: one group, its count the exact sum, first seen in the
 * main process; the stats summed. */
static void
merges_processes_exactly (void **state)
{
        char dir[] = "/tmp/qgc-test-channel-XXXXXX";
        assert_non_null (mkdtemp (dir));
        struct channel *main_ch = channel_create ();
        atomic_store (&main_ch->start_ns, channel_now_ns ());
        struct finding f = child_finding (main_ch, false);
        channel_add_finding (main_ch, &f);
        channel_add_finding (main_ch, &f);
        for (int i = 0; i < 100; i++) {
                pid_t pid = fork ();
                if (pid == 0) {
                        struct channel *ch = channel_create_file (dir);
                        if (!ch)
                                _exit (1);
                        atomic_store (&ch->start_ns, channel_now_ns ());
                        struct finding g = child_finding (ch, i % 2);
                        for (int k = 0; k < 3; k++)
                                channel_add_finding (ch, &g);
                        atomic_fetch_add (&ch->stats.objects_created, 6);
                        /* and its threads' own counts, as the probe keeps them */
                        struct channel_object_counts *c = channel_claim_object_counts (ch);
                        if (!c)
                                _exit (1);
                        atomic_store_explicit (&c->created, 4, memory_order_relaxed);
                        atomic_store_explicit (&c->destroyed, 3, memory_order_relaxed);
                        _exit (0); /* no unmapping: the file keeps what was written */
                }
                int status;
                waitpid (pid, &status, 0);
                assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
        }
        DIR *d = opendir (dir);
        struct dirent *e;
        uint32_t process = 0;
        while ((e = readdir (d))) {
                char path[512];
                if (e->d_name[0] == '.')
                        continue;
                snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
                struct channel *ch = channel_open_file (path);
                assert_non_null (ch);
                channel_merge (main_ch, ch, ++process);
                channel_destroy (ch);
                unlink (path);
        }
        closedir (d);
        rmdir (dir);
        assert_int_equal (process, 100);
        struct channel_group *groups[4];
        assert_int_equal (channel_groups (main_ch, groups, 4), 1);
        assert_int_equal (atomic_load (&groups[0]->count), 302);
        assert_int_equal (groups[0]->process, 0);
        assert_int_equal (groups[0]->other_processes, 100);
        assert_string_equal (channel_string (main_ch, groups[0]->finding.qt_class), "QGraphicsTextItem");
        assert_int_equal (channel_objects (main_ch, true), 1000);
        assert_int_equal (channel_objects (main_ch, false), 300);
        assert_int_equal (atomic_load (&main_ch->stats.merged), 0);
        channel_destroy (main_ch);
}

/* QObject counts: each thread's own pair, and the stats' for the threads
 * beyond the pairs, summed. */
static void
counts_objects_per_thread (void **state)
{
        (void) state;
        struct channel *ch = channel_create ();
        uint64_t want_created = 0, want_destroyed = 0;
        for (int i = 0; i < CHANNEL_OBJECT_COUNTS + 10; i++) {
                struct channel_object_counts *c = channel_claim_object_counts (ch);
                assert_true ((c != NULL) == (i < CHANNEL_OBJECT_COUNTS));
                if (c) {
                        atomic_store_explicit (&c->created, (uint64_t) i + 1, memory_order_relaxed);
                        atomic_store_explicit (&c->destroyed, (uint64_t) i, memory_order_relaxed);
                } else {
                        atomic_fetch_add (&ch->stats.objects_created, 1000);
                        atomic_fetch_add (&ch->stats.objects_destroyed, 7);
                }
                want_created += c ? (uint64_t) i + 1 : 1000;
                want_destroyed += c ? (uint64_t) i : 7;
        }
        assert_int_equal (channel_objects (ch, true), want_created);
        assert_int_equal (channel_objects (ch, false), want_destroyed);
        channel_destroy (ch);
}

/* Strings in general fill only their part of the area: a finding's still
 * find room, and the running test is kept apart, whole. */
static void
finding_strings_have_room_of_their_own (void **state)
{
        struct channel *ch = channel_create ();
        assert_non_null (ch);
        size_t len = 1 << 16;
        char *big = malloc (len + 1);
        memset (big, 'x', len);
        big[len] = '\0';
        for (unsigned i = 0; i < CHANNEL_STRINGS_GENERAL / len + 2; i++) {
                snprintf (big, 16, "%08u", i);
                big[8] = 'x';
                channel_intern (ch, big);
        }
        assert_true (atomic_load (&ch->stats.strings_dropped) >= 1);
        assert_int_equal (channel_find_string (ch, "/a.py:3: in make"), 0);
        uint32_t site = channel_intern_finding (ch, "/a.py:3: in make");
        assert_int_not_equal (site, 0);
        assert_int_equal (channel_find_string (ch, "/a.py:3: in make"), site);
        assert_int_equal (channel_intern (ch, "/a.py:3: in make"), site); /* there already */
        for (unsigned i = 0; i < 200; i++) {
                snprintf (big, 16, "%08u", 100000 + i);
                big[8] = 'x';
                assert_int_not_equal (channel_intern_finding (ch, big), 0);
        }
        assert_int_equal (atomic_load (&ch->stats.finding_strings_dropped), 0);
        free (big);

        assert_null (channel_running_test (ch));
        channel_set_running_test (ch, "t.py::test_a");
        channel_set_running_test (ch, "t.py::test_b");
        assert_string_equal (channel_running_test (ch), "t.py::test_b");
        /* A writer dying in the middle of the next one leaves this one. */
        uint32_t half = atomic_load (&ch->running_test_half);
        memset (ch->running_test[!half], 'z', CHANNEL_TEST_SIZE);
        assert_string_equal (channel_running_test (ch), "t.py::test_b");
        channel_set_running_test (ch, NULL);
        assert_null (channel_running_test (ch));
        channel_destroy (ch);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (merges_processes_exactly),
                cmocka_unit_test (counts_objects_per_thread),
                cmocka_unit_test (interning),
                cmocka_unit_test (finding_strings_have_room_of_their_own),
                cmocka_unit_test (grouping),
                cmocka_unit_test (never_drops_a_finding),
                cmocka_unit_test (survives_the_writer_dying),
                cmocka_unit_test (dump_is_bounded),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
