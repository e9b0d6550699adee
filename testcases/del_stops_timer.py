# qgc-check-expect: verdict=race kind=thread-warning message=*Timers cannot be stopped from another thread* also=crash
# qgc-check-args: --duration 2
# A plain Python object in a cycle whose __del__ stops its QTimer: when a GC-stress worker
# collects it, __del__ runs off the GUI thread and Qt warns in QObject::killTimer.
import sys

from _qt import QTimer
from _qt import QApplication


class Poller:
    def __init__(self):
        self.timer = QTimer()
        self.timer.start(1000)
        self.me = self  # reference cycle

    def __del__(self):
        self.timer.stop()


def make_garbage():
    for _ in range(5):
        Poller()


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
app.exec()
