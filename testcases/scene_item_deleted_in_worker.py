# qgc-check-expect: verdict=race class=QGraphicsObject pyclass=Badge thread=loader risk=high evidence=in-scene also=crash
# qgc-check-args: --duration 2
# A background loader replaces the markers of a live scene: the GUI thread adds a batch to
# its scene and waits while the loader thread deletes the previous one, still in the
# scene. Each marker's badge (a QObject) is destroyed in the loader thread and leaves the
# scene (its index, its selection, its focus chain) there. Waiting keeps the GUI thread
# off the scene meanwhile, which is why this app usually survives; the rule is broken all
# the same.
import queue
import sys
import threading

from _qt import (QApplication, QGraphicsObject, QGraphicsRectItem, QGraphicsScene, QRectF,
                 QTimer, delete)


class Badge(QGraphicsObject):
    def boundingRect(self):
        return QRectF(0, 0, 4, 4)

    def paint(self, painter, option, widget=None):
        pass


class Marker(QGraphicsRectItem):
    def __init__(self, x):
        super().__init__(x, 0, 4, 4)
        self.badge = Badge(self)


app = QApplication(sys.argv)
scene = QGraphicsScene()
stale = queue.Queue()
deleted = threading.Event()
previous = []


def add_batch():
    global previous
    batch = [Marker(i * 5) for i in range(5)]
    for marker in batch:
        scene.addItem(marker)
    deleted.clear()
    stale.put(previous)
    deleted.wait()
    previous = batch


def loader():
    while True:
        for marker in stale.get():
            delete(marker)
        deleted.set()


threading.Thread(target=loader, name="loader", daemon=True).start()
timer = QTimer()
timer.timeout.connect(add_batch)
timer.start(50)
app.exec()
