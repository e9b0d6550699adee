# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc thread=qgc-stress-* also=crash
# qgc-check-args: --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/python_class_of_creator.py).
# The QGraphicsTextItem made in LegendEntry.__init__ has its own wrapper, of Python class
# QGraphicsTextItem. Right: python_class "QGraphicsTextItem". Seen: "LegendEntry", the `self`
# of the method that created it.
# Reproduces under both bindings, every run.

import sys

from _oracle_probes import *


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = _o_new(QGraphicsTextItem("x", self))
        self.callbacks = [self.refresh]  # cycle: only a collection frees it

    def refresh(self):
        self.label.setPlainText("y")


def make_garbage():
    for _ in range(5):
        LegendEntry()


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
