# qgc-check-expect: verdict=error reason=*ValueError: bad value in slot*
# qgc-check-args: --duration 10
# An exception escapes a slot: PyQt6 prints it and aborts (qFatal). The report names the
# Python exception, not memory corruption.
import sys

from _qt import QTimer
from _qt import QApplication


def on_timeout():
    raise ValueError("bad value in slot")


app = QApplication(sys.argv)
QTimer.singleShot(300, on_timeout)
app.exec()
