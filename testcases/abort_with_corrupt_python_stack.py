# qgc-check-expect: verdict=crash signal=ABRT
# qgc-check-args: --duration 10
# The app aborts after a stray write broke its own Python stack (the link from the running
# frame to its caller points at unmapped memory), as memory corruption from a destruction
# race can. Reading the tracebacks then faults inside the crash handler: the report keeps
# the crash, says the tracebacks could not be read, and nothing of it is taken for a crash
# of qgc-check.
import ctypes
import os
import sys

from _qt import QTimer
from _qt import QApplication

# Where the running frame keeps its caller: in 3.10 the frame object itself (f_back after
# the variable-size object header); from 3.11 the interpreter's frame record, which the
# frame object points at (f_frame, after its header and f_back), holds it (`previous`).
if sys.version_info < (3, 11):
    RECORD, PREVIOUS = None, 24
else:
    RECORD, PREVIOUS = 24, {(3, 11): 48}.get(sys.version_info[:2], 8)


def break_stack_and_abort():
    frame = sys._getframe()
    record = id(frame) if RECORD is None else ctypes.c_void_p.from_address(id(frame) + RECORD).value
    ctypes.c_void_p.from_address(record + PREVIOUS).value = 0xDEAD0000
    os.abort()


app = QApplication(sys.argv)
QTimer.singleShot(300, break_stack_and_abort)
app.exec()
