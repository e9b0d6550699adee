/* SPDX-License-Identifier: MIT */
/* Unit tests of the dump reader (cmocka): which crashes and hangs are
 * qgc-check's own, on dumps as the runner's handlers write them (the first
 * two recorded from real runs, the others built on their frames). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "supervisor/diagnosis.h"

/* abort() from a GUI-thread timer (testcases/abort_in_app.py). */
static const char app_abort[] =
        "@thread 29692 0x7f5a020b0980 gil=yes main=yes crashed=yes name=qgc-check python=MainThread\n"
        "#0 crash_handler+0xbc in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 pthread_key_delete+0x14c in libc.so.6 [signal]\n"
        "#3 gsignal+0x12 in libc.so.6\n"
        "#4 abort+0xd3 in libc.so.6\n"
        "#5 os_abort+0x6 in qgc-check\n"
        "#6 cfunction_vectorcall_NOARGS+0x4b in qgc-check\n"
        "#7 PyInit_QtCore+0x164780 in QtCore.abi3.so\n"
        "#8 QTimer::timerEvent(QTimerEvent*)+0x20b in libQt6Core.so.6\n"
        "@thread 29694 0x7f88e81ff6c0 gil=no main=no crashed=no name=qgc-stress-1 python=qgc-stress-1\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 __nptl_death_event+0xd6 in libc.so.6 [signal]\n"
        "#3 pthread_cond_timedwait+0x21c in libc.so.6\n"
        "#4 take_gil+0x1e6 in qgc-check\n"
        "#5 PyEval_RestoreThread+0x12 in qgc-check\n"
        "#6 worker_main+0x1ec in qgc-check\n"
        "@python\n"
        "Current thread 0x00007f5a020b0980 [MainThread] (most recent call first):\n"
        "  File \"abort_in_app.py\", line 12 in <module>\n"
        "@end\n";

/* Heap corruption found by free() (testcases/crash_inside_malloc.py). */
static const char app_heap_corruption[] =
        "@thread 29686 0x7f8362c1f980 gil=no main=yes crashed=yes name=qgc-check python=MainThread\n"
        "#0 crash_handler+0xbc in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 pthread_key_delete+0x14c in libc.so.6 [signal]\n"
        "#3 gsignal+0x12 in libc.so.6\n"
        "#4 abort+0xd3 in libc.so.6\n"
        "#5 __fsetlocking+0x28f in libc.so.6\n"
        "#6 timer_settime+0x37a in libc.so.6\n"
        "#7 __default_morecore+0x8ac in libc.so.6\n"
        "#8 __libc_free+0x6f in libc.so.6\n"
        "#9 ffi_prep_go_closure+0x9a in libffi.so.8\n"
        "@end\n";

/* The same corruption found when the probe allocates: heap corruption is
 * found late, its finder is not its cause. */
static const char probe_allocates_in_corrupt_heap[] =
        "@thread 11 0x7f00 gil=no main=no crashed=yes name=qgc-stress-1\n"
        "#0 crash_handler+0xbc in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 pthread_key_delete+0x14c in libc.so.6 [signal]\n"
        "#3 gsignal+0x12 in libc.so.6\n"
        "#4 abort+0xd3 in libc.so.6\n"
        "#5 __libc_malloc+0x1f in libc.so.6\n"
        "#6 operator new(unsigned long)+0x1c in libstdc++.so.6\n"
        "#7 on_add(QObject*)+0x51 in qgc-probe.so\n"
        "#8 QObject::QObject(QObject*)+0x9a in libQt6Core.so.6\n"
        "@end\n";

/* The probe reads the class name of an object another thread destroys. */
static const char probe_segfault_in_qt[] =
        "@thread 12 0x7f01 gil=no main=no crashed=yes name=Thread-3 python=loader\n"
        "#0 crash_handler+0xbc in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 QMetaObject::className() const+0x4 in libQt6Core.so.6 [signal]\n"
        "#3 (anonymous namespace)::class_name(QObject const*)+0x2c in qgc-probe.so\n"
        "#4 on_remove(QObject*)+0x88 in qgc-probe.so\n"
        "#5 QObject::~QObject()+0x3b2 in libQt6Core.so.6\n"
        "#6 sipQObject::~sipQObject()+0x2e in QtCore.abi3.so\n"
        "@end\n";

/* A hook's postEvent waits for the post-event lock its own thread holds
 * (issue: on_add -> invokeMethodImpl -> postEvent -> lockThreadPostEventList). */
static const char hang_in_hook[] =
        "@thread 20 0x7f10 gil=no main=yes crashed=no name=qgc-check python=MainThread\n"
        "#0 dump_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 syscall+0x1d in libc.so.6 [signal]\n"
        "#3 QBasicMutex::lockInternal()+0x9e in libQt6Core.so.6\n"
        "#4 QCoreApplication::postEvent(QObject*, QEvent*, int)+0x17c in libQt6Core.so.6\n"
        "@thread 21 0x7f11 gil=no main=no crashed=no name=python3 python=helper\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 syscall+0x1d in libc.so.6 [signal]\n"
        "#3 QBasicMutex::lockInternal()+0x9e in libQt6Core.so.6\n"
        "#4 QCoreApplication::postEvent(QObject*, QEvent*, int)+0x17c in libQt6Core.so.6\n"
        "#5 QMetaObject::invokeMethodImpl(QObject*, QtPrivate::QSlotObjectBase*, Qt::ConnectionType, "
        "void*)+0x1b1 in libQt6Core.so.6\n"
        "#6 on_add(QObject*)+0x74 in qgc-probe.so\n"
        "#7 QObject::QObject(QObject*)+0x9a in libQt6Core.so.6\n"
        "#8 QAdoptedThread::QAdoptedThread(QThreadData*)+0x3c in libQt6Core.so.6\n"
        "@end\n";

/* A hook waits for the GIL, from the runner's host. */
static const char hang_gil_in_hook[] =
        "@thread 22 0x7f12 gil=no main=no crashed=no name=QThread python=worker\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 pthread_cond_timedwait+0x21c in libc.so.6 [signal]\n"
        "#3 take_gil+0x1e6 in qgc-check\n"
        "#4 PyEval_RestoreThread+0x12 in qgc-check\n"
        "#5 PyGILState_Ensure+0x50 in qgc-check\n"
        "#6 pyhost_describe_thread+0x31 in qgc-check\n"
        "#7 on_remove(QObject*)+0x88 in qgc-probe.so\n"
        "@end\n";

/* The app's deadlock (testcases/deadlock_proxy_widget.py): a stress worker
 * holds the GIL and waits for the GUI thread, which waits for the GIL;
 * another worker sleeps in its loop; a thread waits for the GIL in the
 * probe's queued work (host_with_gil, by design); a Qt thread happens to
 * run the probe's hook at that instant. */
static const char hang_app[] =
        "@thread 30 0x7f20 gil=no main=yes crashed=no name=qgc-check python=MainThread\n"
        "#0 dump_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 pthread_cond_timedwait+0x21c in libc.so.6 [signal]\n"
        "#3 take_gil+0x1e6 in qgc-check\n"
        "#4 PyEval_RestoreThread+0x12 in qgc-check\n"
        "#5 PyInit_QtWidgets+0x23966b in QtWidgets.abi3.so\n"
        "@thread 31 0x7f21 gil=yes main=no crashed=no name=qgc-stress-1 python=qgc-stress-1\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 syscall+0x1d in libc.so.6 [signal]\n"
        "#3 QSemaphore::acquire(int)+0x120 in libQt6Core.so.6\n"
        "#4 QWindowSystemInterface::flushWindowSystemEvents(QFlags<QEventLoop::ProcessEventsFlag>)+0x9b "
        "in libQt6Gui.so.6\n"
        "#5 QWidget::~QWidget()+0x4e2 in libQt6Widgets.so.6\n"
        "#6 sipQGraphicsProxyWidget::~sipQGraphicsProxyWidget()+0x1c in QtWidgets.abi3.so\n"
        "@thread 32 0x7f22 gil=no main=no crashed=no name=qgc-stress-2 python=qgc-stress-2\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 clock_nanosleep+0x65 in libc.so.6 [signal]\n"
        "#3 nanosleep+0x13 in libc.so.6\n"
        "#4 worker_main+0x2a4 in qgc-check\n"
        "@thread 34 0x7f24 gil=no main=no crashed=no name=helper\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 __nptl_death_event+0xd6 in libc.so.6 [signal]\n"
        "#3 pthread_cond_timedwait+0x21c in libc.so.6\n"
        "#4 take_gil+0x1e6 in qgc-check\n"
        "#5 PyEval_RestoreThread+0x12 in qgc-check\n"
        "#6 PyGILState_Ensure+0x3c in qgc-check\n"
        "#7 host_with_gil+0x19 in qgc-check\n"
        "#8 QObject::event(QEvent*)+0x2a8 in libQt6Core.so.6\n"
        "@thread 33 0x7f23 gil=no main=no crashed=no name=QDBusConnection\n"
        "#0 thread_handler+0x2d in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 on_add(QObject*)+0x12 in qgc-probe.so [signal]\n"
        "#3 QObject::QObject(QObject*)+0x9a in libQt6Core.so.6\n"
        "@end\n";

/* A fault in the crash handler itself, after the app's crash. */
static const char handler_fault[] =
        "@thread 40 0x7f30 gil=yes main=yes crashed=yes name=qgc-check\n"
        "#0 crash_handler+0xbc in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 os_abort+0x6 in qgc-check [signal]\n"
        "\n@thread 40 0x7f30 gil=yes main=yes crashed=handler name=qgc-check\n"
        "#0 crash_handler+0x70 in qgc-check\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 _ULx86_64_step+0x31 in libunwind.so.8 [signal]\n"
        "#3 dump_native_thread+0x1f0 in qgc-check\n"
        "@end\n";

/* shiboken6.getCppPointer on a dead wrapper, called by the at-risk analysis
 * (PySide6 6.11.3, testcases/correct_dead_wrappers_in_cycles.py). */
static const char analysis_crash[] =
        "@thread 5 0x7f3fedfff780 gil=yes main=yes crashed=yes name=qgc-check-runne python=MainThread\n"
        "#0 crash_handler+0x115 in qgc-check-runner\n"
        "#1 __sigaction+0x40 in libc.so.6\n"
        "#2 Shiboken::Object::cppPointers(SbkObject*)+0x13c in libshiboken6.abi3.so.6.11 [signal]\n"
        "#3 ?? in Shiboken.abi3.so\n"
        "#4 cfunction_vectorcall_O+0x53 in qgc-check-runner\n"
        "#5 PyObject_Vectorcall+0x2c in qgc-check-runner\n"
        "#6 _PyEval_EvalFrameDefault+0x8d1 in qgc-check-runner\n"
        "@python\n"
        "Current thread 0x00007f3fedfff780 [MainThread] (most recent call first):\n"
        "  File \"<qgc-check bootstrap>\", line 277 in _address\n"
        "  File \"<qgc-check bootstrap>\", line 368 in <listcomp>\n"
        "  File \"<qgc-check bootstrap>\", line 368 in _analyse\n"
        "  File \"<qgc-check bootstrap>\", line 403 in at_risk_tick\n"
        "  File \"app.py\", line 72 in <module>\n"
        "  File \"<qgc-check bootstrap>\", line 173 in run_script\n"
        "@end\n";

/* The same native frames under the app's own Python code, and under the
 * tool's event loop (which runs the app's code): the app's. */
static const char app_call_crash[] =
        "@thread 5 0x7f3f gil=yes main=yes crashed=yes name=app python=MainThread\n"
        "#2 Shiboken::Object::cppPointers(SbkObject*)+0x13c in libshiboken6.abi3.so.6.11 [signal]\n"
        "#3 ?? in Shiboken.abi3.so\n"
        "@python\n"
        "Current thread 0x00007f3f [MainThread] (most recent call first):\n"
        "  File \"app.py\", line 9 in probe\n"
        "  File \"<qgc-check bootstrap>\", line 173 in run_script\n"
        "@end\n";
static const char tool_loop_crash[] =
        "@thread 5 0x7f3f gil=yes main=yes crashed=yes name=app python=MainThread\n"
        "#2 QWidget::repaint()+0x13c in libQt6Widgets.so.6 [signal]\n"
        "@python\n"
        "Current thread 0x00007f3f [MainThread] (most recent call first):\n"
        "  File \"<qgc-check bootstrap>\", line 220 in tool_loop\n"
        "@end\n";

static void
app_crashes_are_the_apps (void **state)
{
        assert_null (dump_tool_frame (app_abort, false));
        assert_null (dump_tool_frame (app_heap_corruption, false));
        assert_null (dump_tool_frame (probe_allocates_in_corrupt_heap, false));
        assert_null (dump_tool_frame (NULL, false));
        assert_null (dump_tool_frame ("", false));
        assert_null (dump_tool_frame (app_call_crash, false));
        assert_null (dump_tool_frame (tool_loop_crash, false));
}

static void
analysis_crash_is_the_tools (void **state)
{
        char *s = dump_tool_frame (analysis_crash, false);
        assert_non_null (s);
        assert_string_equal (s, "_address (<qgc-check bootstrap>:277) (thread MainThread)");
        free (s);
        assert_null (dump_tool_frame (analysis_crash, true)); /* hangs: native frames only */
}

static void
probe_crash_is_the_tools (void **state)
{
        char *s = dump_tool_frame (probe_segfault_in_qt, false);
        assert_non_null (s);
        assert_string_equal (s, "(anonymous namespace)::class_name(QObject const*)+0x2c in qgc-probe.so "
                                "(thread loader)");
        free (s);
}

static void
hang_in_a_hook_is_the_tools (void **state)
{
        char *s = dump_tool_frame (hang_in_hook, true);
        assert_non_null (s);
        assert_string_equal (s, "on_add(QObject*)+0x74 in qgc-probe.so (thread helper)");
        free (s);
        s = dump_tool_frame (hang_gil_in_hook, true);
        assert_non_null (s);
        assert_string_equal (s, "pyhost_describe_thread+0x31 in qgc-check (thread worker)");
        free (s);
}

static void
app_hang_is_the_apps (void **state)
{
        assert_null (dump_tool_frame (hang_app, true));
        assert_null (dump_tool_frame (app_abort, true));
}

static void
fault_in_the_handler_is_the_tools (void **state)
{
        char *s = dump_tool_frame (handler_fault, false);
        assert_non_null (s);
        assert_string_equal (s, "the crash handler (thread qgc-check)");
        free (s);
        /* A crash or hang-dump report whose crashing frame is the crash
         * handler's own code. */
        static const char direct[] = "@thread 1 0x1 gil=no main=yes crashed=handler name=app\n"
                                     "#0 crash_handler+0x70 in qgc-check\n"
                                     "#1 __sigaction+0x40 in libc.so.6\n"
                                     "#2 park_other_threads+0x31 in qgc-check [signal]\n";
        s = dump_tool_frame (direct, true);
        assert_non_null (s);
        assert_string_equal (s, "park_other_threads+0x31 in qgc-check (thread app)");
        free (s);
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (app_crashes_are_the_apps),
                cmocka_unit_test (probe_crash_is_the_tools),
                cmocka_unit_test (hang_in_a_hook_is_the_tools),
                cmocka_unit_test (app_hang_is_the_apps),
                cmocka_unit_test (fault_in_the_handler_is_the_tools),
                cmocka_unit_test (analysis_crash_is_the_tools),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
