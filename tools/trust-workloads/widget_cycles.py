# SPDX-License-Identifier: MIT
# Widgets created and discarded in reference cycles, as plugin panels and
# dialogs often are (self.callbacks holding bound methods, lambdas capturing
# self): the collector frees them whenever it runs.  Racy on purpose.
from _qt import *

a = app()
made = [0]


class Panel(QWidget):
    def __init__(self):
        super().__init__()
        lay = QVBoxLayout(self)
        self.button = QPushButton("go")
        self.label = QLabel("x")
        lay.addWidget(self.button)
        lay.addWidget(self.label)
        self.callbacks = [self.refresh]
        self.button.clicked.connect(lambda: self.refresh())

    def refresh(self):
        self.label.setText(str(made[0]))


scene = QGraphicsScene()
view = QGraphicsView(scene)
view.show()


class LegendEntry(QGraphicsRectItem):
    """A legend entry as plotting libraries make them: a callback list closes a cycle."""
    def __init__(self, n):
        super().__init__(0, 0, 20, 10)
        self.label = QGraphicsTextItem("entry %d" % n, self)
        self.callbacks = [self.refresh]

    def refresh(self):
        self.label.setPlainText("x")


def tick():
    for i in range(3):
        LegendEntry(i)
        p = Panel()
        p.refresh()
        made[0] += 1
    junk = [[i] for i in range(300)]   # allocations that trigger collections


timer = QTimer()
timer.timeout.connect(tick)
timer.start(5)
rc = run(a)
timer.stop()
print("widget-cycles done", made[0] > 0, rc)
