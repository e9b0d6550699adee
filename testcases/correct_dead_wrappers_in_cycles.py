# qgc-check-expect: verdict=clean
# qgc-check-args: --threads 0 --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^dead wrappers: 120 of 120 collected after their C\+\+ objects were deleted$
# Wrappers whose C++ object is already gone, still held in reference cycles: QObject
# subclasses deleted with their parent, graphics items deleted explicitly with their
# QObject child items. The cycles are then collected in the GUI thread. Under --threads 0
# qgc-check reads every collection's garbage to rate the cycles at risk; it must not
# touch a dead wrapper's C++ object (shiboken6.getCppPointer on one crashes PySide6).
# Correct code: it must run to its end unchanged.
import gc
import sys
import weakref

from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QObject, QTimer
from _qt import delete

ROUNDS = 20
collected = 0


def count(_ref):
    global collected
    collected += 1


class Node(QObject):
    def __init__(self, parent):
        super().__init__(parent)
        self.me = self  # a cycle the C++ parent knows nothing of


class Entry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 10, 10)
        self.label = QGraphicsTextItem("x", self)
        self.label.owner = self  # cycle through the child item's wrapper
        self.me = self


refs = []
rounds = 0


def tick():
    global rounds
    parent = QObject()
    nodes = [Node(parent) for _ in range(3)]
    entries = [Entry() for _ in range(3)]
    for o in nodes + entries:
        refs.append(weakref.ref(o, count))
    delete(parent)  # the nodes' C++ objects go with it; their wrappers stay in cycles
    for e in entries:
        delete(e)   # the item and its QObject child item, now
    del nodes, entries, parent, o, e
    for _ in range(300):  # garbage enough for automatic collections to run
        x = []
        x.append(x)
    rounds += 1
    if rounds == ROUNDS:
        timer.stop()
        gc.collect()
        print(f"dead wrappers: {collected} of {ROUNDS * 6} collected "
              f"after their C++ objects were deleted", flush=True)
        app.quit()


app = QApplication(sys.argv[:1])
timer = QTimer()
timer.timeout.connect(tick)
timer.start(5)
app.exec()
