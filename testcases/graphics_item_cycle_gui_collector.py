# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# Same garbage as graphics_item_cycle.py, but automatic GC is disabled and a GUI-thread QTimer
# collects (honouring the thresholds, like pyqtgraph's GarbageCollector), so no race.
import gc
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


def collect_in_gui_thread():
    l0, l1, l2 = gc.get_count()
    t0, t1, t2 = gc.get_threshold()
    if l0 > t0:
        generation = 0
        if l1 > t1:
            generation = 1
        if l2 > t2:
            generation = 2
        gc.collect(generation)


gc.disable()
app = QApplication(sys.argv)
collector = QTimer()
collector.timeout.connect(collect_in_gui_thread)
collector.start(50)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
app.exec()
