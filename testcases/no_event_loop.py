# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc thread=qgc-stress-* also=crash
# qgc-check-args: --duration 2
# Bug-report style snippet: like graphics_item_cycle.py, but it never calls app.exec();
# the checker has to run the event loop itself for the garbage timer to fire.
import sys

from _qt import QTimer
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        self.callbacks = [self.refresh]  # bound method on self -> reference cycle

    def refresh(self):
        self.label.setPlainText("y")


def make_garbage():
    for _ in range(5):
        LegendEntry()


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
