# qgc-check-expect: verdict=race kind=thread-warning message=*Timers cannot be stopped from another thread* fix_kind=owner-thread-work fixed_by=timer_stopped_from_worker_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^stopped in: .*'poller'
# A worker thread ("poller") stops the GUI thread's running QTimers by calling the stopper's
# method itself: QTimer.stop() runs in the worker and Qt warns. The fix makes that call in the
# timers' own thread, queued (timer_stopped_from_worker_fixed.py). Prints the threads the
# program's own stop() calls ran in.
import sys
import threading
import time

from _qt import QApplication, QObject, QtCore, QTimer, pyqtSlot

Signal = getattr(QtCore, "pyqtSignal", None) or QtCore.Signal


class Stopper(QObject):
    request = Signal()

    def __init__(self):
        super().__init__()
        self.threads = set()
        self.request.connect(self.stop_all)  # emitted in another thread: queued to this one

    @pyqtSlot()
    def stop_all(self):
        self.threads.add(threading.current_thread().name)
        for t in timers:
            t.stop()


def poll():
    while not done.is_set():
        time.sleep(0.02)
        stopper.stop_all()


def restart():
    for t in timers:
        t.start(1000)


app = QApplication(sys.argv)
timers = [QTimer() for _ in range(3)]
stopper = Stopper()
done = threading.Event()  # the poller ends before the interpreter does (3.13 aborts
poller = threading.Thread(target=poll, name="poller", daemon=True)  # on a daemon's stderr)
poller.start()
ticker = QTimer()
ticker.timeout.connect(restart)
ticker.start(10)
QTimer.singleShot(1500, lambda: print(f"stopped in: {sorted(stopper.threads)}", flush=True))
app.exec()
done.set()
poller.join()
