# qgc-check-expect: verdict=race fix_kind=break-cycle fixed_by=qthread_owned_cycle_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: [1-9]
# A worker QThread ("builder", running its event loop) builds legend entries in a reference
# cycle and drops them: its garbage, collected by whichever thread runs the collector, dies
# there. The owner is not the GUI thread, so a collector in the GUI thread races the same; the
# fix breaks the cycle (qthread_owned_cycle_fixed.py). Prints what the program saw itself
# (_died_where.py): how many labels died, and how many off their owner.
import sys

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QObject, QThread, QTimer, pyqtSlot


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)
        self.callbacks = [self.refresh]  # a bound method on self: a reference cycle

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
