# SPDX-License-Identifier: MIT
"""Diagnosis a developer can act on: the Python class, explicit vs automatic
collections, --mitigate turning the cyclic-GC races clean, --compare, --repeat
printing a seed that a rerun reproduces, and the burst stress mode."""
import re

import pytest

from conftest import ROOT, TESTCASES, parse_header, run_tool, validate_schema

CYCLIC = ["graphics_item_cycle", "no_event_loop", "del_stops_timer"]


def test_python_class_and_creation_site():
    run = run_tool("--duration", "1", TESTCASES / "graphics_item_cycle.py")
    f = next(f for f in run.report["findings"] if f["class"] == "QGraphicsTextItem")
    # The text item is an instance of the binding's own class, made inside
    # LegendEntry.__init__: it has no Python subclass (LegendEntry is the
    # graphics item that made it, not its class).
    assert f["python_class"] is None
    assert f["creation_site"]["function"] == "LegendEntry.__init__"
    assert f["creation_site"]["line"] == 14
    assert [fr["function"] for fr in f["creation_stack"][:3]] == [
        "LegendEntry.__init__", "make_garbage", "<module>"]
    assert f["gc_trigger"] == "automatic" and f["gc_generation"] in (0, 1, 2)
    assert f["children_destroyed"] >= f["count"]  # its QTextDocument and friends
    # the stress worker's own code is not the user's: never in a reported stack
    assert f["finalization_stack"] and not any(
        fr["file"].startswith("<") for fr in f["finalization_stack"])
    # the text says what that collection stands for, and shows the line that made it
    assert f["finalizing_thread"].startswith("qgc-stress-")
    assert f["creation_source"] == 'self.label = QGraphicsTextItem("x", self)'
    assert ('  created at testcases/graphics_item_cycle.py:14: in LegendEntry.__init__\n'
            '    self.label = QGraphicsTextItem("x", self)\n'
            "  finalized by a collection in qgc-check's stress thread") in run.stderr, run.stderr[:1500]
    assert "finalized at" not in run.stderr


@pytest.mark.parametrize("name", CYCLIC)
def test_mitigate_turns_cyclic_gc_races_clean(name):
    case = TESTCASES / f"{name}.py"
    run = run_tool("--mitigate", *parse_header(case)["args"], case)
    validate_schema(run.report)
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-2000:]
    assert run.report["mitigated"] is True
    assert run.report["stats"]["collections_off_gui_thread"] == 0
    assert run.report["stats"]["collections"] > 0  # the GUI-thread collector ran


def test_mitigate_cannot_fix_a_refcount_drop_in_a_worker():
    """The workaround moves collections, not the last reference a thread drops."""
    run = run_tool("--mitigate", "--duration", "2", TESTCASES / "refcount_thread.py")
    assert run.report["verdict"] == "race"
    assert {f["cause"] for f in run.report["findings"]} == {"refcount"}


def test_compare_prints_both_verdicts():
    run = run_tool("--compare", "--duration", "1.5", TESTCASES / "graphics_item_cycle.py")
    m = re.search(r"qgc-check: compare \(seed (\d+)\): without mitigation: race \((\d+) findings\); "
                  r"with --mitigate: clean \(0 findings\)", run.stderr)
    assert m, run.stderr[-2000:]
    assert run.returncode == 1
    assert run.report["compare"] == {"mitigated_verdict": "clean", "mitigated_findings_total": 0}
    assert run.report["seed"] == int(m.group(1))


def test_repeat_stops_at_first_race_and_the_seed_reproduces_it():
    run = run_tool("--repeat", "5", "--duration", "1", TESTCASES / "graphics_item_cycle.py")
    m = re.search(r"run (\d+) of 5 gave race with seed (\d+); reproduce it with --seed (\d+)", run.stderr)
    assert m and m.group(2) == m.group(3), run.stderr[-2000:]
    seed = int(m.group(2))
    assert run.report["seed"] == seed
    again = run_tool("--seed", str(seed), "--duration", "1", TESTCASES / "graphics_item_cycle.py")
    assert again.report["verdict"] == "race" and again.report["seed"] == seed
    # Thread timing is not replayed: an object may die before it is named in one
    # run and not the other ("(unresolved)"); the classes named are the same.
    named = lambda r: {f["class"] for f in r.report["findings"]} - {"(unresolved)"}
    assert named(again) == named(run)


def test_repeat_all_clean():
    run = run_tool("--repeat", "3", "--duration", "0.5", TESTCASES / "idle_app.py")
    assert run.returncode == 0 and "3 runs, all clean" in run.stderr
    assert run.stderr.count("(seed ") == 2  # one line per clean run before the last


def test_burst_stress_mode_finds_the_race_too():
    run = run_tool("--stress", "burst", "--duration", "2", TESTCASES / "graphics_item_cycle.py")
    assert run.report["stress_mode"] == "burst"
    assert run.report["verdict"] in ("race", "crash") and run.report["findings"]


def test_explicit_collect_in_a_worker_is_named(tmp_script):
    s = tmp_script('''
import gc, sys, threading
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsTextItem
class Entry(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.label = QGraphicsTextItem("x", self)
        self.me = self
def work():
    while True:
        gc.collect()
        threading.Event().wait(0.01)
app = QApplication(sys.argv)
gc.disable()
t = QTimer(); t.timeout.connect(lambda: [Entry() for _ in range(3)]); t.start(10)
threading.Thread(target=work, name="collector", daemon=True).start()
app.exec()
''')
    run = run_tool("--threads", "0", "--duration", "1.5", s)
    f = [f for f in run.report["findings"] if f["finalizing_thread"] == "collector"]
    assert f and all(x["gc_trigger"] == "explicit" and x["gc_generation"] == 2 for x in f)


def test_at_risk_cycle_reported_with_path_on_an_observe_only_run():
    run = run_tool("--threads", "0", "--duration", "1", TESTCASES / "graphics_item_cycle.py")
    validate_schema(run.report)
    assert run.report["verdict"] == "clean" and run.returncode == 0  # warnings only
    (f,) = [f for f in run.report["findings"] if f["kind"] == "at-risk-cycle"]
    # The text item is the binding's own class; the cycle that holds it is named
    # by its path (LegendEntry is the graphics item in the cycle, not its class).
    assert f["class"] == "QGraphicsTextItem" and f["python_class"] is None
    assert f["message"] == ("LegendEntry.__dict__ -> dict['callbacks'] -> list[0] -> "
                            "method refresh.__self__ -> LegendEntry")
    assert f["creation_site"]["line"] == 14 and f["creation_site"]["function"] == "LegendEntry.__init__"
    assert ("warning: at-risk-cycle: QGraphicsTextItem would die in whichever thread collects "
            "the cycle LegendEntry.__dict__") in run.stderr


def test_strict_makes_at_risk_cycles_a_race():
    run = run_tool("--strict", "--threads", "0", "--duration", "1", TESTCASES / "graphics_item_cycle.py")
    assert run.report["verdict"] == "race" and run.returncode == 1
    assert {f["kind"] for f in run.report["findings"]} == {"at-risk-cycle"}


def test_mitigate_leaves_nothing_at_risk():
    run = run_tool("--mitigate", "--threads", "0", "--duration", "1", TESTCASES / "graphics_item_cycle.py")
    assert run.report["findings"] == [] and run.returncode == 0


def test_binding_deferred_qobject_cycles_are_not_at_risk():
    run = run_tool("--threads", "0", "--duration", "1.5", TESTCASES / "qobject_cycle.py")
    assert run.report["findings"] == [] and run.returncode == 0
    assert run.report["stats"]["qobjects_deferred_by_binding"] > 0
    assert "deferred by PyQt6" in run.stderr


def test_thread_warnings_still_reach_the_apps_own_message_handler(tmp_script):
    s = tmp_script('''
import sys
from PyQt6.QtCore import QTimer, qInstallMessageHandler
from PyQt6.QtWidgets import QApplication
seen = []
def handler(mode, context, message):
    if "Timers cannot be stopped" in message:
        seen.append(message)
qInstallMessageHandler(handler)
class Poller:
    def __init__(self):
        self.timer = QTimer()
        self.timer.start(1000)
        self.me = self
    def __del__(self):
        self.timer.stop()
app = QApplication(sys.argv)
t = QTimer(); t.timeout.connect(lambda: [Poller() for _ in range(5)]); t.start(10)
QTimer.singleShot(1200, lambda: print(f"app-handler-saw {len(seen)}", flush=True))
app.exec()
''')
    run = run_tool("--duration", "1.5", s)
    warnings = [f for f in run.report["findings"] if f["kind"] == "thread-warning"]
    assert warnings and warnings[0]["finalizing_thread"].startswith("qgc-stress-")
    assert warnings[0]["finalization_stack"][0]["function"] == "Poller.__del__"
    n = int(run.stdout.split("app-handler-saw ")[1].split()[0])
    assert n > 0  # the app's own handler got them too


def test_stats_show_where_automatic_collections_ran():
    stressed = run_tool("-v", "--duration", "2", TESTCASES / "graphics_item_cycle.py")
    stats = stressed.report["stats"]
    assert stats["automatic_collections"] > 100
    assert stats["automatic_collections_off_gui_thread"] >= 0.9 * stats["automatic_collections"]
    assert stats["automatic_collections"] <= stats["collections"]
    assert re.search(r"stats: .*\d+ of \d+ automatic collections off the GUI thread \(\d+\.\d%\)",
                     stressed.stderr)
    observed = run_tool("--threads", "0", "--duration", "2", TESTCASES / "graphics_item_cycle.py")
    assert observed.report["stats"]["automatic_collections_off_gui_thread"] == 0


def test_stats_tell_collections_before_the_application(tmp_script):
    """Collections the interpreter makes before the QApplication exists run on the main
    thread (the stress starts with the application): counted in the whole run, not in the
    share once the application existed, which the stress moves off the GUI thread."""
    s = tmp_script('''
import gc, sys
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication
before = gc.get_stats()[0]["collections"]
for _ in range(100000):
    a = []; a.append(a)  # cyclic garbage: automatic collections on the main thread
print("before-app", gc.get_stats()[0]["collections"] - before)
app = QApplication(sys.argv[:1])
QTimer.singleShot(1500, app.quit)
app.exec()
''')
    run = run_tool("--duration", "0", s)
    stats = run.report["stats"]
    before = int(run.stdout.split("before-app ")[1].split()[0])
    assert before >= 20, run.stdout
    auto, app = stats["automatic_collections"], stats["automatic_collections_with_app"]
    assert auto - app >= before  # those before the application, and what startup made
    assert stats["automatic_collections_off_gui_thread"] == stats["automatic_collections_with_app_off_gui_thread"]
    assert app > 0 and stats["automatic_collections_with_app_off_gui_thread"] <= app


def test_event_loop_lateness_is_measured(tmp_script):
    """A slot that blocks the GUI thread for 400 ms once shows as the maximum lateness;
    the percentiles of the other ticks stay below it."""
    app = tmp_script(
        "import sys, time\n"
        "from PyQt6.QtCore import QTimer\n"
        "from PyQt6.QtWidgets import QApplication\n"
        "app = QApplication(sys.argv)\n"
        "QTimer.singleShot(500, lambda: time.sleep(0.4))\n"
        "app.exec()\n")
    run = run_tool("--threads", "0", "--duration", "2", app)
    loop = run.report["stats"]["event_loop"]
    assert loop["ticks"] >= 20
    assert 300 <= loop["lateness_max_ms"] < 1000
    assert loop["lateness_p50_ms"] < 300
    assert loop["lateness_p50_ms"] <= loop["lateness_p99_ms"] <= loop["lateness_max_ms"]


FACTORY = """
import sys
from _qt import QApplication, QGraphicsObject, QGraphicsRectItem, QRectF, QTimer


class Alpha(QGraphicsObject):
    def boundingRect(self):
        return QRectF()

    def paint(self, *args):
        pass


class Beta(Alpha):
    pass


class Holder(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.me = self  # a cycle: only the collector frees it
        self.timer = QTimer()  # made in a method of Holder: its class is QTimer, no subclass
        self.timer.setParent(None)


def make(classes, parent):
    for cls in classes:
        cls(parent)  # several classes from one call site


def tick():
    for _ in range(5):
        make((Alpha, Beta) * 3, Holder())


app = QApplication(sys.argv)
t = QTimer()
t.timeout.connect(tick)
t.start(5)
app.exec()
"""


def test_python_class_is_the_objects_own_for_several_classes_from_one_call_site(tmp_script):
    """Objects of several classes made at one call site (a factory) are each
    reported as their own class; a binding-class object made in a subclass's
    method has no Python class."""
    s = tmp_script(FACTORY)
    import shutil
    shutil.copy(TESTCASES / "_qt.py", s.parent)
    run = run_tool("--duration", "2", s)
    found = [f for f in run.report["findings"] if f["kind"] == "off-thread-finalization"
             and f["creation_site"] and f["creation_site"]["line"] == 28]
    # "(unresolved)": it died before anyone could name it; an honest "cannot
    # tell", never a wrong class. Counted apart, and rare.
    unresolved = sum(f["count"] for f in found if f["class"] == "(unresolved)")
    found = [f for f in found if f["class"] != "(unresolved)"]
    by_class = {}
    for f in found:
        by_class[f["python_class"]] = by_class.get(f["python_class"], 0) + f["count"]
    assert by_class.get("Alpha", 0) > 0 and by_class.get("Beta", 0) > 0, by_class
    assert unresolved < 0.05 * sum(by_class.values()), (unresolved, by_class)
    assert set(by_class) <= {"Alpha", "Beta"}, by_class
    assert all(f["class"] == "QGraphicsObject" for f in found)
    # Each makes as many of one as of the other: neither name hides the other.
    assert 0.5 < by_class["Alpha"] / by_class["Beta"] < 2, by_class
    timers = [f for f in run.report["findings"] if f["class"] == "QTimer"]
    assert all(f["python_class"] is None for f in timers), timers


def test_refcount_findings_get_their_own_fix():
    """A collector in the GUI thread cannot fix a last reference dropped in a worker."""
    run = run_tool("--duration", "2", TESTCASES / "refcount_thread.py")
    assert run.report["verdict"] in ("race", "crash")
    refcount = [f for f in run.report["findings"] if f["cause"] == "refcount"]
    assert refcount and all("drop it in MainThread" in f["fix"] for f in refcount)
    if run.report["verdict"] == "race" and all(f["cause"] == "refcount" for f in run.report["findings"]):
        assert "hint: Qt objects die in whichever thread" not in run.stderr
        assert "fix: consumer dropped the last reference" in run.stderr


def test_mitigate_undone_by_gc_enable_is_said(tmp_script):
    app = tmp_script("import gc, sys\nfrom PyQt6.QtCore import QCoreApplication, QObject, QTimer\n"
                     "gc.enable()\napp = QCoreApplication(sys.argv)\n"
                     "junk = []\n"
                     "def churn():\n"
                     "    for _ in range(2000):\n"
                     "        a = []; a.append(a)\n"
                     "t = QTimer(); t.timeout.connect(churn); t.start(5)\n"
                     "QTimer.singleShot(700, app.quit)\napp.exec()\n")
    run = run_tool("--mitigate", "--duration", "1", app)
    assert run.report["stats"]["automatic_collections"] > 0
    assert any(n.startswith("--mitigate was undone") for n in run.report["notes"])
    assert "note: --mitigate was undone" in run.stderr


def test_stress_without_effect_is_said(tmp_script):
    app = tmp_script("import gc, sys\nfrom PyQt6.QtCore import QCoreApplication, QObject, QTimer\n"
                     "gc.disable()\napp = QCoreApplication(sys.argv)\nobj = QObject()\n"
                     "QTimer.singleShot(500, app.quit)\napp.exec()\n")
    run = run_tool("--duration", "1", app)
    assert run.report["verdict"] == "clean"
    if run.report["stats"]["automatic_collections_off_gui_thread"] == 0:
        assert "note: the stress had no effect" in run.stderr


WARNINGS = """
import sys, threading, time
from _qt import QApplication, QObject, QTimer, QtCore
app = QApplication(sys.argv)
owner = QObject()
tid = owner.startTimer(100000)
received = []
N = 300


def handler(mode, context, message):
    received.append(message)


def flood():
    for i in range(N):
        owner.killTimer(tid)  # a GUI-owned timer killed from this thread: one warning each
        if i == N // 2:
            QtCore.qInstallMessageHandler(handler)  # the app takes its messages over midway
        time.sleep(0.001)
    QTimer.singleShot(0, app.quit)


threading.Thread(target=flood, name="flooder").start()
app.exec()
print("received", len(received))
"""


def test_every_qt_warning_is_counted_when_the_app_installs_its_own_handler(tmp_script):
    """Each of the 300 warnings is counted, also those right after the app
    installs its own message handler; the app's handler still gets its 149."""
    s = tmp_script(WARNINGS)
    import shutil
    shutil.copy(TESTCASES / "_qt.py", s.parent)
    run = run_tool("--threads", "0", "--duration", "0", s)
    warnings = [f for f in run.report["findings"] if f["kind"] == "thread-warning"]
    assert sum(f["count"] for f in warnings) == 300, warnings
    assert "received 149" in run.stdout


ORIGINS = """
import sys, threading
from _qt import QApplication, QGraphicsObject, QGraphicsRectItem, QObject, QPainter, QPicture, QRectF, QTimer


class Holder:
    def __init__(self):
        self.picture = QPicture()  # Qt's own code makes a QBuffer inside it
        painter = QPainter(self.picture)
        painter.drawLine(0, 0, 10, 10)
        painter.end()
        self.me = self  # a cycle: a collector frees it, in whichever thread


class Panel(QObject):
    pass


class Kid(QGraphicsObject):
    def boundingRect(self):
        return QRectF()

    def paint(self, *args):
        pass


class Carrier(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        kid = Kid()
        kid.setParentItem(self)  # the item deletes it
        kid.setParent(panel)     # and its QObject parent lives on


root = QObject()
panel = Panel(root)


def drop(carriers):
    carriers.clear()  # the last references: each Carrier, and its Kid, die here


def tick():
    for _ in range(10):
        Holder()
    threading.Thread(target=drop, args=([Carrier() for _ in range(3)],)).start()


app = QApplication(sys.argv)
t = QTimer()
t.timeout.connect(tick)
t.start(5)
app.exec()
"""


def test_origin_and_parents_of_each_object(tmp_script):
    """A QObject made by Qt's C++ code (QPicture's QBuffer) is reported as native,
    with the library that made it and the Python call it was made in; one made
    through the binding as python; a child names its live parents."""
    s = tmp_script(ORIGINS)
    import shutil
    shutil.copy(TESTCASES / "_qt.py", s.parent)
    run = run_tool("--duration", "2", s)
    validate_schema(run.report)
    found = [f for f in run.report["findings"] if f["kind"] == "off-thread-finalization"
             and f["class"] != "(unresolved)"]
    buffers = [f for f in found if f["class"] == "QBuffer"]
    assert buffers, [(f["class"], f["python_class"]) for f in found]
    for f in buffers:
        assert f["origin"] == "native" and f["python_class"] is None, f
        assert f["class_library"].startswith("libQt6Core"), f  # QBuffer's own library
        assert f["creation_site"]["line"] == 8 and f["creation_site"]["function"] == "Holder.__init__"
        # the call that made it, read from the script as a traceback shows it
        assert f["creation_source"] == "self.picture = QPicture()  # Qt's own code makes a QBuffer inside it"
        # the object it is a part of, from the C++ frames that destroyed it
        assert f["destroyed_by_cpp"].startswith("QPicture::~QPicture() (libQt6Gui"), f["destroyed_by_cpp"]
        assert any(n["function"] == "QPicture::~QPicture()" for n in f["native_stack"]), f["native_stack"]
        assert f["made_by"] == ("made by C++ code inside that call (not through Python), a part of a "
                                "QPicture: no Python object owns it"), f["made_by"]
    assert re.search(r"created at \S*app\.py:8: in Holder\.__init__\n    self\.picture = QPicture\(\)  #.*\n"
                     r"  made by C\+\+ code inside that call \(not through Python\), a part of a QPicture",
                     run.stderr), run.stderr[:2000]
    assert "  destroyed by C++: QPicture::~QPicture() (libQt6Gui" in run.stderr
    kids = [f for f in found if f["python_class"] == "Kid"]
    assert kids, [(f["class"], f["python_class"]) for f in found]
    for f in kids:
        assert f["origin"] == "python" and f["class_library"] is None and f["made_by"] is None, f
        assert f["class"] == "QGraphicsObject" and f["cause"] == "refcount", f
        assert f["parents"] == ["QObject (Panel)", "QObject"], f["parents"]
        assert "live-parent" in f["evidence"]
    assert "inside QObject (Panel) inside QObject" in run.stderr
    # Nothing but these two kinds of objects dies off its thread here.
    assert {f["class"] for f in found} <= {"QBuffer", "QGraphicsObject"}, found


def test_cpp_that_destroyed_an_object_is_named():
    """QTextDocument.undo(), called from C++ in another thread's event loop, deletes
    the QTextLists the main thread made: the finding names that C++ code (the Python
    stack has nothing to say: no Python code ran there), with its whole native stack,
    and its fix says a call may have deleted it."""
    case = TESTCASES / "gil_held_while_hooks_run.py"
    run = run_tool(*parse_header(case)["args"], case)
    assert run.returncode == 1, run.stderr[-2000:]
    validate_schema(run.report)
    found = [f for f in run.report["findings"] if f["finalizing_thread"] == "undoer"]
    assert found and sum(f["count"] for f in found) == 2000, run.report["findings"]
    for f in found:
        functions = [frame["function"] for frame in f["native_stack"]]
        assert "QTextList::~QTextList()" in functions, functions
        assert any(fn.startswith("QTextDocument") and "undo" in fn.lower() for fn in functions), functions
        assert any(fn.startswith("QEventLoop::exec") for fn in functions), functions  # the undoer's loop
        assert f["destroyed_by_cpp"].startswith("QTextList::~QTextList() (libQt6Gui"), f["destroyed_by_cpp"]
        assert "QTextDocument" in f["destroyed_by_cpp"], f["destroyed_by_cpp"]
        # C++ code destroyed it, not a dropped reference: the fix names that call.
        assert f["cause"] == "native" and f["fix_kind"] == "cpp-call", f
        assert "QTextDocumentPrivate::undoRedo" in f["fix"] and "make that call in MainThread" in f["fix"], f["fix"]
    assert "  destroyed by C++: QTextList::~QTextList() (libQt6Gui" in run.stderr


def test_findings_during_teardown_are_marked():
    """The program's own atexit handler records that the script ended before its
    daemon thread drops the items (testcases/teardown_daemon_drops.py): those
    findings say so; those made while the script ran do not."""
    run = run_tool("--duration", "2", TESTCASES / "teardown_daemon_drops.py")
    assert re.search(r"^destroyed in dropper: 0 before the script ended, [1-9]", run.stdout, re.M)
    (f,) = [f for f in run.report["findings"] if f["class"] == "QGraphicsTextItem"]
    assert f["during_teardown"] is True and f["finalizing_thread"] == "dropper"
    assert re.search(r"^QGraphicsTextItem owned by MainThread, destroyed in dropper \(refcount\) "
                     r"\(during interpreter teardown\)", run.stderr, re.M), run.stderr[-2000:]
    run = run_tool("--duration", "2", TESTCASES / "graphics_item_cycle.py")
    assert any(not f["during_teardown"] for f in run.report["findings"]), run.report["findings"][:2]



# Graphics items in cycles (their text item child is a QObject) and a run of
# the app: a thread works and the GUI thread's tick() makes its own, until the
# thread is stopped and joined and report() prints what the program counted.
ENTRY_CYCLES = '''
import gc, sys, threading, time
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsTextItem
class Entry(QGraphicsRectItem):
    def __init__(self):
        super().__init__()
        self.label = QGraphicsTextItem("x", self)
        self.me = self
app = QApplication(sys.argv[:1])
stop = threading.Event()
def run_for(seconds, thread, report):
    def end():
        stop.set()
        thread.join()
        report()
        app.quit()
    thread.start()
    t = QTimer(); t.timeout.connect(tick); t.start(10)
    QTimer.singleShot(int(seconds * 1000), end)
    app.exec()
'''


def test_at_risk_reading_frees_only_what_it_read(tmp_script):
    """Cycles another thread leaves unreachable while the GUI thread reads the garbage
    of a collection are not freed unread with it: the worker counts the graphics items
    it drops and the warnings count as many of its text items, each once."""
    s = tmp_script(ENTRY_CYCLES + '''
dropped = 0
def worker():
    global dropped
    while not stop.is_set():
        Entry()  # a cycle, unreachable at once
        dropped += 1
        time.sleep(0.0005)
def tick():
    for _ in range(100):
        Entry()  # the GUI thread's own: a slow reading
run_for(1.5, threading.Thread(target=worker, name="maker"), lambda: print("dropped", dropped))
''')
    run = run_tool("--threads", "0", "--duration", "0", s)
    dropped = int(run.stdout.split("dropped ")[1].split()[0])
    (f,) = [f for f in run.report["findings"] if f["kind"] == "at-risk-cycle" and f["owner_thread"] == "maker"]
    assert f["class"] == "QGraphicsTextItem" and dropped > 100
    assert f["count"] == dropped, (f["count"], dropped)


def test_at_risk_reading_leaves_alone_what_another_thread_took(tmp_script):
    """A thread that takes garbage back while it is read (here through gc.get_objects())
    keeps it whole: only what is still unreachable is freed by the reading."""
    s = tmp_script(ENTRY_CYCLES + '''
taken = broken = 0
def scanner():
    global taken, broken
    while not stop.is_set():
        mine = [o for o in gc.get_objects() if type(o) is Entry]
        taken += len(mine)
        time.sleep(0.02)
        broken += sum(1 for o in mine if getattr(o, "me", None) is not o)
        del mine
def tick():
    for _ in range(50):
        Entry()
run_for(1.5, threading.Thread(target=scanner, name="scanner"), lambda: print("taken", taken, "broken", broken))
''')
    run = run_tool("--threads", "0", "--duration", "0", s)
    taken, broken = (int(run.stdout.split(k + " ")[1].split()[0]) for k in ("taken", "broken"))
    assert taken > 100 and broken == 0, run.stdout
    assert run.report["verdict"] == "clean" and run.report["crash"] is None
