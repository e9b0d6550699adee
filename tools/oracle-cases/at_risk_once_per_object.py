# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=clean
# qgc-check-args: --threads 0 --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/at_risk_once_per_object.py --at-risk
# --binding PySide6).
# Observe-only: a graphics item (not a QObject) in a cycle owns a QGraphicsTextItem, and a
# Panel QObject in a cycle owns a QTimer child. The program's calibration collects one of
# each in a plain thread and sees all three die there. Right: one at-risk warning per
# object that would die in the collecting thread, the QTimer counted into its Panel's as
# off-thread findings count children into their parent's. Seen under PySide6 (6.9 and 6.11,
# with the at-risk model of a058b90): every QGraphicsTextItem twice, in a group whose path
# is "LegendEntry.__dict__ -> ..." and again in one whose path is "QGraphicsTextItem -> ...",
# and the QTimer children as their own groups ("QTimer -> ...") while the Panel's warning
# says children_destroyed 0.

import sys

from _oracle_probes import *


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = _o_new(QGraphicsTextItem("x", self))
        self.callbacks = [self.refresh]  # a cycle

    def refresh(self):
        self.label.setPlainText("y")


class Panel(QObject):
    def __init__(self):
        super().__init__(); _o_ctor(self)
        self.kid = _o_new(QTimer(self))
        self.me = self  # a cycle


def make_garbage():
    LegendEntry()
    _o_new(Panel())


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
_o_calibrate([make_garbage])
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
