# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^pool: 24 runnables made and destroyed 96 objects$
# QThreads and a QThreadPool whose work creates and destroys its own QObjects, each in the
# thread that made it: a QThread subclass runs its own event loop with a timer that makes
# and deletes objects (deleteLater and explicit deletion), pooled QRunnables build a
# parent with children and drop it. Correct code: it must run to its end unchanged.
import sys
import threading

from _qt import QApplication, QEventLoop, QObject, QRunnable, QThread, QThreadPool, QTimer
from _qt import delete

lock = threading.Lock()
pool_made = []


class Ticker(QThread):
    """Runs an event loop of its own; every tick makes objects and deletes them."""

    def __init__(self, index):
        super().__init__()
        self.index = index
        self.summary = None

    def run(self):
        made = destroyed = 0
        loop = QEventLoop()
        timer = QTimer()
        keep = []

        def tick():
            nonlocal made, destroyed
            for obj in keep:
                delete(obj)  # in its own thread
            keep.clear()
            for _ in range(4):
                parent = QObject()
                QObject(parent)
                parent.destroyed.connect(count_destroyed)
                keep.append(parent)
                made += 2
            later = QObject()
            later.destroyed.connect(count_destroyed)
            later.deleteLater()  # picked up by this thread's own event loop
            made += 1
            if made >= 45:
                timer.stop()
                for obj in keep:
                    delete(obj)
                keep.clear()
                QTimer.singleShot(20, loop.quit)

        def count_destroyed(*_):
            nonlocal destroyed
            destroyed += 1

        timer.timeout.connect(tick)
        timer.start(10)
        loop.exec()
        timer.timeout.disconnect(tick)
        self.summary = f"thread {self.index}: made {made} objects, {destroyed} parents destroyed in their own thread"


class Job(QRunnable):
    def __init__(self, index):
        super().__init__()
        self.index = index

    def run(self):
        parent = QObject()
        parent.setObjectName(f"job-{self.index}")
        children = [QObject(parent) for _ in range(3)]
        n = 1 + len(parent.children())
        del children
        del parent  # the last reference: destroyed here, in the pool thread that made it
        with lock:
            pool_made.append(n)


app = QApplication(sys.argv)
tickers = [Ticker(i) for i in range(3)]
pool = QThreadPool()
pool.setMaxThreadCount(3)


def start():
    for t in tickers:
        t.start()
    for i in range(24):
        pool.start(Job(i))


def finish():
    pool.waitForDone()
    for t in tickers:
        t.wait()
        print(t.summary)
    print(f"pool: {len(pool_made)} runnables made and destroyed {sum(pool_made)} objects")
    app.quit()


QTimer.singleShot(0, start)
QTimer.singleShot(1200, finish)
app.exec()
