# The Qt binding a testcase runs with: PyQt6 unless QGC_TEST_BINDING names PySide6.
# Testcases import Qt names from here, so each is written once and runs under every
# binding (the binding matrix sets QGC_TEST_BINDING and VIRTUAL_ENV).
import os

BINDING = os.environ.get("QGC_TEST_BINDING", "PyQt6")
if BINDING == "PySide6":
    from PySide6 import QtCore, QtGui, QtWidgets
    from shiboken6 import delete  # destroys the C++ object now, in the calling thread
    pyqtSlot = QtCore.Slot
else:
    from PyQt6 import QtCore, QtGui, QtWidgets
    from PyQt6.sip import delete
    pyqtSlot = QtCore.pyqtSlot

for _module in (QtCore, QtGui, QtWidgets):
    globals().update({n: getattr(_module, n) for n in dir(_module) if n.startswith("Q") or n == "Qt"})
