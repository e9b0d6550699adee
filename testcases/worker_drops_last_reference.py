# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=refcount thread=consumer fix_kind=drop-in-owner fixed_by=worker_drops_last_reference_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: [1-9]
# The GUI thread hands legend entries to a "consumer" thread and keeps no reference: the
# consumer drops the last one, and each label (owned by the GUI thread, which runs an event
# loop) dies there. The fix drops them in the GUI thread (worker_drops_last_reference_fixed.py).
# Prints what the program saw itself (_died_where.py): how many labels died, and how many off
# their owner.
import queue
import sys
import threading

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)


def consume():
    while True:
        key, entry = work.get()
        entry.setPos(1, 1)  # the work
        del entry  # the last reference


def produce():
    global counter
    for _ in range(5):
        counter += 1
        work.put((counter, LegendEntry()))


app = QApplication(sys.argv)
watch = DeathWatch()
work = queue.Queue()
counter = 0
threading.Thread(target=consume, name="consumer", daemon=True).start()
timer = QTimer()
timer.timeout.connect(produce)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
