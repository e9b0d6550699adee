# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=clean kind=at-risk-cycle class=QWidget pyclass=Panel
# qgc-check-args: --threads 0 --duration 1.5
# Cycles of widgets and windows: instances of the binding's own classes (QLabel, QWindow)
# and of Python subclasses (Panel, Win). `--measure` runs no event loop: it collects one
# cycle of each in a worker thread and prints, from each object's destroyed signal (a
# direct connection), the thread its C++ object died in ("worker" or "main"): what the
# at-risk warnings of an observe-only run must agree with (tests/test_bindings.py).
# Measured with PySide6 6.5.3, 6.8.3, 6.9.3 and 6.11.0: QLabel and QWindow die in the
# main thread (PySide6 queues their delete there), Panel and Win in the worker; PyQt6
# defers all four (deleteLater, which no event loop runs here: "none").
import gc
import sys
import threading
import time

from _qt import QApplication, QLabel, Qt, QTimer, QWidget, QWindow


class Panel(QWidget):
    pass


class Win(QWindow):
    pass


KINDS = {"QLabel": QLabel, "Panel": Panel, "QWindow": QWindow, "Win": Win}


def cycle(make):
    obj = make()
    obj.me = obj
    return obj


def measure():
    main = threading.get_ident()
    gc.disable()
    for name, make in KINDS.items():
        died = []
        obj = cycle(make)
        obj.destroyed.connect(lambda *_: died.append(threading.get_ident()),
                              Qt.ConnectionType.DirectConnection)
        del obj
        worker = threading.Thread(target=gc.collect)
        worker.start()
        worker.join()
        for _ in range(200):  # the main thread runs bytecode: a queued delete gets its turn
            if died:
                break
            time.sleep(0.01)
        where = "none" if not died else "main" if died[0] == main else "worker"
        print(f"{name} {where}", flush=True)


app = QApplication(sys.argv)
if "--measure" in sys.argv:
    measure()
    sys.exit(0)
timer = QTimer()
timer.timeout.connect(lambda: [cycle(make) for make in KINDS.values()])
timer.start(20)
app.exec()
