/* SPDX-License-Identifier: MIT */
/* Unit tests of the reports (cmocka): every report renders one description
 * of each finding, agrees with the verdict, and carries any text as valid
 * UTF-8. Results are built from a channel filled by hand. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/pyframe.h"
#include "supervisor/options.h"
#include "supervisor/report/finding-text.h"
#include "supervisor/report/report.h"
#include "supervisor/result-text.h"
#include "supervisor/result.h"

static struct options
parse (int argc, const char **argv)
{
        struct options opts;
        char error[256];
        assert_int_equal (options_parse (&opts, argc, (char **) argv, stdout, error, sizeof error), OPTIONS_RUN);
        return opts;
}

static struct channel *
new_channel (void)
{
        struct channel *ch = channel_create ();
        assert_non_null (ch);
        snprintf (ch->binding, sizeof ch->binding, "PyQt6 6.4.2");
        atomic_store (&ch->binding_loaded, 1);
        atomic_store (&ch->phase, PHASE_DONE);
        atomic_store (&ch->start_ns, channel_now_ns ());
        atomic_store (&ch->outcome, OUTCOME_RETURNED);
        atomic_store (&ch->stats.objects_created, 10);
        atomic_store (&ch->stats.collections_automatic, 5);
        atomic_store (&ch->stats.collections_automatic_off_gui, 5);
        return ch;
}

static struct finding
off_thread (struct channel *ch, const char *stack, uint32_t cause, uint32_t evidence)
{
        return (struct finding) {
                .kind = FINDING_OFF_THREAD_FINALIZATION,
                .cause = cause,
                .gc_generation = cause == CAUSE_CYCLIC_GC ? 0 : -1,
                .qt_class = channel_intern (ch, "QTimer"),
                .owner_thread = channel_intern (ch, "MainThread"),
                .finalizing_thread = channel_intern (ch, "worker"),
                .creation_stack = channel_intern (ch, stack),
                .evidence = evidence,
        };
}

static struct finding
at_risk (struct channel *ch)
{
        return (struct finding) {
                .kind = FINDING_AT_RISK_CYCLE,
                .gc_generation = -1,
                .qt_class = channel_intern (ch, "QGraphicsTextItem"),
                .owner_thread = channel_intern (ch, "MainThread"),
                .message = channel_intern (ch, "Item.__dict__ -> Item"),
                .creation_stack = channel_intern (ch, "/a.py:14: in Item.__init__\n/a.py:20: in main"),
        };
}

static char *
text_of (const struct run_result *r)
{
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream (&s, &n);
        report_write_text (r, f, false);
        fclose (f);
        return s;
}

static char *
file_of (const struct run_result *r, bool (*write) (const struct run_result *, const char *, char *, size_t))
{
        char path[] = "/tmp/qgc-test-reports-XXXXXX";
        int fd = mkstemp (path);
        assert_true (fd >= 0);
        close (fd);
        char error[256];
        assert_true (write (r, path, error, sizeof error));
        FILE *f = fopen (path, "r");
        char *s = calloc (1, 1 << 20);
        fread (s, 1, (1 << 20) - 1, f);
        fclose (f);
        unlink (path);
        return s;
}

static struct supervision
ended (void)
{
        return (struct supervision) { .exited = true, .runner_pid = 1 };
}

/* Observe-only run: an at-risk cycle is a warning; a refcount finding from
 * the app's own thread is the race. No report may call the warning an
 * error or count it as a finding of the race. */
static void
reports_agree_with_the_verdict (void **state)
{
        const char *argv[] = { "qgc-check", "--threads", "0", "app.py" };
        struct options opts = parse (4, argv);
        struct channel *ch = new_channel ();
        struct finding w = at_risk (ch);
        for (int i = 0; i < 7; i++)
                channel_add_finding (ch, &w);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_CLEAN);
        char *sarif = file_of (&r, report_write_sarif);
        assert_null (strstr (strstr (sarif, "\"results\""), "\"level\": \"error\""));
        assert_null (strstr (sarif, "(none)"));
        assert_non_null (strstr (sarif, "\"ruleId\": \"at-risk-cycle\""));
        char *junit = file_of (&r, report_write_junit);
        assert_null (strstr (junit, "<failure"));
        assert_non_null (strstr (junit, "failures=\"0\""));
        free (sarif);
        free (junit);
        result_free (&r);

        struct finding race = off_thread (ch, "/a.py:3: in f", CAUSE_REFCOUNT, 0);
        channel_add_finding (ch, &race);
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_RACE);
        char *text = text_of (&r);
        assert_non_null (strstr (text, "race: 1 finding in 1 group; 1 group of warnings"));
        /* Refcount: the GUI-thread collector is no fix. */
        assert_non_null (strstr (text, "fix: worker dropped the last reference: drop it in MainThread"));
        assert_null (strstr (text, "hint: Qt objects die in whichever thread"));
        free (text);
        junit = file_of (&r, report_write_junit);
        assert_non_null (strstr (junit, "failures=\"1\""));
        free (junit);
        result_free (&r);

        /* Its parent lives on: no dropped reference owned it, a call deleted
         * it (QTextDocument.undo() in a Python thread deletes QTextLists). */
        struct finding called = off_thread (ch, "/a.py:9: in g", CAUSE_REFCOUNT, EVIDENCE_LIVE_PARENT);
        channel_add_finding (ch, &called);
        result_build (&r, &opts, 1, ch, &sup, NULL);
        text = text_of (&r);
        assert_non_null (strstr (text, "fix: worker deleted it while its parent lives on (a call there"));
        assert_non_null (strstr (text, "fix: worker dropped the last reference: drop it in MainThread"));
        free (text);
        result_free (&r);
        channel_destroy (ch);
}

/* --fail-on high: rule-only findings are warnings, and the verdict line
 * does not say that nothing was destroyed off its thread. */
static void
fail_on_high_says_what_it_saw (void **state)
{
        const char *argv[] = { "qgc-check", "--fail-on", "high", "app.py" };
        struct options opts = parse (4, argv);
        struct channel *ch = new_channel ();
        struct finding f = off_thread (ch, "/a.py:3: in f", CAUSE_CYCLIC_GC, 0);
        channel_add_finding (ch, &f);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_CLEAN);
        char *text = text_of (&r);
        assert_null (strstr (text, "no QObject destroyed off its thread"));
        assert_non_null (strstr (text, "risk rule only"));
        assert_non_null (strstr (text, "warning: QTimer owned by MainThread, destroyed in worker"));
        free (text);
        char *sarif = file_of (&r, report_write_sarif);
        assert_null (strstr (strstr (sarif, "\"results\""), "\"level\": \"error\""));
        free (sarif);
        result_free (&r);
        channel_destroy (ch);
}

/* Two groups that differ only below the first frame of their creation
 * stacks: each says where it differs, and their names are unique. */
static void
look_alike_groups_differ (void **state)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        struct finding a = off_thread (ch, "/a.py:3: in make\n/a.py:10: in first", CAUSE_CYCLIC_GC, 0);
        struct finding b = off_thread (ch, "/a.py:3: in make\n/a.py:20: in second", CAUSE_CYCLIC_GC, 0);
        channel_add_finding (ch, &a);
        channel_add_finding (ch, &b);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.n_findings, 2);
        assert_string_not_equal (r.findings[0].name, r.findings[1].name);
        char *text = text_of (&r);
        assert_non_null (strstr (text, "via /a.py:10: in first"));
        assert_non_null (strstr (text, "via /a.py:20: in second"));
        free (text);
        char *junit = file_of (&r, report_write_junit);
        assert_non_null (strstr (junit, "via /a.py:10: in first\""));
        assert_non_null (strstr (junit, "via /a.py:20: in second\""));
        free (junit);
        result_free (&r);
        channel_destroy (ch);
}

/* A test id cut inside a character and a stderr tail with an invalid
 * byte and a character cut at its start: the JSON report keeps every
 * finding, and the text is valid. */
static void
invalid_text_is_made_valid (void **state)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        struct finding f = off_thread (ch, "/a.py:3: in f", CAUSE_CYCLIC_GC, 0);
        f.test = channel_intern (ch, "test_a.py::test_caf\xc3");
        channel_add_finding (ch, &f);
        struct supervision sup = ended ();
        sup.stderr_tail = strdup ("\xa9 tail\nbad \xff byte\n");
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_RACE);
        char *json = file_of (&r, report_write_json);
        json_error_t err;
        json_t *doc = json_loads (json, 0, &err);
        assert_non_null (doc);
        json_t *findings = json_object_get (doc, "findings");
        assert_int_equal (json_array_size (findings), 1);
        assert_string_equal (json_string_value (json_object_get (json_array_get (findings, 0), "test")),
                             "test_a.py::test_caf");
        assert_string_equal (json_string_value (json_object_get (doc, "stderr_tail")),
                             " tail\nbad \xef\xbf\xbd byte\n");
        json_decref (doc);
        free (json);
        result_free (&r);
        channel_destroy (ch);
}

/* Strings the area had no room for are counted and said. */
static void
string_area_limit_is_said (void **state)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        size_t len = 1 << 16;
        char *big = malloc (len + 1);
        memset (big, 'x', len);
        big[len] = '\0';
        for (unsigned i = 0; i < (CHANNEL_STRINGS_GENERAL / len) + 2; i++) {
                snprintf (big, 16, "%08u", i);
                big[8] = 'x';
                channel_intern (ch, big);
        }
        free (big);
        assert_true (atomic_load (&ch->stats.strings_dropped) >= 1);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        char *text = text_of (&r);
        assert_non_null (strstr (text, "note: limit reached: the string area"));
        free (text);
        char *json = file_of (&r, report_write_json);
        assert_non_null (strstr (json, "\"strings_dropped\": "));
        free (json);
        result_free (&r);
        channel_destroy (ch);
}

/* --mitigate undone by the app, and a stress that never collected off the
 * GUI thread: the report says so. */
static void
notes_on_the_stress (void **state)
{
        const char *argv[] = { "qgc-check", "--mitigate", "app.py" };
        struct options opts = parse (3, argv);
        struct channel *ch = new_channel ();
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        char *text = text_of (&r);
        assert_non_null (strstr (text, "note: --mitigate was undone"));
        free (text);
        result_free (&r);

        const char *plain[] = { "qgc-check", "app.py" };
        opts = parse (2, plain);
        atomic_store (&ch->stats.collections_automatic_off_gui, 0);
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_CLEAN);
        text = text_of (&r);
        assert_non_null (strstr (text, "note: the stress had no effect"));
        assert_non_null (strstr (text, "replay the stress pattern (not the threads' timing)"));
        free (text);
        result_free (&r);
        channel_destroy (ch);
}

/* The source line of the creation and finalization sites, read from the
 * script as a traceback shows it: stripped, made valid, never from a
 * pseudo-file. */
static void
source_lines_are_read_from_the_script (void **state)
{
        char path[] = "/tmp/qgc-source-XXXXXX";
        int fd = mkstemp (path);
        assert_true (fd >= 0);
        const char body[] = "import x\n    obj = Widget()  # made here\n\tdel obj\xff\n";
        assert_int_equal (write (fd, body, sizeof body - 1), (ssize_t) (sizeof body - 1));
        close (fd);
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        char created[128], died[128];
        snprintf (created, sizeof created, "%s:2: in make\n%s:1: in <module>", path, path);
        snprintf (died, sizeof died, "%s:3: in drop", path);
        struct finding f = off_thread (ch, created, CAUSE_REFCOUNT, 0);
        f.finalization_stack = channel_intern (ch, died);
        channel_add_finding (ch, &f);
        struct finding pseudo = off_thread (ch, "<string>:1: in <module>", CAUSE_CYCLIC_GC, 0);
        channel_add_finding (ch, &pseudo);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        char *text = text_of (&r);
        assert_non_null (strstr (text, ":2: in make\n    obj = Widget()  # made here\n"));
        assert_non_null (strstr (text, ":3: in drop\n    del obj\xEF\xBF\xBD\n"));
        char *json = file_of (&r, report_write_json);
        assert_non_null (strstr (json, "\"creation_source\": \"obj = Widget()  # made here\""));
        assert_non_null (strstr (json, "\"creation_source\": null"));
        free (json);
        char *sarif = file_of (&r, report_write_sarif);
        assert_non_null (strstr (sarif, "\"snippet\": {\n"));
        assert_non_null (strstr (sarif, "\"text\": \"obj = Widget()  # made here\""));
        free (sarif);
        free (text);
        result_free (&r);
        channel_destroy (ch);
        unlink (path);
}

static struct channel *fake_channel;
static const char *fake_stack;
static int described;

static uint32_t
fake_describe (const uint64_t *frames, size_t n)
{
        assert_int_equal (n, 2);
        assert_int_equal (frames[0], 0x1000);
        described++;
        return channel_intern (fake_channel, fake_stack);
}

/* The C++ frames that destroyed an object: named once per group, shown
 * past the object's own destructors unless the binding freed it, and an
 * owner's destructor names what a native object was a part of. */
static void
native_stacks_name_the_cpp_that_destroyed_it (void **state)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = fake_channel = new_channel ();
        struct finding part = off_thread (ch, "/a.py:8: in Holder.__init__", CAUSE_CYCLIC_GC, 0);
        part.qt_class = channel_intern (ch, "QBuffer");
        part.origin = ORIGIN_NATIVE;
        part.native_frames[0] = 0x1000;
        part.native_frames[1] = 0x2000;
        channel_add_finding (ch, &part);
        fake_stack = "QObject::~QObject()\tlibQt6Core.so.6\nQBuffer::~QBuffer()\tlibQt6Core.so.6\n"
                     "QPicture::~QPicture()\tlibQt6Gui.so.6\n??\tlibQt6Gui.so.6\n"
                     "release_QPicture\tQtGui.abi3.so\n";
        channel_describe_native_stacks (ch, fake_describe);
        channel_describe_native_stacks (ch, fake_describe); /* named once */
        assert_int_equal (described, 1);
        struct finding freed = off_thread (ch, "/a.py:9: in f", CAUSE_CYCLIC_GC, 0);
        freed.native_frames[0] = 0x1000;
        freed.native_frames[1] = 0x3000;
        channel_add_finding (ch, &freed);
        fake_stack = "QObject::~QObject()\tlibQt6Core.so.6\nsipQTimer::~sipQTimer()\tQtCore.abi3.so\n";
        channel_describe_native_stacks (ch, fake_describe);
        assert_int_equal (described, 2);

        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        char *text = text_of (&r);
        assert_non_null (strstr (text, "  destroyed by C++: QPicture::~QPicture() (libQt6Gui.so.6) <- "
                                       "release_QPicture (QtGui.abi3.so)\n"));
        assert_non_null (strstr (text, "made by C++ code inside that call (not through Python), a part of "
                                       "a QPicture: no Python object owns it"));
        /* The QTimer's wrapper was freed by the binding: no C++ culprit. */
        assert_null (strstr (text, "destroyed by C++: sipQTimer"));
        assert_null (strstr (text, "destroyed by C++: QObject"));
        char *json = file_of (&r, report_write_json);
        json_error_t error;
        json_t *root = json_loads (json, 0, &error);
        assert_non_null (root);
        json_t *findings = json_object_get (root, "findings");
        assert_int_equal (json_array_size (findings), 2);
        size_t with_culprit = 0;
        for (size_t i = 0; i < 2; i++) {
                json_t *f = json_array_get (findings, i);
                json_t *native = json_object_get (f, "native_stack");
                if (json_is_string (json_object_get (f, "destroyed_by_cpp"))) {
                        with_culprit++;
                        assert_int_equal (json_array_size (native), 5);
                        assert_string_equal (json_string_value (json_object_get (json_array_get (native, 2),
                                                                                 "function")),
                                             "QPicture::~QPicture()");
                        assert_string_equal (json_string_value (json_object_get (json_array_get (native, 2),
                                                                                 "library")),
                                             "libQt6Gui.so.6");
                } else {
                        assert_int_equal (json_array_size (native), 2);
                }
        }
        assert_int_equal (with_culprit, 1);
        json_decref (root);
        free (json);
        /* Every report says it. */
        char *junit = file_of (&r, report_write_junit);
        assert_non_null (strstr (junit, "destroyed by C++: QPicture::~QPicture() (libQt6Gui.so.6)"));
        assert_non_null (strstr (junit, "  C++ stack when it happened (innermost first):\n"
                                        "    QObject::~QObject() (libQt6Core.so.6)\n"
                                        "    QBuffer::~QBuffer() (libQt6Core.so.6)\n"));
        assert_non_null (strstr (junit, "a part of a QPicture"));
        free (junit);
        char *sarif = file_of (&r, report_write_sarif);
        assert_non_null (strstr (sarif, "Destroyed by C++: QPicture::~QPicture() (libQt6Gui.so.6)"));
        free (sarif);
        free (text);
        result_free (&r);
        channel_destroy (ch);
}

/* A finding's text is written once: the text report with -v and the JUnit
 * failure carry the same lines. */
static void
junit_carries_the_text_of_each_finding (void **state)
{
        const char *argv[] = { "qgc-check", "-v", "app.py" };
        struct options opts = parse (3, argv);
        struct channel *ch = new_channel ();
        struct finding f = off_thread (ch, "/a.py:3: in make\n/a.py:9: in main", CAUSE_CYCLIC_GC, EVIDENCE_WIDGET);
        f.finalization_stack = channel_intern (ch, "/a.py:5: in drop");
        f.test = channel_intern (ch, "test_a.py::test_one");
        channel_add_finding (ch, &f);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.n_findings, 1);
        char *body = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&body, &size);
        report_finding_text (out, &r.findings[0], true, "", "");
        fclose (out);
        assert_non_null (strstr (body, "  creation stack (innermost first):\n    /a.py:3: in make\n    /a.py:9: in main\n"));
        char *text = text_of (&r);
        assert_non_null (strstr (text, body));
        char *junit = file_of (&r, report_write_junit);
        assert_non_null (strstr (junit, body));
        free (junit);
        free (text);
        free (body);
        result_free (&r);
        channel_destroy (ch);
}

/* A child's channel file in dir, as a child runner leaves it: its
 * identity, one finding of an xdist test, and a crash. */
static void
write_child (const char *dir)
{
        struct channel *ch = channel_create_file (dir);
        assert_non_null (ch);
        atomic_store (&ch->runner_pid, 4321);
        atomic_store (&ch->start_ns, channel_now_ns ());
        ch->process.origin = PROCESS_EXEC;
        static const char argv[] = "/usr/bin/python3\0-c\0pass\0";
        memcpy (ch->process.argv, argv, sizeof argv - 1);
        ch->process.argv_length = sizeof argv - 1;
        snprintf (ch->process.xdist_worker, sizeof ch->process.xdist_worker, "gw1");
        snprintf (ch->binding, sizeof ch->binding, "PyQt6 6.4.2");
        struct finding f = off_thread (ch, "/t.py:3: in test_x", CAUSE_CYCLIC_GC, 0);
        f.test = channel_intern (ch, "t.py::test_x");
        channel_add_finding (ch, &f);
        channel_set_running_test (ch, "t.py::test_crash");
        atomic_store (&ch->crash_signal, SIGSEGV);
        channel_destroy (ch);
        char path[512];
        snprintf (path, sizeof path, "%s/u4242-1", dir);
        FILE *u = fopen (path, "w");
        fputs ("4242\n1\na program that is not Python and loads Qt\n", u);
        fwrite ("/usr/bin/qtpaths6\0--version\0", 1, 28, u);
        fclose (u);
}

/* Every report names a child's finding, crash and test by its process, and
 * lists the process that could not be checked. */
static void
children_are_named_by_their_process (void **state)
{
        const char *argv[] = { "qgc-check", "launcher.py" };
        struct options opts = parse (2, argv);
        char dir[] = "/tmp/qgc-test-reports-dir-XXXXXX";
        assert_non_null (mkdtemp (dir));
        write_child (dir);
        struct channel *ch = new_channel ();
        atomic_store (&ch->runner_pid, 1);
        atomic_store (&ch->start_ns, channel_now_ns ());
        struct supervision sup = ended ();
        processes_collect (&sup.processes, ch, dir);
        processes_remove (dir);
        assert_int_equal (sup.processes.n, 3);
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_CRASH);
        assert_int_equal (r.n_findings, 1);
        assert_int_equal (r.findings[0].process->pid, 4321);
        assert_string_equal (r.running_test, "t.py::test_crash");
        char *text = text_of (&r);
        assert_non_null (strstr (text, "  in process 4321 (xdist worker gw1): /usr/bin/python3 -c pass\n"));
        assert_non_null (strstr (text, "crash: SIGSEGV, in process 4321 (xdist worker gw1): /usr/bin/python3 -c pass, "
                                       "during test t.py::test_crash\n"));
        assert_non_null (strstr (text, "  unchecked process 4242: /usr/bin/qtpaths6 --version (a program that is "
                                       "not Python and loads Qt)\n"));
        char *json = file_of (&r, report_write_json);
        assert_non_null (strstr (json, "\"xdist_worker\": \"gw1\""));
        assert_non_null (strstr (json, "\"reason\": \"a program that is not Python and loads Qt\""));
        char *junit = file_of (&r, report_write_junit);
        assert_non_null (strstr (junit, "name=\"test_x\""));
        free (junit);
        free (json);
        free (text);
        result_free (&r);
        channel_destroy (ch);
}

/* A crash after findings: the text says whether a finding's class is in
 * the crashing thread's native frames, read from the dump, never its
 * markers. */
static char *
crash_text_with (const char *frames, const char *python)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        struct finding f = off_thread (ch, "/a.py:3: in make", CAUSE_CYCLIC_GC, 0);
        channel_add_finding (ch, &f);
        atomic_store (&ch->crash_signal, SIGSEGV);
        atomic_store (&ch->phase, PHASE_SCRIPT); /* it crashed while the script ran */
        char dump[2048];
        snprintf (dump, sizeof dump,
                  "@thread 7 0x7f01 gil=no main=no crashed=no name=qgc-stress-1\n"
                  "#0 0x7f10 ?? in libc.so.6+0x8aeec [signal]\n"
                  "@thread 5 0x7f00 gil=yes main=yes crashed=yes addr=0x18 name=qgc-check-runne\n"
                  "#0 0x5501f crash_handler+0x1f in qgc-check-runner+0x501f\n"
                  "%s"
                  "@python\n"
                  "Current thread 0x00007f00 (most recent call first):\n"
                  "%s"
                  "  File \"/a.py\", line 9 in tick\n\n"
                  "@end\n",
                  frames, python);
        channel_dump_append (ch, dump, strlen (dump));
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.verdict, VERDICT_CRASH);
        char *text = text_of (&r);
        assert_null (strstr (text, "@thread"));
        assert_null (strstr (text, "@python"));
        assert_null (strstr (text, "@end"));
        assert_non_null (strstr (text, "crash: SIGSEGV at address 0x18 (near null) in qgc-check-runne (tid 5, "
                                       "holds the GIL)\n"));
        assert_non_null (strstr (text, "  File \"/a.py\", line 9 in tick\n"));
        result_free (&r);
        channel_destroy (ch);
        return text;
}

static void
crash_says_whether_a_findings_class_was_in_use (void **state)
{
        char *text = crash_text_with ("#1 0x7f0040 _ZN6QTimerD2Ev+0x40 in libQt6Core.so.6+0x2c3b1 [signal]\n"
                                      "#2 0x7f0080 ?? in libQt6Core.so.6+0x2c400\n", "");
        /* The handler's frame is left out: the thread's own start at [signal]. */
        assert_non_null (strstr (text, "  #0  0x00000000007f0040 in QTimer::~QTimer() () from libQt6Core.so.6\n"
                                       "  #1  0x00000000007f0080 in ?? (libQt6Core.so.6+0x2c400)\n"));
        assert_null (strstr (text, "crash_handler"));
        assert_non_null (strstr (text, "a class destroyed off its thread above was in use in the crashing thread: "
                                       "frame #0, QTimer::~QTimer()\n"));
        free (text);
        text = crash_text_with ("#1 0x7f0040 _ZN7QObjectD2Ev+0x40 in libQt6Core.so.6+0x2c3b1 [signal]\n", "");
        assert_non_null (strstr (text, "the objects destroyed off their thread above (QTimer) are not seen in use in "
                                       "the crashing thread: neither their classes in its native frames nor the "
                                       "code that made or finalized them in its Python frames\n"));
        /* The other thread: no Python frame, no GIL: only counted. */
        assert_non_null (strstr (text, "1 other thread without Python frames"));
        free (text);
        /* The finding's objects were made in make() (its creation stack), and the crash is in it. */
        text = crash_text_with ("#1 0x7f0040 _ZN7QObjectD2Ev+0x40 in libQt6Core.so.6+0x2c3b1 [signal]\n",
                                "  File \"/a.py\", line 4 in make\n");
        assert_non_null (strstr (text, "the crashing thread was running code that created objects of a finding "
                                       "above (QTimer):\n  File \"/a.py\", line 4 in make\n"));
        free (text);
}

/* A stack of 16 frames: the capture's limit. */
static const char *
deep_stack (void)
{
        static char stack[2048];
        size_t used = 0;
        for (int i = 0; i < PYFRAME_STACK_DEPTH; i++)
                used += (size_t) snprintf (stack + used, sizeof stack - used, "%s/a.py:%d: in f%d", i ? "\n" : "",
                                           10 + i, i);
        return stack;
}

/* Groups whose creation stacks are the same 16 frames (cut there), one
 * per test of a parametrized test: neither is said to end there; each
 * says its stack was cut and which test it died in. */
static void
look_alike_groups_cut_at_the_depth_limit (void **state)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        struct finding a = off_thread (ch, deep_stack (), CAUSE_REFCOUNT, 0);
        struct finding b = a;
        a.test = channel_intern (ch, "t.py::test_p[1]");
        b.test = channel_intern (ch, "t.py::test_p[2]");
        channel_add_finding (ch, &a);
        channel_add_finding (ch, &b);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.n_findings, 2);
        char *text = text_of (&r);
        assert_null (strstr (text, "ends there"));
        assert_non_null (strstr (text, "cut at 16 frames"));
        assert_non_null (strstr (text, "died during test t.py::test_p[2]"));
        assert_string_not_equal (r.findings[0].name, r.findings[1].name);
        assert_null (strstr (r.findings[1].name, "#2"));
        assert_non_null (strstr (r.findings[1].name, "test_p[2]"));
        free (text);
        result_free (&r);
        channel_destroy (ch);
}

/* An at-risk object on no cycle of its own: the runner says "Class ->
 * ...", which the title turns into words. */
static void
at_risk_off_any_cycle_is_said (void **state)
{
        const char *argv[] = { "qgc-check", "--threads", "0", "app.py" };
        struct options opts = parse (4, argv);
        struct channel *ch = new_channel ();
        struct finding w = at_risk (ch);
        w.qt_class = channel_intern (ch, "QGridLayout");
        w.message = channel_intern (ch, "QGridLayout -> ...");
        channel_add_finding (ch, &w);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.n_findings, 1);
        assert_null (strstr (r.findings[0].title, "-> ..."));
        assert_non_null (strstr (r.findings[0].title, "on no reference cycle itself"));
        result_free (&r);
        channel_destroy (ch);
}

static char *
written (void (*write) (FILE *, const char *), const char *s)
{
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        write (out, s);
        fclose (out);
        return text;
}

static void
escaped (FILE *out, const char *s)
{
        result_text_write_escaped (out, s, false);
}

static void
quoted (FILE *out, const char *s)
{
        result_text_write_escaped (out, s, true);
}

/* Names as data: control characters, a bidirectional override and a
 * byte that is not UTF-8 escaped; printable text, any script, kept. */
static void
text_is_escaped_for_a_terminal (void **state)
{
        const struct {
                void (*write) (FILE *, const char *);
                const char *in, *out;
        } cases[] = {
                { escaped, "w\xc3\xb6rker", "w\xc3\xb6rker" },
                { escaped, "a\nb\tc\x1b[31m", "a\\nb\\tc\\x1b[31m" },
                { escaped, "x\xe2\x80\xaey", "x\\u202ey" },
                { escaped, "bad \xff", "bad \\xff" },
                { escaped, "\xc2\x85", "\\u0085" },
                { quoted, "w\xc3\xb6rker\n\"quoted\"", "\"w\xc3\xb6rker\\n\\\"quoted\\\"\"" },
                { result_text_write_shell_word, "app.py", "app.py" },
                { result_text_write_shell_word, "dir/r\xc3\xa9 gress.py", "'dir/r\xc3\xa9 gress.py'" },
                { result_text_write_shell_word, "it's", "'it'\\''s'" },
                { result_text_write_shell_word, "", "''" },
                { result_text_write_shell_word, "$HOME;`x`", "'$HOME;`x`'" },
                { result_text_write_shell_word, "a\x1b" "b", "'a'\"$(printf '\\033')\"'b'" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *text = written (cases[i].write, cases[i].in);
                assert_string_equal (text, cases[i].out);
                free (text);
        }
        assert_false (result_text_needs_escape ("w\xc3\xb6rker"));
        assert_true (result_text_needs_escape ("a\nb"));
}

/* A group keeps its first objectName: an example once another name (or
 * none) was counted into it, also through a child's channel merged in. */
static void
object_name_is_an_example_when_names_vary (void **state)
{
        const char *argv[] = { "qgc-check", "app.py" };
        struct options opts = parse (2, argv);
        struct channel *ch = new_channel ();
        struct finding a = off_thread (ch, "/a.py:3: in f", CAUSE_REFCOUNT, 0);
        a.object_name = channel_intern (ch, "probe-1");
        struct finding same = off_thread (ch, "/a.py:9: in g", CAUSE_REFCOUNT, 0);
        same.object_name = channel_intern (ch, "same");
        channel_add_finding (ch, &a);
        channel_add_finding (ch, &same);
        channel_add_finding (ch, &same);
        struct channel *child = new_channel ();
        struct finding b = off_thread (child, "/a.py:3: in f", CAUSE_REFCOUNT, 0);
        b.object_name = channel_intern (child, "probe-2");
        channel_add_finding (child, &b);
        channel_merge (ch, child, 1);
        struct supervision sup = ended ();
        struct run_result r;
        result_build (&r, &opts, 1, ch, &sup, NULL);
        assert_int_equal (r.n_findings, 2);
        for (size_t i = 0; i < 2; i++) {
                const struct result_finding *f = &r.findings[i];
                assert_int_equal (f->count, 2);
                assert_int_equal (f->object_names_vary, strcmp (f->object_name, "same") != 0);
        }
        char *text = text_of (&r);
        assert_non_null (strstr (text, " e.g. 'probe-1' (x2)"));
        assert_null (strstr (text, "e.g. 'same'"));
        free (text);
        result_free (&r);
        channel_destroy (child);
        channel_destroy (ch);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (children_are_named_by_their_process),
                cmocka_unit_test (crash_says_whether_a_findings_class_was_in_use),
                cmocka_unit_test (reports_agree_with_the_verdict),
                cmocka_unit_test (fail_on_high_says_what_it_saw),
                cmocka_unit_test (look_alike_groups_differ),
                cmocka_unit_test (invalid_text_is_made_valid),
                cmocka_unit_test (string_area_limit_is_said),
                cmocka_unit_test (notes_on_the_stress),
                cmocka_unit_test (source_lines_are_read_from_the_script),
                cmocka_unit_test (native_stacks_name_the_cpp_that_destroyed_it),
                cmocka_unit_test (junit_carries_the_text_of_each_finding),
                cmocka_unit_test (look_alike_groups_cut_at_the_depth_limit),
                cmocka_unit_test (at_risk_off_any_cycle_is_said),
                cmocka_unit_test (text_is_escaped_for_a_terminal),
                cmocka_unit_test (object_name_is_an_example_when_names_vary),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
