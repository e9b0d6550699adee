# qgc-check-expect: verdict=race class=QGraphicsObject pyclass=Blinker cause=cyclic-gc risk=high evidence=active-timers also=crash
# qgc-check-args: --duration 2
# A graphics item in a cycle owns a QGraphicsObject child with a running timer: a worker's
# collection destroys it while its timer is registered with the GUI thread's dispatcher (a
# hazard the report shows as evidence, beyond breaking Qt's rule).
import sys

from _qt import QApplication, QGraphicsObject, QGraphicsRectItem, QRectF, QTimer


class Blinker(QGraphicsObject):
    def __init__(self, parent):
        super().__init__(parent)
        self.startTimer(1000)

    def boundingRect(self):
        return QRectF(0, 0, 1, 1)

    def paint(self, painter, option, widget=None):
        pass


class Lamp(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.blinker = Blinker(self)
        self.me = self


def make_garbage():
    for _ in range(5):
        Lamp()


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
app.exec()
