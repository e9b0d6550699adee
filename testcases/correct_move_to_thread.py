# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^torn down: 3 threads finished, 3 workers deleted in their threads$
# Workers moved to QThreads with moveToThread, doing their work with a timer and child
# objects in their own thread, torn down the documented way: the worker reports, the GUI
# thread quits the thread, thread.finished -> worker.deleteLater, then wait().
# Correct code: it must run to its end unchanged.
import sys

from _correct import Signal, Slot
from _qt import QApplication, QObject, QThread, QTimer


class Worker(QObject):
    done = Signal(int, int)

    def __init__(self, index):
        super().__init__()
        self.index = index
        self.ticks = 0
        self.made = 0
        self.timer = None

    @Slot()
    def begin(self):
        self.timer = QTimer(self)  # a child made in the worker's own thread
        self.timer.timeout.connect(self.tick)
        self.timer.start(10)

    @Slot()
    def tick(self):
        self.ticks += 1
        parent = QObject(self)
        for _ in range(3):
            QObject(parent)
        self.made += 4
        if self.ticks % 2 == 0:
            parent.deleteLater()
        if self.ticks == 10:
            self.timer.stop()
            self.done.emit(self.index, self.made)


class Gui(QObject):
    def __init__(self):
        super().__init__()
        self.reports = {}
        self.threads_finished = 0
        self.workers_deleted = 0

    @Slot(int, int)
    def on_done(self, index, made):
        self.reports[index] = made
        threads[index].quit()

    @Slot()
    def on_thread_finished(self):
        self.threads_finished += 1

    @Slot()
    def on_worker_destroyed(self):
        self.workers_deleted += 1


app = QApplication(sys.argv)
gui = Gui()
threads, workers = [], []
for i in range(3):
    thread = QThread()
    worker = Worker(i)
    worker.moveToThread(thread)
    thread.started.connect(worker.begin)
    worker.done.connect(gui.on_done)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(gui.on_thread_finished)
    worker.destroyed.connect(gui.on_worker_destroyed)
    threads.append(thread)
    workers.append(worker)


def start():
    for thread in threads:
        thread.start()


def finish():
    for thread in threads:
        thread.wait()
    for index in sorted(gui.reports):
        print(f"worker {index}: made {gui.reports[index]} objects in its thread")
    app.processEvents()
    print(f"torn down: {gui.threads_finished} threads finished, "
          f"{gui.workers_deleted} workers deleted in their threads")
    app.quit()


QTimer.singleShot(0, start)
QTimer.singleShot(1000, finish)
app.exec()
