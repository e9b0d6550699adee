# SPDX-License-Identifier: MIT
# pyqtgraph (third party): a PlotWidget whose curves get new data from a
# QTimer, items (curves, infinite lines, text, scatter) added and removed,
# a second plot window opened and closed.  Needs pyqtgraph.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _qt import *  # noqa: E402  (selects the binding before pyqtgraph picks one)
import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

a = app()
win = pg.PlotWidget()
win.show()
curve = win.plot(pen="y")
state = {"t": 0, "items": [], "windows": 0}
rng = np.random.default_rng(1)


def tick():
    t = state["t"] = state["t"] + 1
    curve.setData(np.sin(np.linspace(0, 6, 500) + t / 10.0) + rng.normal(size=500) * 0.1)
    item = [pg.InfiniteLine(pos=t % 50, movable=True), pg.TextItem("t=%d" % t),
            pg.ScatterPlotItem(x=rng.normal(size=20), y=rng.normal(size=20))][t % 3]
    win.addItem(item)
    state["items"].append(item)
    if len(state["items"]) > 6:
        win.removeItem(state["items"].pop(0))
    if t % 5 == 0:
        w = pg.GraphicsLayoutWidget()
        p = w.addPlot()
        p.plot(rng.normal(size=100))
        w.show()
        w.close()
        state["windows"] += 1


timer = QTimer()
timer.timeout.connect(tick)
timer.start(10)
rc = run(a)
timer.stop()
print("pyqtgraph done", state["windows"] > 0, rc)
