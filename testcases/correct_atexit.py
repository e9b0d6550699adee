# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^atexit: second handler ran, app ran 20 ticks$
# Handlers registered with atexit run when the interpreter exits, last registered first:
# one writes a file, one prints. Correct code: both must run, the same as under python3.
import atexit
import os
import sys

from _correct import out_dir
from _qt import QApplication, QTimer

OUT = out_dir()
ticks = 0


def write_summary():
    with open(os.path.join(OUT, "atexit.txt"), "w") as f:
        f.write(f"atexit: first handler wrote this after {ticks} ticks\n")
    print("atexit: first handler ran")


def say_goodbye():
    print(f"atexit: second handler ran, app ran {ticks} ticks")


atexit.register(write_summary)
atexit.register(say_goodbye)

app = QApplication(sys.argv)


def tick():
    global ticks
    ticks += 1
    if ticks == 20:
        timer.stop()
        app.quit()


timer = QTimer()
timer.timeout.connect(tick)
timer.start(40)
app.exec()
print("app finished")
