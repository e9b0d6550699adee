# qgc-check-expect: verdict=crash signal=ABRT after_script=yes
# qgc-check-args: --duration 10
# The app aborts while the interpreter tears itself down after the script ended (as a
# native destructor would at exit): an object the codec registry keeps is freed last,
# after faulthandler's own teardown, and its finalizer calls abort(). The crash handler
# runs in a half-finalized interpreter: the report keeps the crash and says what it
# could read, and nothing of it is taken for a crash of qgc-check.
import codecs
import ctypes
import sys

from _qt import QTimer
from _qt import QApplication


class AbortsWhenFreed:
    def __init__(self):
        self.abort = ctypes.CDLL(None).abort

    def __call__(self, error):
        raise error

    def __del__(self):
        self.abort()


codecs.register_error("abort-when-freed", AbortsWhenFreed())
app = QApplication(sys.argv)
QTimer.singleShot(300, app.quit)
app.exec()
