# qgc-check-expect: verdict=clean
# qgc-check-stdout: ^died: [1-9]\d* off-owner: 0$
# no_event_loop_worker_drops.py with its fix applied: the main thread keeps each entry until
# the consumer says it is done with it, and drops it then, in the thread that owns its label
# (no event loop needed).
import queue
import sys
import threading
import time

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)


def consume():
    while True:
        key, entry = work.get()
        entry.setPos(1, 1)  # the work
        del entry  # not the last reference: the main thread keeps one
        done.put(key)


def drop_done():
    while True:  # drop, in the main thread, what the consumer is done with
        try:
            del pending[done.get_nowait()]
        except queue.Empty:
            break


app = QApplication(sys.argv)
watch = DeathWatch()
work = queue.Queue()
done = queue.Queue()
pending = {}
threading.Thread(target=consume, name="consumer", daemon=True).start()
end = time.monotonic() + 1.5
counter = 0
while time.monotonic() < end:
    drop_done()
    for _ in range(5):
        counter += 1
        pending[counter] = LegendEntry()
        work.put((counter, pending[counter]))
    time.sleep(0.01)
while pending:
    drop_done()
    time.sleep(0.01)
watch.report()
