# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=refcount thread=dropper
# qgc-check-args: --duration 0
# A hundred short-lived child interpreters, four at a time, each handing exactly three
# graphics items to a thread that drops their last reference: 300 findings in all, none lost,
# the same finding of every child counted into one group.
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

CHILDREN = 100
ITEMS = 3


def child():
    from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem

    class LegendEntry(QGraphicsRectItem):
        def __init__(self):
            super().__init__(0, 0, 20, 10)
            self.label = QGraphicsTextItem("x", self)

    app = QApplication(sys.argv[:1])
    items = [LegendEntry() for _ in range(ITEMS)]

    def drop():
        items.clear()  # the last references: each item and its text item die here

    t = threading.Thread(target=drop, name="dropper")
    t.start()
    t.join()
    app.processEvents()


def launch(i):
    return subprocess.run([sys.executable, __file__, "--child", str(i)]).returncode


if sys.argv[1:2] == ["--child"]:
    child()
else:
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(launch, range(CHILDREN)))
    print("children ok", statuses.count(0))
    sys.exit(0 if statuses.count(0) == CHILDREN else 1)
