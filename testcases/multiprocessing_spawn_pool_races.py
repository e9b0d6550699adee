# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc thread=qgc-stress-* also=crash
# qgc-check-args: --duration 2
# A multiprocessing pool with the "spawn" start method whose tasks build graphics items in
# reference cycles: each worker is a fresh interpreter, and only the workers load Qt.
import multiprocessing
import sys
import time


def task(n):
    from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem

    class LegendEntry(QGraphicsRectItem):
        def __init__(self):
            super().__init__(0, 0, 20, 10)
            self.label = QGraphicsTextItem("x", self)
            self.callbacks = [self.refresh]

        def refresh(self):
            pass

    app = QApplication.instance() or QApplication(sys.argv[:1])
    end = time.monotonic() + 0.6
    made = 0
    while time.monotonic() < end:
        for _ in range(5):
            LegendEntry()
            made += 1
        app.processEvents()
        time.sleep(0.005)
    return made


if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        print("made", sum(pool.map(task, range(4))) > 0)
