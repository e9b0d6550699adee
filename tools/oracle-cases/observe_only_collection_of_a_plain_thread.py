# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race class=QObject cause=cyclic-gc thread=MainThread
# qgc-check-args: --threads 0 --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/observe_only_collection_of_a_plain_thread.py
# --at-risk --binding PySide6).
# A plain thread ("maker", no event loop) makes Holder QObjects in cycles; observe-only, the
# tool's own collections in the GUI thread destroy them there. The program never calls
# gc.collect(). Right: fix_kind "move-to-gui-thread" (the owner runs no event loop), and the
# at-risk warning's owner_thread "maker", the thread that made them. Seen (with the fix kinds
# of 7f07a17 and the at-risk model of a058b90): fix_kind "collect-in-owner", the fix naming
# "the explicit gc.collect() at ...: (in <module>)" on the app.exec() line, and the at-risk
# warnings' owner_thread "MainThread". PySide6 only: PyQt6 defers these deletions.

import sys

from _oracle_probes import *


class Holder(QObject):
    def __init__(self):
        super().__init__(); _o_ctor(self)
        self.me = self  # a cycle: only a collection frees it


def maker():
    while not _o_stop.is_set():
        _o_new(Holder())
        time.sleep(0.01)


app = QApplication(sys.argv)
_o_pythread("maker", maker).start()
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
