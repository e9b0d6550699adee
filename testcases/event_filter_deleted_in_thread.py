# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race class=QObject pyclass=KeyFilter thread=closer risk=high evidence=event-filter also=crash,hang
# qgc-check-args: --duration 2
# Each Panel widget gets a KeyFilter installed as its event filter; a plain "closer" thread then
# deletes the filters (sip.delete / shiboken6.delete) while the panels live on in the GUI thread,
# which calls its filters from there: the finding names the filter as the hazard (evidence
# event-filter). PyQt6 defers a QObject's deletion asked for from another thread to its owner:
# clean there.
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
