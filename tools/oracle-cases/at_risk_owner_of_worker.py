# SPDX-License-Identifier: MIT
# qgc-check-expect: verdict=clean
# qgc-check-args: --threads 0 --duration 2
# Oracle case (tools/oracle --program tools/oracle-cases/at_risk_owner_of_worker.py --at-risk
# --binding PySide6).
# Observe-only: a plain thread named "maker" makes Panel QObjects in reference cycles (they
# belong to it) and stays alive; the tool's collection in the GUI thread reads them as
# at-risk. Right: the at-risk warnings name "maker" as the owner, as the off-thread findings
# of the same objects do (PySide6 deletes them in place; PyQt6 defers them: clean). Seen
# under PySide6: owner "MainThread".

import sys

from _oracle_probes import *


class Panel(QObject):
    def __init__(self):
        super().__init__(); _o_ctor(self)
        self.me = self  # a cycle


def make_garbage():
    _o_new(Panel())


def maker():
    while not _o_stop.is_set():
        make_garbage()
        time.sleep(0.01)


app = QApplication(sys.argv)
_o_calibrate([make_garbage])
_o_pythread("maker", maker).start()
QTimer.singleShot(1000, app.quit)
app.exec()
_o_quit_threads()
_o_end()
