# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=refcount thread=dropper
# qgc-check-args: --threads 0 --duration 300
# A big suite's load on the string area: QObjects made at 200,000 distinct call sites
# (generated functions) under 20,000 test names, far more text than the channel's string
# area holds, then a few findings at the end. Every finding must keep its creation site and
# its test: the program prints what it made where on a "final-sites:" line as JSON
# {objectName: [file, line, function]} and the test it ran them in on "final-test:";
# tests/test_creation_sites.py compares the report with them.
import gc
import inspect
import json
import os
import queue
import sys
import threading

from _qt import QTimer
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QObject

SITES = int(os.environ.get("QGC_MANY_SITES", "200000"))
CHUNK = 10000


def churn():
    """Each generated function makes a QObject at its own line; it dies at once, in this
    thread (no finding)."""
    for start in range(0, SITES, CHUNK):
        source = "".join(f"def f{i}():\n    return QObject()\n" for i in range(start, start + CHUNK))
        space = {"QObject": QObject}
        exec(compile(source, f"generated_{start}.py", "exec"), space)
        for i in range(start, start + CHUNK):
            if i % 10 == 0:
                os.environ["PYTEST_CURRENT_TEST"] = f"generated.py::test_{i // 10} (call)"
            space[f"f{i}"]()


sites = {}


def mark(obj, frame, name):
    obj.setObjectName(name)
    sites[name] = [frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_qualname]
    return obj


class Holder(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 1, 1)
        self.child = None


def final_findings():
    holders = [Holder() for _ in range(3)]
    here = inspect.currentframe()
    holders[0].child = mark(QGraphicsTextItem("a", holders[0]), here, "final-a")
    holders[1].child = mark(QGraphicsTextItem("b", holders[1]), here, "final-b")
    holders[2].child = mark(QGraphicsTextItem("c", holders[2]), here, "final-c")
    del here
    return holders


app = QApplication(sys.argv)
dropped = queue.Queue()
done = threading.Event()


def drop():
    while True:
        held = dropped.get()
        held.clear()  # each item and its QObject child die here
        del held
        done.set()


threading.Thread(target=drop, name="dropper", daemon=True).start()
churn()
os.environ["PYTEST_CURRENT_TEST"] = "many_creation_sites.py::test_final (call)"
holders = final_findings()
gc.collect()  # a collection in the creating thread names the classes
print("final-sites:", json.dumps(sites), flush=True)
print("final-test: many_creation_sites.py::test_final", flush=True)
dropped.put(holders)
del holders
done.wait()
QTimer.singleShot(200, app.quit)  # an event loop of its own, ended: the run ends here
app.exec()
