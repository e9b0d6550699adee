# SPDX-License-Identifier: MIT
# superqt (third party): labeled range sliders, collapsibles, searchable
# combo boxes and elided labels created, shown, changed and dropped.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _qt import *  # noqa: E402
import superqt  # noqa: E402

a = app()
host = QWidget()
lay = QVBoxLayout(host)
host.show()
made = [0]
keep = []


def tick():
    made[0] += 1
    s = superqt.QLabeledRangeSlider(Qt.Orientation.Horizontal)
    s.setRange(0, 100)
    s.setValue((10, 20 + made[0] % 50))
    c = superqt.QCollapsible("section %d" % made[0])
    c.addWidget(QLabel("inside"))
    c.expand(animate=True)
    combo = superqt.QSearchableComboBox()
    combo.addItems(["alpha", "beta", "gamma"])
    label = superqt.QElidingLabel("a long text that gets elided " * 3)
    dbl = superqt.QLabeledDoubleSlider()
    dbl.setValue(0.5)
    for w in (s, c, combo, label, dbl):
        lay.addWidget(w)
    keep.append((s, c, combo, label, dbl))
    if len(keep) > 4:
        for w in keep.pop(0):
            lay.removeWidget(w)
            w.setParent(None)   # dropped: freed with its Python wrapper


timer = QTimer()
timer.timeout.connect(tick)
timer.start(15)
rc = run(a)
timer.stop()
print("superqt done", made[0] > 0, rc)
