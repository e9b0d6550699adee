# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=refcount thread=consumer also=crash
# qgc-check-args: --duration 2
# The GUI thread hands graphics items (no cycle) to a plain "consumer" thread, which drops the
# last reference; the child QGraphicsTextItem is destroyed there by plain refcounting.
import queue
import sys
import threading

from _qt import QTimer
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)


items = queue.Queue()


def consume():
    while True:
        item = items.get()
        del item  # last reference -> C++ item and its QObject child deleted in this thread


def produce():
    for _ in range(5):
        items.put(LegendEntry())  # the GUI thread keeps no reference


app = QApplication(sys.argv)
threading.Thread(target=consume, name="consumer", daemon=True).start()
timer = QTimer()
timer.timeout.connect(produce)
timer.start(10)
app.exec()
