# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race class=QObject pyclass=Payload cause=refcount thread=ThreadPoolExecutor-*
# qgc-check-args: --duration 2
# The GUI thread hands a QObject to a concurrent.futures worker and drops its own reference:
# the worker drops the last one. PyQt6 defers the deletion to the owning thread (clean);
# PySide6 deletes it right there, in the worker (race, refcount).
import sys
from concurrent.futures import ThreadPoolExecutor

from _qt import QApplication, QObject, QTimer


class Payload(QObject):
    pass


def consume(payload):
    payload.setObjectName("consumed")
    return None


pool = ThreadPoolExecutor(max_workers=2)


def hand_over():
    for _ in range(5):
        pool.submit(consume, Payload())


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(hand_over)
timer.start(10)
app.exec()
pool.shutdown()
