# qgc-check-expect: verdict=clean script_exit=0
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^child exit status: 0, parent objects: 100$
# An os.fork() child creates and destroys QObjects (in its only thread) and leaves by
# os._exit(0). It inherits the tool's hooks and shared report area: nothing it does may
# reach the parent's report, and the run is clean with the parent's exit status.
import gc
import os
import sys

from _qt import QApplication, QObject, QTimer


def fork_child():
    pid = os.fork()
    if pid == 0:
        children = [QObject() for _ in range(500)]
        for i, obj in enumerate(children):
            obj.setObjectName(f"child-{i}")
        del children
        gc.collect()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(f"child exit status: {os.waitstatus_to_exitcode(status)}, "
          f"parent objects: {len(objects)}", flush=True)
    app.quit()


app = QApplication(sys.argv)
objects = [QObject() for _ in range(100)]
QTimer.singleShot(200, fork_child)
app.exec()
