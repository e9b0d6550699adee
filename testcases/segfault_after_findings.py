# qgc-check-expect: verdict=crash signal=SEGV class=QGraphicsTextItem cause=cyclic-gc
# qgc-check-args: --duration 10
# Races first, then a segfault from a GUI-thread timer: the crash verdict keeps the findings.
import ctypes
import sys

from _qt import QTimer
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.label = QGraphicsTextItem("x", self)
        self.callbacks = [self.refresh]

    def refresh(self):
        pass


def make_garbage():
    for _ in range(5):
        LegendEntry()


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, lambda: ctypes.string_at(0))
app.exec()
