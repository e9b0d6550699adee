# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^farewell: __del__ of a module-level object ran at exit$
# What the interpreter does as it exits: a file written and never closed gets its buffered
# data flushed to disk, a module-level object's __del__ runs (and prints), and stdout
# written without flush reaches the pipe. Correct code: the file must hold all its data and
# the last line must be printed, the same as under plain python3.
# (No Python function of this module is connected to a signal: PyQt6 keeps a connected
# function, and so this module's globals, alive for ever, and then neither the file nor
# the object below would be finalized at exit even under plain python3.)
import os
import sys

from _correct import out_dir
from _qt import QApplication, QTimer

OUT = out_dir()


class Farewell:
    def __del__(self):
        print("farewell: __del__ of a module-level object ran at exit")


# Never closed: its data sits in the file object's buffer until the interpreter exits.
log = open(os.path.join(OUT, "unclosed.log"), "w")
keeper = Farewell()
for i in range(50):
    log.write(f"before the event loop, line {i}\n")

app = QApplication(sys.argv)
busy = QTimer()
busy.start(5)  # the event loop has work to do; no Python slot
QTimer.singleShot(1000, app.quit)
app.exec()
for i in range(50):
    log.write(f"after the event loop, line {i}\n")
log.write("end\n")
print(f"on disk before exit: {os.path.getsize(log.name)} bytes (the rest is in the buffer)")
