# qgc-check-expect: verdict=race fix_kind=move-to-gui-thread fixed_by=pool_owned_object_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: [1-9]
# Legend entries built in a ThreadPoolExecutor job and shown by the GUI thread, which drops them
# later: each entry's badge (a QGraphicsObject) belongs to the pool thread that made it, a
# thread that runs no event loop, and dies in the GUI thread. A deleteLater() would never run
# there; the fix moves the badge to the GUI thread before it leaves the job
# (pool_owned_object_fixed.py). Prints what the program saw itself (_died_where.py): how many
# badges died, and how many off their owner.
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
    ready.put(LegendEntry())


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
