# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc thread=collector fix_kind=collect-in-owner fixed_by=explicit_collect_in_worker_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: [1-9]
# The app turns automatic collection off and collects by itself, but from a worker thread
# ("collector") calling gc.collect(): the garbage cycles the GUI thread made die there. The fix
# makes that call in the GUI thread (explicit_collect_in_worker_fixed.py); --mitigate cannot
# help, since the collection is not an automatic one. Prints what the program saw itself
# (_died_where.py): how many labels died, and how many off their owner.
import gc
import sys
import threading
import time

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


def collect_forever():
    while True:
        time.sleep(0.02)
        gc.collect()


gc.disable()
app = QApplication(sys.argv)
watch = DeathWatch()
threading.Thread(target=collect_forever, name="collector", daemon=True).start()
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
