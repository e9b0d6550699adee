# SPDX-License-Identifier: MIT
# QThreadPool runnables that report through a QObject signaller, each
# runnable building and dropping Qt value objects and QObjects of its own.
from _qt import *
import threading

a = app()
count = [0]
lock = threading.Lock()


class Signals(QObject):
    finished = Signal(int)


class Job(QRunnable):
    def __init__(self, i, signals):
        super().__init__()
        self.i = i
        self.signals = signals
        self.setAutoDelete(True)

    def run(self):
        o = QObject()
        o.setObjectName("job%d" % self.i)
        t = QTimer()  # lives and dies in the pool thread
        t.setInterval(5)
        img = QImage(32, 32, QImage.Format.Format_ARGB32)
        img.fill(self.i)
        with lock:
            count[0] += 1
        self.signals.finished.emit(self.i)


signals = Signals()
got = []
signals.finished.connect(got.append)
pool = QThreadPool.globalInstance()
submitted = [0]


def submit():
    for _ in range(4):
        if submitted[0] < 200:
            pool.start(Job(submitted[0], signals))
            submitted[0] += 1


timer = QTimer()
timer.timeout.connect(submit)
timer.start(5)


def stop():
    timer.stop()
    pool.waitForDone()


rc = run(a, on_quit=stop)
a.processEvents()
print("threadpool done", submitted[0] > 0, count[0] == submitted[0], rc)
