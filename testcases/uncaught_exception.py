# qgc-check-expect: verdict=error
# The script raises at module level before starting an event loop: reported as a script error.
import sys

from _qt import QApplication

app = QApplication(sys.argv)
raise RuntimeError("boom from script")
