# qgc-check-expect: verdict=race class=QGraphicsTextItem teardown=yes
# qgc-check-args: --duration 2
# qgc-check-stdout: ^destroyed in dropper: 0 before the script ended, [1-9][0-9]* after$
# Findings made during the interpreter's teardown are marked so. The script ends (its event
# loop quits); its atexit handler, which the interpreter runs as it tears down, records that
# and lets a daemon thread drop the last references to graphics items it was handed: their
# QGraphicsTextItem children die in that thread, off the GUI thread that owns them. Each text
# item's destroyed signal (a direct connection) records whether the script had ended; the
# handler prints the counts once the thread is done.
import atexit
import sys
import threading

from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, Qt, QTimer

ended = threading.Event()
dropped = threading.Event()
before, after = [], []


class Holder(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 10, 10)
        label = QGraphicsTextItem("x")
        label.setParentItem(self)  # the item owns it, in C++
        label.destroyed.connect(on_destroyed, Qt.ConnectionType.DirectConnection)


def on_destroyed(*_):
    if threading.current_thread().name == "dropper":
        (after if ended.is_set() else before).append(1)


def drop(items):
    ended.wait()
    items.clear()  # the last references: each item and its text item die here
    dropped.set()


def at_exit():
    ended.set()
    dropped.wait(10)
    print(f"destroyed in dropper: {len(before)} before the script ended, {len(after)} after", flush=True)


app = QApplication(sys.argv)
atexit.register(at_exit)
threading.Thread(target=drop, args=([Holder() for _ in range(20)],), name="dropper", daemon=True).start()
QTimer.singleShot(300, app.quit)
app.exec()
