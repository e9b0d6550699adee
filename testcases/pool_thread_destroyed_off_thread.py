# qgc-check-expect: verdict=race class=QThreadPoolThread cause=native thread=waiter site=none
# qgc-check-args: --duration 2
# qgc-check-stdout: ^pool thread QThreadPoolThread destroyed in waiter$
# Qt's own pool thread, destroyed off its thread: the GUI thread starts a job on a QThreadPool,
# which makes its QThreadPoolThread (a QThread subclass private to Qt) in C++ while the binding
# has released the GIL; a plain "waiter" thread then calls waitForDone(), whose reset() deletes
# that QThread there. The job records its thread's class (metaObject().className(), as Qt names
# it) and, through its destroyed signal (a direct connection), the thread it died in. No Python
# line made it (made in C++ with the GIL released: no creation site) and no reference was
# dropped: C++ destroyed it (cause native).
import sys
import threading
import time

from _qt import QApplication, QRunnable, Qt, QThread, QThreadPool, QTimer

seen = {}


class Job(QRunnable):
    def run(self):
        thread = QThread.currentThread()
        seen["class"] = thread.metaObject().className()
        thread.destroyed.connect(lambda *_: seen.setdefault("died", threading.current_thread().name),
                                 Qt.ConnectionType.DirectConnection)
        time.sleep(0.05)


def wait_for_pool():
    pool.waitForDone()
    print(f"pool thread {seen.get('class')} destroyed in {seen.get('died')}", flush=True)


app = QApplication(sys.argv)
pool = QThreadPool()
pool.start(Job())
threading.Thread(target=wait_for_pool, name="waiter").start()
QTimer.singleShot(1000, app.quit)
app.exec()
