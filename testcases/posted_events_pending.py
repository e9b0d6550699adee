# qgc-check-expect: verdict=race class=QGraphicsObject pyclass=Receiver cause=cyclic-gc risk=high evidence=posted-events also=crash,hang
# qgc-check-args: --duration 2
# A graphics item in a reference cycle owns a child graphics object that receives custom
# events: the GUI thread posts the child an event and, before its event loop delivers it,
# a GC-stress worker's collection destroys item and child, while the event still waits in
# the GUI thread's queue. Under PySide6 the race has also hung the app (its GUI thread
# stuck inside malloc), hence also=hang: the findings must be reported all the same.
import sys
import time

from _qt import (QApplication, QCoreApplication, QEvent, QGraphicsObject, QGraphicsRectItem,
                 QRectF, QTimer)

PROGRESS = QEvent.Type(QEvent.registerEventType())


class Receiver(QGraphicsObject):
    def boundingRect(self):
        return QRectF(0, 0, 1, 1)

    def paint(self, painter, option, widget=None):
        pass

    def event(self, e):
        return True


class Marker(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.receiver = Receiver(self)
        self.me = self  # reference cycle


def make_garbage():
    for _ in range(5):
        marker = Marker()
        QCoreApplication.postEvent(marker.receiver, QEvent(PROGRESS))
        del marker
    time.sleep(0.01)  # busy in the GUI thread: the events wait in its queue


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
app.exec()
