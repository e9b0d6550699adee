/* Unit tests of the shared findings channel (cmocka): grouping, interning,
 * and that what one process writes another reads after the writer died. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"

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

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (interning),
                cmocka_unit_test (grouping),
                cmocka_unit_test (survives_the_writer_dying),
                cmocka_unit_test (dump_is_bounded),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
