# qgc-check-expect: verdict=crash signal=SEGV
# qgc-check-args: --duration 10
# A Python thread with a small stack overflows it (deep recursion in native code): the
# signal can only be handled on an alternate stack, which every thread needs, not only
# the main one. The crash must be reported with the signal and the stacks.
import sys
import threading

from _qt import QTimer
from _qt import QApplication, QObject


def nest(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def overflow():
    deep = nest(1_000_000)
    repr(deep)  # list_repr recurses in C, one native frame per level


def start():
    sys.setrecursionlimit(10_000_000)
    threading.stack_size(128 * 1024)
    threading.Thread(target=overflow, name="deep-repr", daemon=True).start()


app = QApplication(sys.argv)
keep = [QObject() for _ in range(100)]
QTimer.singleShot(300, start)
app.exec()
