# qgc-check-expect: verdict=incomplete stopped=yes
# qgc-check-args: --duration 1 --hang-timeout 1
# Builds an application, then blocks in Python without ever running an event loop: not a hang
# of the tool; stopped after the duration plus grace.
import sys
import time

from _qt import QApplication

app = QApplication(sys.argv)
while True:
    time.sleep(1)
