# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race class=QTimer cause=refcount thread=dropper
# qgc-check-args: --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/python_class_null_in_function.py).
# A QTimer made in a plain function (no `self`) and deleted by a plain thread. The object has
# a wrapper of Python class QTimer. Right: python_class "QTimer". Seen: null.
# Reproduces under PySide6 (tools/oracle --binding PySide6); PyQt6 defers this deletion to the
# owner thread (no finding, the oracle agrees).

import sys

from _oracle_probes import *

handoff = queue.Queue()


def dropper():
    while not _o_stop.is_set():
        try:
            x = handoff.get(timeout=0.05)
        except queue.Empty:
            continue
        delete(x)  # destroyed here, off its owner (MainThread)


def produce():
    handoff.put(_o_new(QTimer()))


app = QApplication(sys.argv)
_o_pythread("dropper", dropper).start()
timer = QTimer()
timer.timeout.connect(produce)
timer.start(10)
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
