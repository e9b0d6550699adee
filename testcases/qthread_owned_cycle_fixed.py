# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: 0$
# qthread_owned_cycle.py with its fix applied: the cycle is broken (a weak method), so each
# entry dies as the builder thread drops it, in the thread that owns its label.
import sys
import weakref

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QObject, QThread, QTimer, pyqtSlot


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)
        self.callbacks = [weakref.WeakMethod(self.refresh)]  # no reference cycle

    def refresh(self):
        self.label.setPlainText("y")


class Builder(QObject):
    @pyqtSlot()
    def build(self):  # in the builder thread
        for _ in range(5):
            LegendEntry().refresh()


app = QApplication(sys.argv)
watch = DeathWatch()
thread = QThread()
thread.setObjectName("builder")
builder = Builder()
builder.moveToThread(thread)
thread.start()
timer = QTimer()
timer.timeout.connect(builder.build)  # queued: runs in the builder thread
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
thread.quit()
thread.wait()
