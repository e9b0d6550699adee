# SPDX-License-Identifier: MIT
# Benchmark workload: many live QObjects. Creates N QObjects (parents of 1000 children
# each, created as QObject(parent); the parents kept in a list), times the creation,
# runs the event loop for 1 s, then prints `scale-seconds T` and `rss-kb K` (VmRSS
# right after the creation) and exits.
# Usage: million_objects.py [N, default 1000000]
import sys
import time

from PyQt6.QtCore import QObject, QTimer
from PyQt6.QtWidgets import QApplication

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
PER_PARENT = 1000

app = QApplication(sys.argv[:1])
start = time.perf_counter()
parents = []
for _ in range(max(1, N // PER_PARENT)):
    parent = QObject()
    for _ in range(PER_PARENT - 1):
        QObject(parent)
    parents.append(parent)
elapsed = time.perf_counter() - start
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
QTimer.singleShot(1000, app.quit)
app.exec()
print(f"objects {len(parents) * PER_PARENT}")
print(f"scale-seconds {elapsed:.4f}")
print(f"rss-kb {rss}")
sys.exit(0)
