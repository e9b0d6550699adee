# qgc-check-expect: verdict=race class=QGraphicsTextItem evidence=window thread=qgc-stress-* also=crash
# qgc-check-expect-PySide6: verdict=race class=QWindow pyclass=Win evidence=window thread=qgc-stress-* also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^windows-destroyed-off-main: [1-9]
# Real QWindows (offscreen platform) destroyed by a collection in a worker thread. Under both
# bindings: a QWindow whose QObject parent is a QGraphicsTextItem, child item of a graphics item
# in a cycle: the collection destroys the item, its text item and the window with it (the
# finding is the text item's, the window folded into it). Under PySide6 also a Python subclass
# Win(QWindow) in a cycle, destroyed where its wrapper is collected (PyQt6 defers it). Each
# window's destroyed signal (a direct connection) counts the windows that died off the main
# thread: printed at the first and as "windows-destroyed-off-main: N" at 1.5 s. Each finding of a window says so
# (evidence window): ~QWindow has already cleared isWindowType() when ~QObject runs.
import sys
import threading

from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QObject, Qt, QTimer, QWindow

off_main = []


def died(*_):
    if threading.current_thread() is not threading.main_thread():
        off_main.append(1)
        if len(off_main) == 1:  # at once: a racy run may crash before the end
            print("windows-destroyed-off-main: 1 (the first)", flush=True)


def watch(window):
    window.destroyed.connect(died, Qt.ConnectionType.DirectConnection)


class Holder(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 10, 10)
        label = QGraphicsTextItem("x")
        label.setParentItem(self)  # the item owns it now, in C++
        window = QWindow()
        QObject.setParent(window, label)  # dies inside the text item's ~QObject
        watch(window)
        self.me = self


class Win(QWindow):
    def __init__(self):
        super().__init__()
        self.me = self


def make_garbage():
    for _ in range(3):
        Holder()
        watch(Win())


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
QTimer.singleShot(1500, lambda: print(f"windows-destroyed-off-main: {len(off_main)}", flush=True))
app.exec()
