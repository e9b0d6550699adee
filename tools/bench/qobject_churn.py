# Benchmark workload: QObject churn as a busy Qt app produces it (parents,
# children, timers, signals), with no event loop, then exits.
import sys
import time

from PyQt6.QtCore import QCoreApplication, QObject, QTimer

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000

app = QCoreApplication(sys.argv[:1])
start = time.perf_counter()
for i in range(ROUNDS):
    parent = QObject()
    parent.setObjectName(f"parent-{i}")
    children = [QObject(parent) for _ in range(4)]
    timer = QTimer(parent)
    timer.timeout.connect(children[0].deleteLater)
    del children, timer, parent
elapsed = time.perf_counter() - start
print(f"churn-seconds {elapsed:.4f}")
sys.exit(0)
