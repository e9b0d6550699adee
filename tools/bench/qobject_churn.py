# SPDX-License-Identifier: MIT
# Benchmark workload: QObject churn as a busy Qt app produces it, inside a running
# event loop. A 0 ms QTimer does the churn in chunks of 500 rounds until the requested
# rounds are done, then quits. Each round creates and destroys a parent QObject with 4
# children, a QTimer child connected to a slot, and a QGraphicsRectItem with a child
# QGraphicsTextItem (left out with `qobjects`: the worst case for the watcher, where the
# bookkeeping per QObject is the largest share). Prints `churn-seconds X cpu-seconds Y`,
# the wall and the process's CPU time from the first chunk to the end of the last.
# Usage: qobject_churn.py [ROUNDS, default 20000] [qobjects]
import sys
import time

from PyQt6.QtCore import QObject, QTimer
from PyQt6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsTextItem

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
GRAPHICS = sys.argv[2:3] != ["qobjects"]
CHUNK = 500

app = QApplication(sys.argv[:1])
done, start, elapsed, cpu_start, cpu = 0, None, None, None, None


def chunk():
    global done, start, elapsed, cpu_start, cpu
    if start is None:
        start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(done, min(done + CHUNK, ROUNDS)):
        parent = QObject()
        parent.setObjectName(f"parent-{i}")
        children = [QObject(parent) for _ in range(4)]
        timer = QTimer(parent)
        timer.timeout.connect(children[0].deleteLater)
        if GRAPHICS:
            rect = QGraphicsRectItem(0, 0, 20, 10)
            QGraphicsTextItem("x", rect)
            del rect
        del children, timer, parent
    done = min(done + CHUNK, ROUNDS)
    if done >= ROUNDS:
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        ticker.stop()
        app.quit()


ticker = QTimer()
ticker.timeout.connect(chunk)
ticker.start(0)
app.exec()
print(f"churn-seconds {elapsed:.4f} cpu-seconds {cpu:.4f}")
sys.exit(0)
