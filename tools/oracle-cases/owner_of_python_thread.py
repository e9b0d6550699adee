# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=race class=QObject cause=refcount thread=MainThread
# qgc-check-args: --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/owner_of_python_thread.py).
# A plain threading.Thread named "maker" creates QObjects (they belong to it) and stays
# alive; the GUI thread deletes them. Right: owner_thread "maker". Seen: "thread-unknown".
# Reproduces under PySide6 (tools/oracle --binding PySide6); PyQt6 defers these deletions.

import sys

from _oracle_probes import *

made = queue.Queue()


def maker():
    while not _o_stop.is_set():
        made.put(_o_new(QObject()))
        time.sleep(0.01)


def consume():
    while True:
        try:
            x = made.get_nowait()
        except queue.Empty:
            return
        delete(x)  # in MainThread, off its owner "maker" (still running)


app = QApplication(sys.argv)
_o_pythread("maker", maker).start()
timer = QTimer()
timer.timeout.connect(consume)
timer.start(10)
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
