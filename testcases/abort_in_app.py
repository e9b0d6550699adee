# qgc-check-expect: verdict=crash signal=ABRT
# qgc-check-args: --duration 10
# The app aborts (as a failed assertion in native code would) from a GUI-thread timer.
import os
import sys

from _qt import QTimer
from _qt import QApplication

app = QApplication(sys.argv)
QTimer.singleShot(300, os.abort)
app.exec()
