# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: 0$
# gui_owned_cycle.py with its fix applied: automatic collection off, and gc.collect() from a
# QTimer in the GUI thread, so the garbage dies in the thread that owns it.
import gc
import sys

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)
        self.callbacks = [self.refresh]  # a bound method on self: a reference cycle

    def refresh(self):
        self.label.setPlainText("y")


def make_garbage():
    for _ in range(5):
        LegendEntry().refresh()


gc.disable()
app = QApplication(sys.argv)
watch = DeathWatch()
collector = QTimer()
collector.timeout.connect(gc.collect)
collector.start(50)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
