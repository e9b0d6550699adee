/* SPDX-License-Identifier: MIT */
/* Unit tests of the fix each finding gets (cmocka): one row per thing the
 * tool can see, the fix kind it leads to, and a phrase its fix must hold
 * (or must not). The fix follows from what was seen, nothing else. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "supervisor/describe.h"
#include "supervisor/result.h"

/* Destroyed inside the binding's dealloc: a Python reference let go. */
#define STACK_DEALLOC "QObject::~QObject()\tlibQt6Core.so.6\nsipQGraphicsTextItem::~sipQGraphicsTextItem()\tQtWidgets.abi3.so\n"
/* A child item deleted by its parent item's destructor, which the binding
 * called as it freed the parent's wrapper (PyQt6 wheels): no C++ call. */
#define STACK_PARENT_ITEM                                                                                             \
        "QObject::~QObject()\tlibQt6Core.so.6\nnon-virtual thunk to sipQGraphicsTextItem::~sipQGraphicsTextItem()\t" \
        "QtWidgets.abi3.so\nQGraphicsItem::~QGraphicsItem()\tlibQt6Widgets.so.6\nrelease_QGraphicsRectItem\t"         \
        "QtWidgets.abi3.so\nforgetObject\tsip.cpython-311-x86_64-linux-gnu.so\n"
/* A pool thread deleted by QThreadPool::waitForDone (class unresolved). */
#define STACK_POOL                                                                                                    \
        "QObject::~QObject()\tlibQt6Core.so.6\nQThread::~QThread()\tlibQt6Core.so.6\n"                                \
        "QThreadPoolPrivate::reset()\tlibQt6Core.so.6\nQThreadPool::waitForDone(int)\tlibQt6Core.so.6\n"           \
        "meth_QThreadPool_waitForDone\tQtCore.abi3.so\n"

/* Deleted deep inside Qt: the fix names where, its caller, and the API
 * the app called (the frame before the binding's), not the frames between. */
#define STACK_DEEP                                                                                                    \
        "QObject::~QObject()\tlibQt6Core.so.6\nQThread::~QThread()\tlibQt6Core.so.6\n"                                \
        "QThreadPoolThread::~QThreadPoolThread()\tlibQt6Core.so.6\nQThreadPoolPrivate::reset()\tlibQt6Core.so.6\n"  \
        "QThreadPoolPrivate::clear()\tlibQt6Core.so.6\n??\tlibQt6Core.so.6\nQThreadPoolPrivate::waitForDone(int)\t"  \
        "libQt6Core.so.6\nQThreadPool::waitForDone(int)\tlibQt6Core.so.6\nmeth_QThreadPool_waitForDone\tQtCore.abi3.so\n"

struct row {
        enum finding_kind kind;
        const char *cause, *trigger, *owner;
        int loop; /* owner_event_loop */
        const char *native_stack;
        const char *fix_kind, *says, *never_says, *cause_after;
};

static const struct row rows[] = {
        { FINDING_OFF_THREAD_FINALIZATION, "cyclic-gc", "automatic", "MainThread", 1, STACK_DEALLOC, "gui-collector",
          "--mitigate applies it", NULL, "cyclic-gc" },
        { FINDING_OFF_THREAD_FINALIZATION, "cyclic-gc", "automatic", "MainThread", 1, STACK_PARENT_ITEM,
          "gui-collector", "--mitigate applies it", NULL, "cyclic-gc" },
        { FINDING_OFF_THREAD_FINALIZATION, "refcount", NULL, "MainThread", 1, STACK_PARENT_ITEM, "drop-in-owner",
          "drop it in MainThread", NULL, "refcount" },
        { FINDING_OFF_THREAD_FINALIZATION, "cyclic-gc", "explicit", "MainThread", 1, STACK_PARENT_ITEM,
          "collect-in-owner", "gc.collect() at app.py:33 (in collect_forever) in collector destroyed it: make that "
          "call in MainThread", "--mitigate applies", "cyclic-gc" },
        { FINDING_OFF_THREAD_FINALIZATION, "refcount", NULL, "ThreadPoolExecutor-0_0", 0, STACK_DEALLOC,
          "move-to-gui-thread", "moveToThread(", "call deleteLater()", "refcount" },
        { FINDING_OFF_THREAD_FINALIZATION, "cyclic-gc", "automatic", "ThreadPoolExecutor-0_0", 0, STACK_DEALLOC,
          "move-to-gui-thread", "moveToThread(", "--mitigate applies", "cyclic-gc" },
        { FINDING_OFF_THREAD_FINALIZATION, "refcount", NULL, "MainThread", 1, STACK_DEALLOC, "drop-in-owner",
          "drop it in MainThread instead, or call deleteLater()", "--mitigate", "refcount" },
        /* The GUI thread whose event loop never ran: no deleteLater(), no
         * QTimer, nowhere to move it to. */
        { FINDING_OFF_THREAD_FINALIZATION, "refcount", NULL, "MainThread", 0, STACK_DEALLOC, "drop-in-owner",
          "drop it in MainThread instead (it never dispatched events", "moveToThread", "refcount" },
        { FINDING_OFF_THREAD_FINALIZATION, "cyclic-gc", "automatic", "MainThread", 0, STACK_DEALLOC, "gui-collector",
          "gc.collect() at points of your own there", "--mitigate applies", "cyclic-gc" },
        { FINDING_OFF_THREAD_FINALIZATION, "cyclic-gc", "automatic", "builder", 1, STACK_DEALLOC, "break-cycle",
          "break the cycle, call deleteLater()", "--mitigate", "cyclic-gc" },
        { FINDING_OFF_THREAD_FINALIZATION, "refcount", NULL, "starter", 0, STACK_POOL, "cpp-call",
          "QThreadPoolPrivate::reset() (libQt6Core.so.6) <- QThreadPool::waitForDone(int) (libQt6Core.so.6), called "
          "in collector; make that call in starter",
          "dropped the last reference", "native" },
        { FINDING_OFF_THREAD_FINALIZATION, "refcount", NULL, "starter", 0, STACK_DEEP, "cpp-call",
          "QThreadPoolPrivate::reset() (libQt6Core.so.6) <- QThreadPoolPrivate::clear() (libQt6Core.so.6) <- ... <- "
          "QThreadPool::waitForDone(int) (libQt6Core.so.6), called in collector; make that call in starter",
          "QThreadPoolPrivate::waitForDone", "native" },
        { FINDING_OFF_THREAD_FINALIZATION, "native", NULL, "MainThread", 1, "", "cpp-call",
          "destroy it (or its parent) in MainThread, or with deleteLater()", "--mitigate", "native" },
        { FINDING_OFF_THREAD_FINALIZATION, "native", NULL, "worker", 0, "", "cpp-call", "in worker", "deleteLater",
          "native" },
        { FINDING_THREAD_WARNING, "refcount", NULL, "MainThread", -1, "", "owner-thread-work",
          "do that work in the object's own thread (deleteLater(), a queued call: a signal emitted in collector to "
          "a slot of an object of that thread), not in collector", "finalizer", "refcount" },
        { FINDING_THREAD_WARNING, "cyclic-gc", "automatic", "MainThread", -1, "", "owner-thread-work",
          "not in a finalizer run by a collection in collector", "--mitigate", "cyclic-gc" },
        { FINDING_AT_RISK_CYCLE, "none", NULL, "MainThread", -1, "", "gui-collector", "--mitigate applies it", NULL,
          "none" },
        { FINDING_AT_RISK_CYCLE, "none", NULL, "builder", -1, "", "break-cycle", "break the cycle", "--mitigate",
          "none" },
};

static void
fix_follows_what_was_seen (void **state)
{
        (void) state;
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                const struct row *row = &rows[i];
                struct run_result r = { 0 };
                struct result_finding f = {
                        .kind = row->kind,
                        .cause = row->cause,
                        .gc_generation = row->trigger ? 2 : -1,
                        .gc_trigger = row->trigger,
                        .qt_class = strstr (row->native_stack, "QThreadPool") ? "(unresolved)" : "QGraphicsTextItem",
                        .py_class = "",
                        .object_name = "",
                        .owner_thread = row->owner,
                        .finalizing_thread = "collector",
                        .message = "",
                        .creation_stack = "app.py:10: in make\n",
                        .finalization_stack = "app.py:33: in collect_forever\napp.py:1: in <module>\n",
                        .test = "",
                        .creation_test = "",
                        .class_library = "",
                        .parents = "",
                        .native_stack = row->native_stack,
                        .owner_event_loop = row->loop,
                        .risk = "rule",
                };
                result_describe (&r, &f);
                print_message ("row %zu: %s: %s\n", i, f.fix_kind, f.fix);
                assert_string_equal (f.fix_kind, row->fix_kind);
                assert_non_null (strstr (f.fix, row->says));
                if (row->never_says)
                        assert_null (strstr (f.fix, row->never_says));
                assert_string_equal (f.cause, row->cause_after);
                result_free (&r);
        }
}

int
main (void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test (fix_follows_what_was_seen),
        };
        return cmocka_run_group_tests (tests, NULL, NULL);
}
