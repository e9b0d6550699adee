# SPDX-License-Identifier: MIT
"""The oracle (tools/oracle): generated Qt programs record their own ground truth
(every QObject's Qt and Python class, creation site, owner thread, the kind of
thread that owns it and the thread its `destroyed` signal fired in, whether a
collection ran there and whether the program itself called gc.collect()) and
every finding of qgc-check must match it: same class, Python class, creation
site (the call that made the object), owner and finalizing thread, cause, fix
kind and count, and nothing the program did not see; observe-only runs' at-risk
warnings must match what the program's calibration saw die in a collecting
thread. A fixed seed set under every binding release of the matrix."""
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import QGC_CHECK, ROOT

SEEDS = range(1, 9)
WHEEL_SEEDS = range(1, 5)
VENVS = os.environ.get("QGC_VENVS", str(ROOT / "build" / "venvs"))
MATRIX = ["debian", "PyQt6", "PyQt6-6.7", "PySide6", "PySide6-6.9", "PySide6-6.8", "PySide6-6.5"]


def load_oracle():
    loader = importlib.machinery.SourceFileLoader("qgc_oracle", str(ROOT / "tools" / "oracle"))
    spec = importlib.util.spec_from_loader("qgc_oracle", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_generated_programs_are_deterministic():
    oracle = load_oracle()
    assert oracle.generate(3)[0] == oracle.generate(3)[0]
    assert oracle.generate(3)[0] != oracle.generate(4)[0]


def test_programs_keep_every_wrapper_they_delete_from_a_thread():
    # PyQt6's sip.delete() from a thread that does not own the object defers
    # the deletion but leaves the C++ object pointing at the wrapper: freeing
    # the wrapper first made the object's later destructor mark whichever
    # wrapper reused that memory as deleted (a probe's watcher, whose
    # destroyed() slot PyQt6 then skipped: a finding the ground truth lacked)
    # or crash. Every generated program must keep such a wrapper.
    oracle = load_oracle()
    seen = 0
    for seed in range(1, 301):
        lines = oracle.generate(seed)[0].splitlines()
        for n, line in enumerate(lines):
            if line.strip().startswith("delete(x)"):
                seen += 1
                assert lines[n + 1].strip() == "_o_deleted.append(x)", (seed, lines[n:n + 2])
    assert seen > 10  # the generator does write such threads


def need_venv(binding):
    if binding != "debian" and not os.path.exists(os.path.join(VENVS, binding, "bin", "python3")):
        pytest.skip(f"no {binding} venv in {VENVS}: tools/make-venvs makes it")


def run_oracle(tmp_path, binding, seeds, *extra):
    need_venv(binding)
    oracle = load_oracle()
    summary = tmp_path / "oracle.json"
    code = oracle.main(["--seeds", ",".join(map(str, seeds)), "--binding", binding, "-j", "2",
                        "--qgc-check", QGC_CHECK, "--json", str(summary), *extra])
    data = json.loads(summary.read_text())
    s = data["summary"]
    assert s["programs"] == len(seeds) and s["errors"] == 0, s
    assert s["findings_compared"] > 0, s  # the seed set does race under every binding
    # On failure, say what differed, seed by seed.
    s["rows"] = [dict(row, seed=r["seed"], verdict=r["verdict"]) for r in data["programs"] for row in r["rows"]]
    return code, s


@pytest.mark.parametrize("binding", MATRIX)
def test_oracle_agrees_with_every_finding(tmp_path, binding):
    code, s = run_oracle(tmp_path, binding, SEEDS if binding == "debian" else WHEEL_SEEDS)
    assert s["disagreements"] == 0, json.dumps(s, indent=1)
    assert code == 0


@pytest.mark.parametrize("binding", ["debian", "PySide6"])
def test_oracle_agrees_with_every_at_risk_warning(tmp_path, binding):
    # --threads 0: the at-risk warnings must name what the programs' own
    # calibration saw die in a collecting thread (binding-class widgets under
    # PySide6 do not), and nothing else.
    code, s = run_oracle(tmp_path, binding, [1, 5], "--at-risk")
    assert s["objects"].get("calibrated", 0) > 0 and s["objects"].get("at_risk_expected", 0) > 0, s
    assert s["disagreements"] == 0, json.dumps(s, indent=1)
    assert code == 0


@pytest.mark.parametrize("binding", ["debian", "PySide6"])
@pytest.mark.parametrize("case", ["at_risk_once_per_object", "observe_only_collection_of_a_plain_thread"])
def test_oracle_cases_of_at_risk_warnings(tmp_path, binding, case):
    # One warning per object a collection elsewhere would destroy, its QObject
    # children counted into it, and the thread that owns it as its owner.
    need_venv(binding)
    summary = tmp_path / "oracle.json"
    code = load_oracle().main(["--program", str(ROOT / "tools" / "oracle-cases" / f"{case}.py"),
                               "--at-risk", "--binding", binding, "--qgc-check", QGC_CHECK,
                               "--json", str(summary)])
    s = json.loads(summary.read_text())["summary"]
    # PyQt6 defers a worker's QObjects a collection frees elsewhere: nothing to compare.
    assert s["errors"] == 0 and (s["findings_compared"] > 0 or binding != "PySide6"), s
    # Every cycle the maker thread leaves, also while the GUI thread reads the
    # garbage of another, is read before it is freed: none missing.
    rows = [row for r in json.loads(summary.read_text())["programs"] for row in r["rows"]]
    assert not rows, json.dumps(rows, indent=1)


def test_programs_make_the_patterns_the_fixes_depend_on():
    """Explicit gc.collect() in workers, factories returning the object (nested
    too), ThreadPoolExecutor jobs making QObjects, widgets in cycles, and thread
    names with control characters, quotes and non-ASCII."""
    oracle = load_oracle()
    scenarios, text = set(), ""
    for seed in range(1, 41):
        t, meta = oracle.generate(seed)
        scenarios.update(meta["scenarios"])
        text += t
    assert {"sc_collector", "sc_returning_factory", "sc_pool", "sc_widgets"} <= scenarios, scenarios
    assert "_o_collect()" in text and "ThreadPoolExecutor(2, thread_name_prefix=" in text
    assert "QLabel('x')" in text or "QPushButton('x')" in text
    for name in ("'wörker\\n\"q\"", "'\\x1b[31m"):
        assert name in text, name


def test_ground_truth_site_is_the_call_that_made_the_object(tmp_path):
    """The program's own record of the creation site: the innermost frame outside
    the object's own __init__ chain (a factory's return line, the line in another
    class's __init__), not the super().__init__() line."""
    oracle = load_oracle()
    oracle.main(["--write-probes", str(tmp_path / "_oracle_probes.py")])
    prog = tmp_path / "sites.py"
    prog.write_text(
        "import sys\n"
        "from _oracle_probes import *\n"
        "class Base(QObject):\n"
        "    def __init__(self):\n"
        "        super().__init__(); _o_ctor(self)\n"
        "        self.kid = _o_new(QTimer(self))  # KID\n"
        "class Sub(Base):\n"
        "    def __init__(self):\n"
        "        super().__init__(); _o_ctor(self)\n"
        "def make_sub():\n"
        "    return _o_new(Sub())  # FACTORY\n"
        "def make_outer():\n"
        "    return make_sub()\n"
        "app = QCoreApplication(sys.argv)\n"
        "a = make_outer()\n"
        "b = _o_new(Sub())  # DIRECT\n")
    lines = prog.read_text().splitlines()
    line_of = {tag: n + 1 for n, l in enumerate(lines) for tag in ("KID", "FACTORY", "DIRECT") if tag in l}
    truth = tmp_path / "truth.jsonl"
    env = dict(os.environ, QGC_ORACLE_OUT=str(truth), QT_QPA_PLATFORM="offscreen", QGC_TEST_BINDING="PyQt6")
    subprocess.run(["/usr/bin/python3", str(prog)], cwd=tmp_path, env=env, check=True, timeout=60)
    made = [json.loads(l) for l in truth.read_text().splitlines() if json.loads(l)["e"] == "new"]
    got = [(r["py"] or r["qt"], r["line"], r["func"]) for r in made]
    assert got == [("QTimer", line_of["KID"], "Base.__init__"), ("Sub", line_of["FACTORY"], "make_sub"),
                   ("QTimer", line_of["KID"], "Base.__init__"), ("Sub", line_of["DIRECT"], "<module>")], got


def test_fix_kind_follows_from_the_programs_records():
    oracle = load_oracle()
    threads = {"MainThread": {"loop": True}, "worker-1": {"loop": True}, "pool_0": {"loop": False}}

    def kind(cause, owner, collect=None):
        return oracle.expected_fix_kind({"cause": cause, "collect": collect}, owner, threads)
    assert kind("cyclic-gc", "MainThread", "automatic") == "gui-collector"
    assert kind("cyclic-gc", "MainThread", "explicit") == "collect-in-owner"
    assert kind("cyclic-gc", "worker-1", "explicit") == "collect-in-owner"
    assert kind("cyclic-gc", "worker-1", "automatic") == "break-cycle"
    assert kind("cyclic-gc", "pool_0", "automatic") == "move-to-gui-thread"
    assert kind("refcount", "pool_0") == "move-to-gui-thread"
    assert kind("refcount", "MainThread") == "drop-in-owner"
    assert kind("refcount", "worker-1") == "drop-in-owner"
    assert kind("native", "MainThread") == "cpp-call"


def test_a_field_the_report_lacks_is_a_disagreement():
    """A report without fix_kind (or without creation_site) never passes silently."""
    oracle = load_oracle()
    new = {"e": "new", "id": 1, "qt": "QTimer", "py": None, "file": "/p.py", "line": 3, "func": "f",
           "owner": "MainThread", "parent": None}
    records = [{"e": "thread", "name": "MainThread", "kind": "gui", "loop": True}, new,
               {"e": "del", "id": 1, "thread": "w", "cause": "refcount", "owner_state": "alive"}]
    certain, unsure, unseen, _ = oracle.expected_findings(records, False)
    finding = {"kind": "off-thread-finalization", "class": "QTimer", "python_class": None,
               "creation_site": {"file": "/p.py", "line": 3, "function": "f"}, "owner_thread": "MainThread",
               "finalizing_thread": "w", "cause": "refcount", "count": 1, "first_seen_s": 0.1}
    for report in ({"findings": [finding]},
                   {"findings": [dict(finding, fix_kind="drop-in-owner", creation_site=None)]},
                   {"findings": [{k: v for k, v in dict(finding, fix_kind="drop-in-owner").items()
                                  if k != "creation_site"}]}):
        found, _, _ = oracle.tool_findings(report, "/other.py", 0)
        compared, rows, _ = oracle.compare(certain, unsure, found, unseen)
        assert rows, report
    good = {"findings": [dict(finding, fix_kind="drop-in-owner", creation_site="/p.py:3: in f")]}
    found, _, _ = oracle.tool_findings(good, "/other.py", 0)
    assert oracle.compare(certain, unsure, found, unseen)[1] == []


def test_a_destruction_in_a_thread_the_program_could_not_name_is_compared_but_for_the_thread():
    """A collection in a thread's bootstrap, before the thread is registered with
    threading (or in a thread the program did not make): the program records no
    thread name. The tool's report of that object from any thread but its owner's
    is neither extra nor wrong; its class, site, owner, cause and fix still are."""
    oracle = load_oracle()
    records = [{"e": "thread", "name": "MainThread", "kind": "gui", "loop": True},
               {"e": "thread", "name": "maker-1", "kind": "python", "loop": False},
               {"e": "new", "id": 1, "qt": "QObject", "py": "Beta", "file": "/p.py", "line": 3, "func": "f",
                "owner": "maker-1", "parent": None},
               {"e": "del", "id": 1, "thread": None, "cause": "cyclic-gc", "owner_state": "alive",
                "collect": "automatic"}]
    certain, unsure, unseen, stats = oracle.expected_findings(records, False)
    assert not certain and stats["unnamed_thread"] == 1, (certain, stats)
    finding = {"kind": "off-thread-finalization", "class": "QObject", "python_class": "Beta",
               "creation_site": "/p.py:3: in f", "owner_thread": "maker-1", "finalizing_thread": "dropper-2",
               "cause": "cyclic-gc", "fix_kind": "move-to-gui-thread", "count": 1, "first_seen_s": 0.1}

    def rows(**change):
        found, _, _ = oracle.tool_findings({"findings": [dict(finding, **change)]}, "/other.py", 0)
        return [(f, c) for f, a, b, c in oracle.compare(certain, unsure, found, unseen)[1]]
    assert rows() == []
    assert rows(finalizing_thread="qgc-stress-1") == []
    assert rows(cause="refcount", fix_kind="drop-in-owner") == [(["cause", "fix_kind"], 1)]
    assert rows(python_class="Alpha") == [(["python_class"], 1)]
    assert rows(count=2) == [(["extra"], 1)]
    found, _, _ = oracle.tool_findings({"findings": []}, "/other.py", 0)
    assert oracle.compare(certain, unsure, found, unseen)[1] == []  # nor missing when not reported


def test_destructions_after_the_body_but_before_finalization_are_trusted():
    """Between the script body's end and the probes' exit handler (the last to run)
    the stress may still collect: the probes are whole then, so such a destruction is
    a finding the tool must report; after the handler the interpreter finalizes and
    what the probes say is undecidable."""
    oracle = load_oracle()
    new = {"e": "new", "qt": "QTimer", "py": None, "file": "/p.py", "line": 3, "func": "f",
           "owner": "MainThread", "parent": None}
    records = [{"e": "thread", "name": "MainThread", "kind": "gui", "loop": True},
               dict(new, id=1), dict(new, id=2), {"e": "end", "t": 1.0},
               {"e": "del", "id": 1, "thread": "qgc-stress-1", "cause": "cyclic-gc",
                "owner_state": "alive"},
               {"e": "exit", "t": 1.1},
               {"e": "del", "id": 2, "thread": "qgc-stress-1", "cause": "cyclic-gc",
                "owner_state": "alive"}]
    certain, unsure, unseen, stats = oracle.expected_findings(records, False)
    key = ("QTimer", None, "/p.py:3", "f", "MainThread", "qgc-stress-1", "cyclic-gc", "gui-collector")
    assert certain == {key: 1} and not unsure, (certain, unsure)
    assert stats["after_end"] == 1 and sum(unseen.values()) == 1, (stats, unseen)


def test_an_owner_whose_end_began_before_the_destruction_was_over_is_undecidable():
    """The destroyed() slot reads the owner's state as the object starts to die; the
    tool decides at the end of ~QObject, after the children and after the slot let go
    of the GIL. An object the slot saw with its owner alive is undecidable when the
    owner's end began before its destruction was over (before the destroying thread
    destroyed anything not its own), and certain when the thread went on to destroy
    something else first."""
    oracle = load_oracle()

    def new(i, line, parent=None):
        return {"e": "new", "id": i, "qt": "QTimer", "py": "Delta", "file": "/p.py", "line": line,
                "func": "churn", "owner": "looper-1", "parent": parent}

    def dies(i, state="alive"):
        return {"e": "del", "id": i, "thread": "qgc-stress-1", "cause": "cyclic-gc", "owner_state": state,
                "collect": "automatic"}
    records = [{"e": "thread", "name": "MainThread", "kind": "gui", "loop": True},
               {"e": "thread", "name": "looper-1", "kind": "qthread", "loop": True},
               new(1, 3), new(2, 4, parent=1), new(3, 5), new(4, 6), new(5, 7, parent=4), new(6, 8),
               dies(1), dies(2), dies(3),                   # over before the end began
               dies(4), {"e": "stopping"}, dies(5, "finished"),  # its child saw the owner finished
               dies(6)]                                     # seen alive, after the end began
    certain, unsure, unseen, stats = oracle.expected_findings(records, False)

    def key(line):
        return ("QTimer", "Delta", f"/p.py:{line}", "churn", "looper-1", "qgc-stress-1", "cyclic-gc",
                "break-cycle")
    assert certain == {key(3): 1, key(5): 1}, certain
    assert unsure == {key(6): 1, key(8): 1}, unsure
    assert stats["owner_ending_during"] == 2 and stats["folded_into_parent"] == 2, stats


def test_at_risk_truth_is_what_the_calibration_saw():
    """An object a GUI-thread collection destroyed is an expected at-risk warning when
    objects made at its site died in the calibration's collecting thread (a Python
    subclass), not when the binding deleted them in the main thread instead (a PySide6
    QLabel); a child dying inside its parent counts into the parent's; an object of
    another thread that died in the GUI thread's collection is at risk as seen."""
    oracle = load_oracle()

    def new(i, qt, py, line, owner="MainThread", parent=None):
        return {"e": "new", "id": i, "qt": qt, "py": py, "file": "/p.py", "line": line, "func": "tick",
                "owner": owner, "parent": parent}

    def dies(i, thread, collect="automatic"):
        return {"e": "del", "id": i, "thread": thread, "cause": "cyclic-gc", "owner_state": "alive",
                "collect": collect}
    records = [{"e": "calib-start"}, new(1, "QWidget", "Panel", 5), new(2, "QLabel", None, 6),
               new(3, "QTimer", None, 7, parent=1),
               dies(1, "oracle-calibrate", "explicit"), dies(3, "oracle-calibrate", "explicit"),
               {"e": "calib-end"}, dies(2, "MainThread"),
               new(11, "QWidget", "Panel", 5), new(12, "QLabel", None, 6), new(13, "QTimer", None, 7, parent=11),
               new(14, "QObject", "Holder", 9, owner="maker"),
               dies(11, "MainThread"), dies(13, "MainThread"), dies(12, "MainThread"), dies(14, "MainThread")]
    certain, unsure, stats = oracle.expected_at_risk(records, False)
    risk = oracle.AT_RISK
    # Objects another thread makes while the calibration runs are not the
    # calibration's: the maker's Holder there is at risk like the one after.
    during = records[:3] + [new(21, "QObject", "Holder", 9, owner="maker")] + records[3:] + [dies(21, "MainThread")]
    c2, _, _ = oracle.expected_at_risk(during, False)
    assert c2[("QObject", "Holder", "/p.py:9", "tick", "maker") + risk] == 2, c2
    assert certain == {("QWidget", "Panel", "/p.py:5", "tick", "MainThread") + risk: 1,
                       ("QObject", "Holder", "/p.py:9", "tick", "maker") + risk: 1}, certain
    assert stats["at_risk_folded"] == 1, stats


def test_every_thread_warning_is_work_for_the_owner_thread():
    oracle = load_oracle()
    warning = {"kind": "thread-warning", "class": "QTimer", "python_class": None,
               "creation_site": None, "owner_thread": "MainThread", "finalizing_thread": "w", "count": 2}
    assert oracle.compare_thread_warnings({"findings": [dict(warning, fix_kind="owner-thread-work")]}) == (2, [])
    for bad in (warning, dict(warning, fix_kind="drop-in-owner")):
        n, rows = oracle.compare_thread_warnings({"findings": [bad]})
        assert n == 2 and rows and rows[0][0] == ["fix_kind"], rows


def test_a_destruction_a_crash_cut_short_is_undecidable():
    """In a crashed run, an object whose destruction was not over when the crash came
    may never have reached the tool's hook, which fires at the end of its ~QObject,
    after its children died: undecidable, not missing, also when the last destructions
    recorded in its thread are its own children's (the oracle's seed 7003: a Beta whose
    children were dying in qgc-stress-1 as the GUI thread crashed). One that its thread
    went past (it destroyed another object after it) stays certain; so does the same
    destruction in a run that did not crash."""
    oracle = load_oracle()

    def new(i, line, parent=None, py="Beta"):
        return {"e": "new", "id": i, "qt": "QTimer" if parent is None else "QObject",
                "py": py if parent is None else None, "file": "/p.py", "line": line, "func": "run",
                "owner": "runner-8", "parent": parent}

    def dies(i):
        return {"e": "del", "id": i, "thread": "qgc-stress-1", "cause": "cyclic-gc", "owner_state": "alive",
                "collect": "automatic"}
    records = [{"e": "thread", "name": "MainThread", "kind": "gui", "loop": True},
               {"e": "thread", "name": "runner-8", "kind": "qthread", "loop": False},
               new(1, 3), new(2, 4, parent=1), new(3, 5, py="Alpha"), new(4, 6, parent=3), new(5, 7, parent=3),
               dies(1), dies(2), dies(3), dies(4)]  # the crash: 3's second child never died

    def key(line, py):
        return ("QTimer", py, f"/p.py:{line}", "run", "runner-8", "qgc-stress-1", "cyclic-gc",
                "move-to-gui-thread")
    certain, unsure, unseen, stats = oracle.expected_findings(records, True)
    assert certain == {key(3, "Beta"): 1} and unsure == {key(5, "Alpha"): 1}, (certain, unsure)
    certain, unsure, unseen, stats = oracle.expected_findings(records, False)
    assert certain == {key(3, "Beta"): 1, key(5, "Alpha"): 1} and not unsure, (certain, unsure)


def test_objects_of_classes_the_program_does_not_define_are_the_bindings_own():
    """PySide6 6.5 makes a QObject of its own (Python class __GlobalReceiver__) for a
    connection to a Python callable, in the receiver's thread; the program's probes
    cannot record it, so a finding of it is counted apart, not extra. A finding of a
    class the program does define that the program did not see die is still extra."""
    oracle = load_oracle()
    text = "class Beta(QObject):\n    pass\n\nclass _OWatch(QObject):\n    pass\n"
    assert oracle.program_classes(text) == {"Beta", "_OWatch"}
    finding = {"kind": "off-thread-finalization", "class": "QObject", "python_class": "__GlobalReceiver__",
               "creation_site": "/p.py:9: in <module>", "owner_thread": "worker-1",
               "finalizing_thread": "collector-2", "cause": "cyclic-gc", "fix_kind": "collect-in-owner",
               "count": 1, "first_seen_s": 0.1}
    records = [{"e": "thread", "name": "MainThread", "kind": "gui", "loop": True}]
    certain, unsure, unseen, _ = oracle.expected_findings(records, True)
    for cls, extra in (("__GlobalReceiver__", []), ("Beta", [(["extra"], 1)]), (None, [(["extra"], 1)])):
        found, _, _ = oracle.tool_findings({"findings": [dict(finding, python_class=cls)]}, "/other.py", 0)
        found, internal = oracle.binding_internal(found, oracle.program_classes(text))
        assert sum(internal.values()) == (1 if not extra else 0), (cls, internal)
        rows = [(f, c) for f, a, b, c in oracle.compare(certain, unsure, found, unseen)[1]]
        assert rows == extra, (cls, rows)
