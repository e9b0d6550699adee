# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^workers-finished: [1-9]
# Worker QThreads create QObjects in run() and end; their objects die with the finished thread
# (normal teardown of a worker QThread), which races with nobody and is not a finding.
import sys

from _qt import QObject, QThread, QTimer
from _qt import QApplication


class Worker(QThread):
    def run(self):
        self.scratch = [QObject() for _ in range(20)]  # owned by this thread


finished = 0
threads = []


def start_worker():
    global finished
    for t in [t for t in threads if t.isFinished()]:
        threads.remove(t)
        finished += 1
    t = Worker()
    threads.append(t)
    t.start()


app = QApplication(sys.argv)
timer = QTimer()
timer.timeout.connect(start_worker)
timer.start(20)
QTimer.singleShot(1500, lambda: print(f"workers-finished: {finished}", flush=True))
app.exec()
for t in threads:
    t.wait()
