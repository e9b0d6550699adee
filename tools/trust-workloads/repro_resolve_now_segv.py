# SPDX-License-Identifier: MIT
# Reproducer of a crash caused by qgc-check itself (not by the app).
# Under PyQt6 (Debian's 6.4.2 and the 6.11 wheel) the probe dies of SIGSEGV
# in meta_chain()+0x3d (m->superClass() on a bogus QMetaObject pointer)
# <- resolve_now() <- the collection-start callback, in the GUI thread; the
# report says crash, exit 4, crash.in_tool true, no finding. Plain python3
# runs it to the end (exit 0); PySide6 and --threads 0 do not crash.
# Why: connect() to a bound method builds a PyQtSlotProxy (a QObject); in its
# constructor PyQtSlot takes a weak reference to the method's self
# (PyWeakref_NewRef -> _PyObject_GC_New), which can start an automatic
# collection; the probe's gc callback then names the objects this thread
# made, including the proxy whose constructor is still running, and its
# metaObject() returns garbage. "A thread running Python is not inside a
# constructor of its objects" does not hold: a binding's constructor can run
# Python allocations. gc.set_threshold(1) makes it happen on nearly every
# connect (8/8 runs); with default thresholds trust-stress saw it in
# qthread_workers (Debian PyQt6) and widget_timers (PyQt6 wheel).
#   for i in $(seq 10); do build/src/qgc-check -q -d 0 tools/trust-workloads/repro_resolve_now_segv.py; echo $?; done | sort | uniq -c
import gc

from _qt import *

a = app()
made = [0]
timers = []


class Target:
    def slot(self):
        pass


def tick():
    for _ in range(50):
        t = QTimer()
        # a bound method: PyQtSlotProxy QObject per call, whose PyQtSlot
        # takes a weak reference to the target (a GC allocation)
        t.timeout.connect(Target().slot)
        timers.append(t)
        made[0] += 1
    del timers[:-100]


gc.set_threshold(1)
timer = QTimer()
timer.timeout.connect(tick)
timer.start(2)
rc = run(a)
timer.stop()
print("repro done", made[0] > 100, rc)
