# A suite for `qgc-check -m pytest -p xdist -n 2`: a racy test, clean tests, and a test that
# crashes its worker process (SIGSEGV). xdist replaces the crashed worker and goes on.
import ctypes
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem  # noqa: E402


class LegendEntry(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.label = QGraphicsTextItem("x", self)
        self.callbacks = [self.refresh]

    def refresh(self):
        pass


_app = []


def app():
    if not _app:
        _app.append(QApplication.instance() or QApplication([]))
    return _app[0]


def test_racy_legend():
    a = app()
    for _ in range(60):
        for _ in range(5):
            LegendEntry()
        a.processEvents()
        import time
        time.sleep(0.01)


def test_clean_one():
    app()
    item = QGraphicsRectItem()  # no cycle: dies here, in the GUI thread
    assert item is not None


def test_crashes_worker():
    app()
    ctypes.string_at(0)  # SIGSEGV in this worker


def test_clean_two():
    app()
    assert 1 + 1 == 2
