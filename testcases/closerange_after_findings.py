# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc also=crash
# qgc-check-args: --duration 3
# Races, then closes every descriptor it did not open (os.closerange) and keeps racing:
# findings made before and after still reach the report.
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
QTimer.singleShot(1000, lambda: os.closerange(3, 65536))
app.exec()
