# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# qgc-check-stdout: ^waited in: starter started in: starter$
# pool_threads_reset_elsewhere.py with its fix applied: the thread that starts the runnables (and
# so owns the pool threads) is the one that calls waitForDone(), which deletes them there.
# Prints the threads the program made both calls in.
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
        wait_for_pool()


def wait_for_pool():
    calls["waited in"] = threading.current_thread().name
    pool.waitForDone()


app = QApplication(sys.argv)
pool = QThreadPool()
threading.Thread(target=starter, name="starter", daemon=True).start()
QTimer.singleShot(1500, lambda: print(f"waited in: {calls['waited in']} started in: {calls['started in']}",
                                      flush=True))
app.exec()
