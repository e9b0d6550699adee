# SPDX-License-Identifier: MIT
# Event filters installed on widgets (as tooltips and key-binding helpers do):
# filter objects hold their widgets, widgets are closed and deleted while
# the filters still watch them.
from _qt import *

a = app()
events = [0]


class Filter(QObject):
    def __init__(self, widget):
        super().__init__()          # parentless: kept alive by the widget's Python side
        self.widget = widget        # cycle: widget.filter -> filter -> widget
        widget.filter = self
        widget.installEventFilter(self)

    def eventFilter(self, obj, ev):
        events[0] += 1
        return False


host = QWidget()
host.show()
made = [0]


def tick():
    w = QLineEdit(host)
    w.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    Filter(w)
    w.show()
    w.setText("abc")
    w.resize(50 + made[0] % 20, 20)
    made[0] += 1
    if made[0] % 2:
        w.close()
    else:
        w.deleteLater()
    app_filter = Filter(QPushButton("b"))
    app_filter.widget.show()
    app_filter.widget.hide()


timer = QTimer()
timer.timeout.connect(tick)
timer.start(10)
rc = run(a)
timer.stop()
print("event-filters done", made[0] > 0, rc)
