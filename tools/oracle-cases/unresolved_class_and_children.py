# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=race cause=refcount thread=consumer also=crash
# qgc-check-args: --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/unresolved_class_and_children.py).
# Objects handed at once to a plain "consumer" thread that drops the last reference: they die
# before the GUI thread looked at them. Right: class QGraphicsTextItem / Holder, and their
# child QObjects (the text item's QWidgetTextControl, QTextDocument, ...; Holder's QObject
# and QTimer) counted into the parent's finding. Seen: class "QObject" (or the class of a
# native child, QWidgetTextControl), and each child reported as a finding of its own
# (class QObject, Python class LegendEntry / Holder).
# Reproduces under both bindings (more often under PySide6, where Holder dies in the thread too).

import sys

from _oracle_probes import *

items = queue.Queue()


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = _o_new(QGraphicsTextItem("x", self))


class Holder(QObject):
    def __init__(self):
        super().__init__(); _o_ctor(self)
        self.kid = _o_new(QObject(self))
        self.timer = _o_new(QTimer(self))


def consume():
    while not _o_stop.is_set():
        try:
            x = items.get(timeout=0.05)
        except queue.Empty:
            continue
        delete(x) if isinstance(x, QObject) else None
        del x  # the last reference: destroyed in this thread


def produce():
    for _ in range(5):
        items.put(LegendEntry())
        items.put(_o_new(Holder()))


app = QApplication(sys.argv)
_o_pythread("consumer", consume).start()
timer = QTimer()
timer.timeout.connect(produce)
timer.start(10)
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
