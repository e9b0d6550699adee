# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc thread=qgc-stress-* fix_kind=gui-collector fixed_by=gui_owned_cycle_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^died: [1-9]\d* off-owner: [1-9]
# The GUI thread makes legend entries in a reference cycle and drops them: automatic
# collections run in whichever thread allocates (here qgc-check's stress threads) and destroy
# the labels there. The fix collects only in the GUI thread (gui_owned_cycle_fixed.py: what
# --mitigate applies). Prints what the program saw itself (_died_where.py): how many labels died,
# and how many off their owner.
import sys

from _died_where import DeathWatch
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        watch.watch(self.label)
        self.callbacks = [self.refresh]  # a bound method on self: a reference cycle

    def refresh(self):
        self.label.setPlainText("y")


def make_garbage():
    for _ in range(5):
        LegendEntry().refresh()


app = QApplication(sys.argv)
watch = DeathWatch()
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, watch.report)
app.exec()
