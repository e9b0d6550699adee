# SPDX-License-Identifier: MIT
# Models and views with proxies: rows added and removed from a timer, proxy
# filters changed, views created and discarded, connections that close cycles.
from _qt import *

a = app()
model = QStandardItemModel(0, 3)
proxy = QSortFilterProxyModel()
proxy.setSourceModel(model)
proxy.setFilterKeyColumn(1)
main = QWidget()
lay = QVBoxLayout(main)
table = QTableView()
table.setModel(proxy)
table.setSortingEnabled(True)
lay.addWidget(table)
main.show()
state = {"tick": 0, "views": 0}


class Extra:
    """A throwaway view whose slot closes a Python cycle (owner -> view -> slot -> owner)."""
    def __init__(self):
        self.view = QTreeView()
        p = QSortFilterProxyModel()
        p.setSourceModel(model)
        self.view.setModel(p)
        self.proxy = p
        p.rowsInserted.connect(self.on_rows)
        self.seen = 0

    def on_rows(self, *args):
        self.seen += 1


def tick():
    t = state["tick"] = state["tick"] + 1
    for i in range(5):
        model.appendRow([QStandardItem(str(t * 10 + i)), QStandardItem("even" if i % 2 else "odd"),
                         QStandardItem("x" * (i + 1))])
    if model.rowCount() > 60:
        model.removeRows(0, 20)
    proxy.setFilterFixedString("even" if t % 2 else "")
    if t % 3 == 0:
        e = Extra()
        e.view.show()
        e.view.close()
        state["views"] += 1


timer = QTimer()
timer.timeout.connect(tick)
timer.start(10)
rc = run(a)
timer.stop()
print("model-view done", state["views"] > 0, rc)
