# SPDX-License-Identifier: MIT
# QThread workers with signals: a worker object moved to a thread, results
# sent back to the GUI thread, the thread quit and waited, both deleteLater'd.
from _qt import *

a = app()
results = []


class Worker(QObject):
    done = Signal(int)

    def __init__(self, n):
        super().__init__()
        self.n = n

    def work(self):
        s = 0
        for i in range(self.n * 1000):
            s += i % 7
        helper = QObject()  # created and destroyed in the worker thread
        helper.setObjectName("helper")
        del helper
        self.done.emit(s)


class Receiver(QObject):
    def got(self, value):
        results.append(value)


recv = Receiver()
threads = []


def launch():
    if len(threads) >= 40:
        return
    th = QThread()
    w = Worker(len(threads) + 1)
    w.moveToThread(th)
    th.started.connect(w.work)
    w.done.connect(recv.got)
    w.done.connect(th.quit)
    th.finished.connect(w.deleteLater)
    threads.append((th, w))
    th.start()


timer = QTimer()
timer.timeout.connect(launch)
timer.start(20)


def stop():
    timer.stop()
    for th, w in threads:
        th.quit()
        th.wait()


rc = run(a, on_quit=stop)
a.processEvents()
print("qthread done", len(threads) > 0, rc)
