# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race class=QObject pyclass=Node cause=cyclic-gc thread=qgc-stress-*
# qgc-check-args: --duration 2
# qgc-check-stdout-PyQt6: ^deferred-deletions: [1-9]
# Plain QObject subclasses in self-cycles: PyQt6 defers their deletion (deleteLater) when a worker
# collects them. Prints "deferred-deletions: N" (wrapper finalized off-main, C++ destroyed on main).
import sys
import threading
import weakref

from _qt import QObject, Qt, QTimer, pyqtSlot
from _qt import QApplication

finalized_off_main = set()  # names of Nodes whose Python wrapper was collected off the main thread
counter = 0


class Monitor(QObject):
    deferred = 0

    @pyqtSlot(QObject)
    def on_destroyed(self, obj):  # direct connection: runs in the thread running ~QObject
        if (threading.current_thread() is threading.main_thread()
                and obj.objectName() in finalized_off_main):
            self.deferred += 1


def on_finalized(name):
    if threading.current_thread() is not threading.main_thread():
        finalized_off_main.add(name)


class Node(QObject):
    def __init__(self, name):
        super().__init__()
        self.setObjectName(name)
        self.me = self  # reference cycle
        self.destroyed.connect(monitor.on_destroyed, type=Qt.ConnectionType.DirectConnection)
        weakref.finalize(self, on_finalized, name)


def make_garbage():
    global counter
    for _ in range(5):
        counter += 1
        Node(f"node-{counter}")


app = QApplication(sys.argv)
monitor = Monitor()
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, lambda: print(f"deferred-deletions: {monitor.deferred}", flush=True))
app.exec()
