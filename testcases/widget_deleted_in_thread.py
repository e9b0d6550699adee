# qgc-check-expect: verdict=clean also=crash
# qgc-check-expect-PySide6: verdict=race class=QWidget pyclass=Panel thread=closer risk=high evidence=widget also=crash,hang early_crash=yes
# qgc-check-args: --duration 2
# The GUI thread builds Panel widgets (each with a child QLabel) and hands them to a plain
# "closer" thread, which deletes them (sip.delete / shiboken6.delete): each widget is destroyed
# off the GUI thread, its child inside it. Qt widgets must die in the GUI thread; the finding
# names the widget as the hazard (evidence widget), the child folded into its parent's finding.
# PyQt6 defers a QObject's deletion asked for from another thread to the owner (deleteLater):
# no QObject dies off its thread there, but PyQt6 6.9 (Debian 13) may then abort in the GUI
# thread (sip's own state, touched from the closer thread): a crash of the app, with no finding.
# Under PySide6 6.11 on Debian 13 the app crashes in every run (the GUI thread delivers an
# event to a QLabel the closer thread is destroying), in 1 of 36 runs before any destruction
# reached the hook: a crash with no finding (early_crash=yes).
import queue
import sys
import threading

from _qt import QApplication, QLabel, QTimer, QWidget, delete


class Panel(QWidget):
    def __init__(self):
        super().__init__()
        self.caption = QLabel("caption", self)


panels = queue.Queue()


def close_panels():
    while True:
        panel = panels.get()
        delete(panel)  # the C++ widget and its child are destroyed in this thread


def make_panels():
    for _ in range(3):
        panels.put(Panel())


app = QApplication(sys.argv)
threading.Thread(target=close_panels, name="closer", daemon=True).start()
timer = QTimer()
timer.timeout.connect(make_panels)
timer.start(20)
app.exec()
