# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdin: alpha\nbeta gamma\n\ndelta\n
# qgc-check-stdout: ^stdin: \d+ lines read, then end of input$
# An app that reads its standard input from the event loop, a line per timer tick, and
# echoes each line: given input through a pipe it reads and echoes all of it, with stdin
# closed or empty it sees the end of input at once. Correct code: it must run to its end
# unchanged (never stopped for reading, never with its input lost).
import sys

from _qt import QApplication, QTimer

app = QApplication(sys.argv)
lines = 0


def read_one():
    global lines
    try:
        line = input()
    except EOFError:
        print(f"stdin: {lines} lines read, then end of input")
        timer.stop()
        QTimer.singleShot(300, app.quit)
        return
    lines += 1
    print(f"echo {lines}: {line!r}")


timer = QTimer()
timer.timeout.connect(read_one)
timer.start(50)
app.exec()
