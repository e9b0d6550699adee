# SPDX-License-Identifier: MIT
# Helper threads (plain Python threads, as download or watcher helpers are)
# whose Qt calls are deleteLater() on GUI-owned objects and emitting signals.
from _qt import *
import threading

a = app()
deleted = [0]


class Item(QObject):
    pass


class Bridge(QObject):
    message = Signal(str)


bridge = Bridge()
got = []
bridge.message.connect(got.append)
batch = []


def helper(objs):
    for o in objs:
        o.deleteLater()
    bridge.message.emit("deleted %d" % len(objs))


threads = []


def tick():
    objs = [Item() for _ in range(10)]
    for o in objs:
        o.destroyed.connect(lambda *_: deleted.__setitem__(0, deleted[0] + 1))
    batch.extend(objs)
    t = threading.Thread(target=helper, args=(objs,))
    t.start()
    threads.append(t)


timer = QTimer()
timer.timeout.connect(tick)
timer.start(20)


def stop():
    timer.stop()
    for t in threads:
        t.join()


rc = run(a, on_quit=stop)
a.processEvents()
print("deletelater done", len(got) == len(threads), rc)
