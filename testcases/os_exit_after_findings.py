# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc script_exit=7 also=crash
# qgc-check-args: --duration 10
# Races, then os._exit(7) with nothing flushed: the findings and the status survive.
import os
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
QTimer.singleShot(1500, lambda: os._exit(7))
app.exec()
