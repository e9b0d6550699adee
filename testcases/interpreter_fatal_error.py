# qgc-check-expect: verdict=crash signal=ABRT fatal=*reference counting broken in an extension*
# qgc-check-args: --duration 10
# A C extension breaks the interpreter's reference counting and CPython aborts by itself
# ("Fatal Python error: ..."), as PySide6 6.12.0 does on CPython 3.11 ("bool_dealloc"):
# the crash report says so, and does not read as the race's crash.
import ctypes
import sys

from _qt import QApplication
from _qt import QTimer


def extension_fails():
    ctypes.pythonapi.Py_FatalError(b"reference counting broken in an extension")


app = QApplication(sys.argv)
QTimer.singleShot(300, extension_fails)
app.exec()
