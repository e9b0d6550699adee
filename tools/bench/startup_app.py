# SPDX-License-Identifier: MIT
# Benchmark workload: start-up cost. Imports QtWidgets, builds a QApplication and
# exits at once with sys.exit(0), without running an event loop.
import sys

from PyQt6.QtWidgets import QApplication

app = QApplication(sys.argv)
sys.exit(0)
