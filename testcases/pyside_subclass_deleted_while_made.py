# qgc-check-expect: verdict=clean also=crash
# qgc-check-expect-PySide6: verdict=race class=QObject pyclass=Beta thread=dropper also=crash
# qgc-check-args: --duration 3
# qgc-check-stdout: ^made [1-9][0-9]* Beta, each a Beta when handed over$
# One line in a loop makes Beta objects (a QObject subclass) for a second, without returning to
# the event loop, and hands each to a "dropper" thread, which deletes it at once
# (shiboken6.delete / sip.delete, the wrapper kept). The creating call is still at that line
# when each dies, so the class must come from the binding's registry of wrappers (PySide6
# registers a wrapper once its constructor returned: the object is complete then), whatever
# the release: PySide6 6.9 and earlier export the lookup under another name than 6.11.
# Before that, every Beta destroyed during the loop was (unresolved) under 6.5, 6.8 and 6.9,
# and named without its Python class while shiboken released its wrapper (the oracle's seed
# 77036). The program records each object's Python class as it hands it over. PyQt6 defers a
# delete asked for from another thread (deleteLater): no finding there.
import queue
import sys
import threading
import time

from _qt import QApplication, QObject, QTimer, delete

handed = queue.Queue()
kept = []  # the deleted wrappers stay alive (see the README's note on sip.delete from threads)


class Beta(QObject):
    pass


def drop():
    while True:
        obj = handed.get()
        if obj is None:
            return
        delete(obj)  # the C++ object, in this thread
        kept.append(obj)


def make():
    names = set()
    end = time.monotonic() + 1.0
    count = 0
    while time.monotonic() < end:
        obj = Beta(); names.add(type(obj).__name__); handed.put(obj); del obj  # noqa: E702
        count += 1
        time.sleep(0.001)
    handed.put(None)
    print(f"made {count} Beta, each a {'/'.join(sorted(names))} when handed over", flush=True)
    app.quit()


app = QApplication(sys.argv)
dropper = threading.Thread(target=drop, name="dropper")
dropper.start()
QTimer.singleShot(50, make)
app.exec()
dropper.join()
