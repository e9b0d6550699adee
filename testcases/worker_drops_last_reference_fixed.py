# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: 0$
# worker_drops_last_reference.py with its fix applied: the GUI thread keeps each entry until the
# consumer says it is done with it, and drops it then, in the thread that owns its label.
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
        del entry  # not the last reference: the GUI thread keeps one
        done.put(key)


def produce():
    global counter
    while True:  # drop, in the GUI thread, what the consumer is done with
        try:
            del pending[done.get_nowait()]
        except queue.Empty:
            break
    for _ in range(5):
        counter += 1
        pending[counter] = LegendEntry()
        work.put((counter, pending[counter]))


app = QApplication(sys.argv)
watch = DeathWatch()
work = queue.Queue()
done = queue.Queue()
pending = {}
counter = 0
threading.Thread(target=consume, name="consumer", daemon=True).start()
timer = QTimer()
timer.timeout.connect(produce)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
