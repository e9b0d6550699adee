# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 2
# A window that does nothing wrong: used for Ctrl-C, SIGKILL and report-path tests.
import sys

from _qt import QApplication, QLabel

app = QApplication(sys.argv)
label = QLabel("idle")
label.show()
print("idle-app-started", flush=True)
sys.exit(app.exec())
