# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=refcount thread=consumer fix_kind=drop-in-owner fixed_by=no_event_loop_worker_drops_fixed.py also=crash
# qgc-check-stdout: ^died: [1-9]\d* off-owner: [1-9]
# A script that never dispatches events (no exec(), processEvents() or qWait(): a batch job, a
# test without an event loop): the main thread
# makes legend entries, hands them to a "consumer" thread and keeps no reference; the consumer
# drops the last one, and each label (owned by the main thread) dies there. With no event loop
# in the main thread, a deleteLater() would never run and there is no GUI thread to move the
# object to: the fix drops them in the main thread (no_event_loop_worker_drops_fixed.py).
# Prints what the program saw itself (_died_where.py).
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
        del entry  # the last reference


app = QApplication(sys.argv)
watch = DeathWatch()
work = queue.Queue()
threading.Thread(target=consume, name="consumer", daemon=True).start()
end = time.monotonic() + 1.5
counter = 0
while time.monotonic() < end:
    for _ in range(5):
        counter += 1
        work.put((counter, LegendEntry()))
    time.sleep(0.01)
while not work.empty():
    time.sleep(0.01)
time.sleep(0.1)
watch.report()
