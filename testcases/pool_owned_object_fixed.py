# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: 0$
# pool_owned_object.py with its fix applied: the job moves each badge to the GUI thread before
# the entry leaves the pool thread, so the GUI thread drops what it owns.
import collections
import queue
import sys
from concurrent.futures import ThreadPoolExecutor

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsObject, QGraphicsRectItem, QRectF, QTimer


class Badge(QGraphicsObject):  # a QObject, and a child item of its entry
    def boundingRect(self):
        return QRectF(0, 0, 4, 4)

    def paint(self, painter, option, widget=None):
        pass


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.badge = Badge(self)
        watch.watch(self.badge)


def build():  # in a pool thread
    entry = LegendEntry()
    entry.badge.moveToThread(QApplication.instance().thread())
    watch.watch(entry.badge, "MainThread")  # its owner now
    ready.put(entry)


def show():  # in the GUI thread: the oldest entries shown are dropped here
    for _ in range(3):
        pool.submit(build)
    while True:
        try:
            shown.append(ready.get_nowait())
        except queue.Empty:
            break


app = QApplication(sys.argv)
watch = DeathWatch()
pool = ThreadPoolExecutor(max_workers=2)
ready = queue.Queue()
shown = collections.deque(maxlen=30)
timer = QTimer()
timer.timeout.connect(show)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
pool.shutdown()
