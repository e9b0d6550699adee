# SPDX-License-Identifier: MIT
# Benchmark workload: a long-running app that makes garbage reference cycles owning
# QObjects all the time. A 1 ms QTimer creates, per tick, K cycles (a QGraphicsRectItem
# subclass with a child QGraphicsTextItem and a reference to itself); the app quits after
# D seconds and prints `created N` (cycles made).
# Usage: offthread_churn.py [D seconds, default 60] [K per tick, default 20]
import sys

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsTextItem

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
PER_TICK = int(sys.argv[2]) if len(sys.argv) > 2 else 20


class Entry(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("x", self)
        self.callbacks = [self.refresh]  # bound method on self -> reference cycle

    def refresh(self):
        self.label.setPlainText("y")


created = 0


def tick():
    global created
    for _ in range(PER_TICK):
        Entry()  # dropped at once, only the cycle keeps it alive
    created += PER_TICK


app = QApplication(sys.argv[:1])
timer = QTimer()
timer.timeout.connect(tick)
timer.start(1)
QTimer.singleShot(int(DURATION * 1000), app.quit)
app.exec()
print(f"created {created}", flush=True)
sys.exit(0)
