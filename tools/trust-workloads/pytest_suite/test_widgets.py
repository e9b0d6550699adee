# SPDX-License-Identifier: MIT
# A pytest-qt style test file: qtbot fixtures, signals waited on, widgets
# registered for teardown, a model tested through a proxy.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _qt import *  # noqa: E402
import pytest  # noqa: E402


class Counter(QWidget):
    changed = Signal(int)

    def __init__(self):
        super().__init__()
        self.value = 0
        self.button = QPushButton("+", self)
        self.button.clicked.connect(self.inc)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.inc)

    def inc(self):
        self.value += 1
        self.changed.emit(self.value)


@pytest.mark.parametrize("n", range(8))
def test_click(qtbot, n):
    w = Counter()
    qtbot.addWidget(w)
    for _ in range(n):
        qtbot.mouseClick(w.button, Qt.MouseButton.LeftButton)
    assert w.value == n


@pytest.mark.parametrize("n", range(6))
def test_timer_signal(qtbot, n):
    w = Counter()
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.changed, timeout=2000):
        w.timer.start(5)
    w.timer.stop()
    assert w.value >= 1


def test_proxy_model(qtbot):
    model = QStandardItemModel()
    for i in range(50):
        model.appendRow(QStandardItem("row %d" % i))
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    proxy.setFilterFixedString("row 1")
    assert proxy.rowCount() == 11


@pytest.mark.parametrize("n", range(5))
def test_thread_worker(qtbot, n):
    class W(QObject):
        done = Signal(int)

        def work(self):
            self.done.emit(n)

    th = QThread()
    w = W()
    w.moveToThread(th)
    th.started.connect(w.work)
    with qtbot.waitSignal(w.done, timeout=3000) as blocker:
        th.start()
    assert blocker.args == [n]
    th.quit()
    th.wait()


def test_cycles(qtbot):
    class Dlg(QDialog):
        def __init__(self):
            super().__init__()
            self.me = self
            self.ok = QPushButton("ok", self)
            self.ok.clicked.connect(self.accept)

    for _ in range(100):
        d = Dlg()
        d.show()
        d.close()
    qtbot.wait(100)
