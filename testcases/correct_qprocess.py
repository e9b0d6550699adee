# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^processes: 6 finished$
# QProcess running `true` and `echo`, synchronously and through the event loop: Qt forks
# and execs the children and watches them from its own machinery. Correct code: it must
# run to its end unchanged.
import sys

from _correct import Slot
from _qt import QApplication, QObject, QProcess, QTimer

app = QApplication(sys.argv)
finished = 0

# Synchronous: start and wait.
for program, args in (("true", []), ("echo", ["sync", "hello"])):
    p = QProcess()
    p.start(program, args)
    p.waitForFinished(5000)
    out = bytes(p.readAllStandardOutput()).decode().strip()
    print(f"sync {program}: exit {p.exitCode()} output {out!r}")
    finished += 1


class Runner(QObject):
    """Runs the asynchronous ones one after the other from the finished signal."""

    def __init__(self, jobs):
        super().__init__()
        self.jobs = list(jobs)
        self.proc = None
        self.pause = QTimer(self)
        self.pause.setSingleShot(True)
        self.pause.timeout.connect(self.next)
        self.next()

    @Slot()
    def next(self):
        if not self.jobs:
            app.quit()
            return
        program, args = self.jobs.pop(0)
        self.current = program
        self.proc = QProcess(self)
        self.proc.finished.connect(self.on_finished)
        self.proc.start(program, args)

    @Slot(int, QProcess.ExitStatus)
    def on_finished(self, code, status):
        global finished
        out = bytes(self.proc.readAllStandardOutput()).decode().strip()
        print(f"async {self.current}: exit {code} output {out!r}")
        finished += 1
        self.proc.deleteLater()
        self.pause.start(150)


jobs = [("true", []), ("echo", ["async", "one"]), ("true", []), ("echo", ["async", "two"])]
runner = None


def start():
    global runner
    runner = Runner(jobs)


QTimer.singleShot(0, start)
QTimer.singleShot(5000, app.quit)  # never reached unless a process never finishes
app.exec()
print(f"processes: {finished} finished")
