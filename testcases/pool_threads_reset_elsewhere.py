# qgc-check-expect: verdict=race fix_kind=cpp-call fixed_by=pool_threads_reset_elsewhere_fixed.py also=crash
# qgc-check-args: --duration 2
# qgc-check-stdout: ^waited in: MainThread started in: starter$
# A Python thread ("starter") starts QRunnables on a QThreadPool, which makes its pool threads
# there (each a QThread owned by "starter"); the GUI thread then calls waitForDone(), which
# deletes the idle pool threads in the GUI thread. No Python reference was dropped: C++ code
# (QThreadPool::waitForDone) destroyed them, and the fix makes that call in the thread that
# started them (pool_threads_reset_elsewhere_fixed.py). Prints the threads the program made both
# calls in.
import sys
import threading
import time

from _qt import QApplication, QRunnable, QThreadPool, QTimer

calls = {}


class Job(QRunnable):
    def run(self):
        pass


def starter():
    for _ in range(30):
        calls["started in"] = threading.current_thread().name
        for _ in range(3):
            pool.start(Job())
        time.sleep(0.03)


def wait_for_pool():
    calls["waited in"] = threading.current_thread().name
    pool.waitForDone()


app = QApplication(sys.argv)
pool = QThreadPool()
threading.Thread(target=starter, name="starter", daemon=True).start()
timer = QTimer()
timer.timeout.connect(wait_for_pool)
timer.start(30)
QTimer.singleShot(1500, lambda: print(f"waited in: {calls['waited in']} started in: {calls['started in']}",
                                      flush=True))
app.exec()
