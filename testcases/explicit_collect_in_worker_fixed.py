# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: 0$
# explicit_collect_in_worker.py with its fix applied: the same gc.collect() call, made in the
# thread that owns the garbage (the GUI thread, from a QTimer) instead of a worker thread.
import gc
import sys

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)
        self.me = self  # a reference cycle: only a collection frees it


def make_garbage():
    for _ in range(5):
        LegendEntry()


gc.disable()
app = QApplication(sys.argv)
watch = DeathWatch()
collector = QTimer()
collector.timeout.connect(gc.collect)
collector.start(20)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
