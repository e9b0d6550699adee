# qgc-check-expect: verdict=race kind=thread-warning cause=none message=*Timers cannot be stopped from another thread* thread=stopper
# qgc-check-args: --threads 0 --duration 2
# qgc-check-stdout: ^stopped in stopper, collecting there: False$
# A plain thread stops a timer the GUI thread owns (as a test helper stopping a timer from the
# thread that emitted a signal does): Qt warns, and nothing was finalized, by a collection or
# a dropped reference. The program records, through gc.callbacks, whether a collection was
# running in the stopping thread when it stopped the timer; the warning's cause is then none.
import gc
import sys
import threading

from _qt import QApplication, QTimer

collecting = set()  # idents of the threads inside a collection now


def on_gc(phase, info):
    (collecting.add if phase == "start" else collecting.discard)(threading.get_ident())


def stop_timer():
    during = threading.get_ident() in collecting
    timer.stop()
    print(f"stopped in {threading.current_thread().name}, collecting there: {during}", flush=True)


gc.callbacks.append(on_gc)
app = QApplication(sys.argv)
timer = QTimer()
timer.start(1000)
QTimer.singleShot(100, lambda: threading.Thread(target=stop_timer, name="stopper").start())
app.exec()
