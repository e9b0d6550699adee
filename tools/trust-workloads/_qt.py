# SPDX-License-Identifier: MIT
# The binding a workload runs with: TRUST_BINDING=PySide6 or PyQt6 (default).
# Workloads import Qt names from here so each is written once.
import os
import sys

BINDING = os.environ.get("TRUST_BINDING", "PyQt6")
if BINDING == "PySide6":
    from PySide6 import QtCore, QtGui, QtWidgets
    Signal = QtCore.Signal
else:
    from PyQt6 import QtCore, QtGui, QtWidgets
    Signal = QtCore.pyqtSignal

for _module in (QtCore, QtGui, QtWidgets):
    globals().update({n: getattr(_module, n) for n in dir(_module) if n.startswith("Q") or n == "Qt"})

RUN_MS = int(os.environ.get("TRUST_RUN_MS", "1500"))


def app():
    return QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])


def run(application, ms=RUN_MS, on_quit=None):
    """Runs the event loop for ms milliseconds, then quits from a timer."""
    application.setQuitOnLastWindowClosed(False)  # the workload ends on its timer only

    def finish():
        if on_quit:
            on_quit()
        application.quit()
    QtCore.QTimer.singleShot(ms, finish)
    return application.exec()
