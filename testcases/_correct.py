# Shared by the correct_* testcases: the directory a program writes its files into.
# The comparison with plain python3 (tests/test_correct_programs.py) sets QGC_OUT_DIR and
# reads the files back after the run; without it, a private directory removed at exit.
import atexit
import os
import shutil
import tempfile

from _qt import QtCore

# The binding's signal and slot decorators under one name.
Signal = getattr(QtCore, "pyqtSignal", None) or QtCore.Signal
Slot = getattr(QtCore, "pyqtSlot", None) or QtCore.Slot


def out_dir():
    d = os.environ.get("QGC_OUT_DIR")
    if d:
        return d
    d = tempfile.mkdtemp(prefix="qgc-correct-")
    atexit.register(shutil.rmtree, d, True)
    return d
