# qgc-check-expect: verdict=clean script_exit=0
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^squares: 285, tasks lost: 1, crashed child: SIGSEGV$
# A multiprocessing pool with the "fork" start method computes while Qt objects exist;
# one pool worker and one forked process die of SIGSEGV, and the parent copes and exits
# 0. Forked children inherit the tool's handlers and its shared report area: their
# crashes and their Qt objects are theirs, never the run's (a clean run, exit status 0).
import multiprocessing
import os
import signal
import sys

from _qt import QApplication, QObject, QTimer


def square(n):
    QObject().setObjectName(f"square-{n}")  # Qt objects in the child, too
    return n * n


def crash():
    os.kill(os.getpid(), signal.SIGSEGV)


def work():
    ctx = multiprocessing.get_context("fork")
    lost = 0
    with ctx.Pool(2) as pool:
        total = sum(pool.map(square, range(10)))
        # The pool replaces the worker that died; the task it ran is lost.
        try:
            pool.apply_async(crash).get(timeout=2)
        except multiprocessing.TimeoutError:
            lost += 1
    child = ctx.Process(target=crash)
    child.start()
    child.join()
    print(f"squares: {total}, tasks lost: {lost}, crashed child: "
          f"{signal.Signals(-child.exitcode).name}", flush=True)
    app.quit()


app = QApplication(sys.argv)
objects = [QObject() for _ in range(200)]
QTimer.singleShot(200, work)
app.exec()
