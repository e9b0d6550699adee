# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^forked: 3 children exited 0 1 2, pool results 2470$
# A multiprocessing pool with the "fork" start method and plain os.fork() children, started
# from the GUI thread while Qt objects (a window, timers, an object tree) exist. The children
# run Python only (with automatic collections of their own garbage), write files, and exit.
# Correct code: it must run to its end unchanged and the children's files must be there.
import gc
import multiprocessing
import os
import sys

from _correct import out_dir
from _qt import QApplication, QLabel, QObject, QTimer

OUT = out_dir()


class Node:
    def __init__(self, value):
        self.value = value
        self.me = self  # cyclic garbage: the child's own automatic collections


def work(n):
    total = sum(Node(i).value for i in range(2000 + n))
    with open(os.path.join(OUT, f"pool-{n:02d}.txt"), "w") as f:
        f.write(f"{n} {total}\n")
    return n * n


def child(index):
    gc.collect()
    nodes = [Node(i) for i in range(5000)]
    with open(os.path.join(OUT, f"fork-{index}.txt"), "w") as f:
        f.write(f"child {index} made {len(nodes)} nodes\n")
    os._exit(index)


app = QApplication(sys.argv)
window = QLabel("forking")
window.show()
tree = QObject()
for _ in range(10):
    QObject(tree)
ticker = QTimer()
ticker.start(5)
statuses = []
results = []


def forks():
    sys.stdout.flush()
    for index in range(3):
        pid = os.fork()
        if pid == 0:
            child(index)
        _, status = os.waitpid(pid, 0)
        statuses.append(os.waitstatus_to_exitcode(status))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results.extend(pool.map(work, range(20)))
    print(f"forked: {len(statuses)} children exited {' '.join(map(str, statuses))}, "
          f"pool results {sum(results)}")
    QTimer.singleShot(300, app.quit)


QTimer.singleShot(200, forks)
app.exec()
print("files:", " ".join(sorted(os.listdir(OUT))))
