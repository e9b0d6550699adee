# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race cause=refcount thread=dropper
# qgc-check-args: --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/site_of_another_call.py).
# One call site builds two classes (`for cls in (Alpha, Beta) * 10`), each with its own
# __init__, and two look-alike functions build a QTimer and a QObject. Right: each object's
# creation site is the call that made it (factory's `handoff.put(_o_new(cls()))` line for
# Alpha and Beta, not their __init__; make_timer / make_object for the others), with its own
# Python class. Seen: the
# QObjects of make_object reported at make_timer's line (101 of 101 in one run); in generated
# programs also Gamma objects at Alpha.__init__ with python_class Alpha (a loop of classes).
# Reproduces under PySide6 (tools/oracle --binding PySide6); PyQt6 defers these deletions.

import sys

from _oracle_probes import *

handoff = queue.Queue()


class Alpha(QObject):
    def __init__(self):
        super().__init__(); _o_ctor(self)


class Beta(QObject):
    def __init__(self):
        super().__init__(); _o_ctor(self)


def dropper():
    while not _o_stop.is_set():
        try:
            x = handoff.get(timeout=0.05)
        except queue.Empty:
            continue
        delete(x)


def make_timer():
    handoff.put(_o_new(QTimer()))


def make_object():
    handoff.put(_o_new(QObject()))


def factory():
    for cls in (Alpha, Beta) * 10:
        handoff.put(_o_new(cls()))


app = QApplication(sys.argv)
_o_pythread("dropper", dropper).start()
timers = []
for fn in (make_timer, make_object, factory):
    t = QTimer()
    t.timeout.connect(fn)
    t.start(10)
    timers.append(t)
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
