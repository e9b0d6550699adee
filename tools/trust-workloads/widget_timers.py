# SPDX-License-Identifier: MIT
# Widgets that run their own timers (blinking cursors, auto-refresh labels)
# and are closed and deleted while the timers are active.
from _qt import *

a = app()
made = [0]
fired = [0]


class Blinker(QLabel):
    def __init__(self):
        super().__init__("blink")
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.blink)
        self.timer.start(3)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def blink(self):
        fired[0] += 1
        self.setVisible(not self.isVisible())


class Refresher(QWidget):
    def __init__(self):
        super().__init__()
        self.own = QTimer()         # not a child: held by the Python object only
        self.own.timeout.connect(self.refresh)
        self.own.start(4)

    def refresh(self):
        self.update()


keep = []


def tick():
    b = Blinker()
    b.show()
    QTimer.singleShot(15, b.close)
    r = Refresher()
    r.show()
    keep.append(r)
    if len(keep) > 3:
        old = keep.pop(0)
        old.close()
        old.deleteLater()
    made[0] += 1


timer = QTimer()
timer.timeout.connect(tick)
timer.start(10)
rc = run(a)
timer.stop()
print("widget-timers done", made[0] > 0, rc)
