# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=refcount thread=dropper
# qgc-check-args: --threads 0
# QObjects (QGraphicsTextItems) made through factories, subclass chains with super(), an
# explicit base __init__ call, mixins before and after the binding's class, a helper the
# __init__ chains through, a closure over self, a classmethod and, in another class's
# __init__, `self.label = QGraphicsTextItem()`: each is the child of a graphics item (not a
# QObject) that a "dropper" thread drops, so it dies there (a finding each). The program
# records the call that made each one (inspect.currentframe() at that call) and prints it on
# a "creation-sites:" line as JSON {objectName: [file, line, function]};
# tests/test_creation_sites.py compares each finding's creation_site with it.
import gc
import inspect
import json
import queue
import sys
import threading

from _qt import QTimer
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem

sites = {}


def mark(obj, frame, name):
    """Names obj and records the call that made it: the frame's current line."""
    obj.setObjectName(name)
    sites[name] = [frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_qualname]
    return obj


class Probe(QGraphicsTextItem):
    def __init__(self, n, parent):
        super().__init__(str(n), parent)
        self.n = n


def make_probe(n, parent):
    return mark(Probe(n, parent), inspect.currentframe(), "factory-probe")


class Base(QGraphicsTextItem):
    def __init__(self, parent=None):
        super().__init__("base", parent)


class Derived(Base):
    def __init__(self, parent):
        super().__init__(parent)


class Leaf(Derived):
    def __init__(self, parent):
        Derived.__init__(self, parent)  # an explicit base call, not super()


class Mixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed = True


class Mixed(Mixin, QGraphicsTextItem):
    def __init__(self, parent):
        super().__init__("mixed", parent)


class MixedAfter(QGraphicsTextItem, Mixin):
    """The binding's class first: it calls the mixin's __init__ itself, after building."""

    def __init__(self, parent):
        super().__init__("mixed-after", parent)


class Helped(QGraphicsTextItem):
    def __init__(self, parent):
        self._setup(parent)

    def _setup(self, parent):
        super().__init__("helped", parent)


class Celled(QGraphicsTextItem):
    def __init__(self, parent):
        super().__init__("celled", parent)
        self.callback = lambda: self.objectName()  # self becomes a cell


class Made(QGraphicsTextItem):
    @classmethod
    def create(cls, parent):
        return mark(cls("made", parent), inspect.currentframe(), "classmethod")


class Panel(QGraphicsRectItem):
    def __init__(self):
        super().__init__(0, 0, 20, 10)
        self.label = mark(QGraphicsTextItem("x", self), inspect.currentframe(), "panel-label")


def make_text(parent):
    return mark(QGraphicsTextItem("text", parent), inspect.currentframe(), "factory-text")


class Holder(QGraphicsRectItem):
    """A graphics item (not a QObject) that keeps its child QObject's wrapper."""

    def __init__(self):
        super().__init__(0, 0, 1, 1)
        self.child = None


def build_all():
    """Graphics items holding one QObject each; nothing else holds those."""
    holders = [Holder() for _ in range(9)]
    here = inspect.currentframe()
    holders[0].child = make_probe(1, holders[0])
    holders[1].child = make_text(holders[1])
    holders[2].child = Made.create(holders[2])
    holders[3].child = mark(Leaf(holders[3]), here, "leaf")
    holders[4].child = mark(Derived(holders[4]), here, "derived")
    holders[5].child = mark(Mixed(holders[5]), here, "mixin")
    holders[6].child = mark(Helped(holders[6]), here, "helped")
    holders[7].child = mark(Celled(holders[7]), here, "celled")
    holders[8].child = mark(MixedAfter(holders[8]), here, "mixin-after")
    holders.append(Panel())
    del here  # a frame held in its own locals would keep the items in a cycle
    return holders


app = QApplication(sys.argv)
dropped = queue.Queue()
done = threading.Event()


def drop():
    while True:
        held = dropped.get()
        held.clear()  # the last references: each item and its QObject child die here
        del held
        done.set()


threading.Thread(target=drop, name="dropper", daemon=True).start()
holders = build_all()
gc.collect()  # a collection in the creating thread names the classes
print("creation-sites:", json.dumps(sites), flush=True)
dropped.put(holders)
del holders
done.wait()
QTimer.singleShot(200, app.quit)  # an event loop of its own, ended: the run ends here
app.exec()
