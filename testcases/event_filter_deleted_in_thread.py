# qgc-check-expect: verdict=clean also=crash
# qgc-check-expect-PySide6: verdict=race class=QObject pyclass=KeyFilter thread=closer risk=high evidence=event-filter also=crash,hang
# qgc-check-args: --duration 2
# Each Panel widget gets a KeyFilter installed as its event filter; a plain "closer" thread then
# deletes the filters (sip.delete / shiboken6.delete) while the panels live on in the GUI thread,
# which calls its filters from there: the finding names the filter as the hazard (evidence
# event-filter). PyQt6 defers a QObject's deletion asked for from another thread to its owner:
# clean there, but the app still races with sip: once in a CI run under load (Debian 13,
# PyQt6 6.9; 0 of 90 runs since, 3 at a time) the process died of sip's own assertion in
# sip_api_is_py_method_12_8 (the check sip makes before calling a Python reimplementation
# such as eventFilter), its stacks cut from the log. A crash is allowed here; one with
# qgc-check's own frames still fails the suite.
import queue
import sys
import threading

from _qt import QApplication, QObject, QTimer, QWidget, delete


class KeyFilter(QObject):
    def eventFilter(self, watched, event):
        return False


panels = []
filters = queue.Queue()


def close_filters():
    while (f := filters.get()) is not None:
        delete(f)  # the filter is destroyed in this thread, its panel lives


def make_panels():
    panel = QWidget()
    f = KeyFilter()
    panel.installEventFilter(f)
    panels.append(panel)  # the panel stays alive
    filters.put(f)


app = QApplication(sys.argv)
# Not a daemon: it ends with the app (a daemon thread still busy while Python 3.13
# finalizes can abort it, "could not acquire lock for <stderr> at interpreter shutdown").
closer = threading.Thread(target=close_filters, name="closer")
closer.start()
timer = QTimer()
timer.timeout.connect(make_panels)
timer.start(20)
app.exec()
filters.put(None)
closer.join()
