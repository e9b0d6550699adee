# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 1.5
# qgc-check-stdout: ^modal-dialog-returned$
# A modal dialog runs its own nested event loop and never closes by itself: the tool still
# ends the run at the duration (exit(0) repeated from a GUI-thread timer ends nested loops).
import sys

from _qt import QTimer
from _qt import QApplication, QMessageBox

app = QApplication(sys.argv)


def ask():
    QMessageBox(QMessageBox.Icon.Question, "Save?", "Save changes?").exec()
    print("modal-dialog-returned", flush=True)


QTimer.singleShot(100, ask)
app.exec()
