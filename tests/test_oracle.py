# SPDX-License-Identifier: MIT
"""The oracle (tools/oracle): generated Qt programs record their own ground truth
(every QObject's Qt and Python class, creation site, owner thread and the thread
its `destroyed` signal fired in) and every finding of qgc-check must match it:
same class, Python class, creation site, owner and finalizing thread, cause and
count, and nothing the program did not see. A fixed seed set under Debian's PyQt6."""
import importlib.machinery
import importlib.util
import json

from conftest import QGC_CHECK, ROOT

SEEDS = range(1, 9)


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


def test_oracle_agrees_with_every_finding(tmp_path):
    oracle = load_oracle()
    summary = tmp_path / "oracle.json"
    code = oracle.main(["--seeds", ",".join(map(str, SEEDS)), "--binding", "debian", "-j", "2",
                        "--qgc-check", QGC_CHECK, "--json", str(summary)])
    s = json.loads(summary.read_text())["summary"]
    assert s["programs"] == len(SEEDS) and s["errors"] == 0, s
    assert s["findings_compared"] > 0, s  # the seed set does race under PyQt6
    assert s["disagreements"] == 0, json.dumps(s, indent=1)
    assert code == 0


def test_destructions_after_the_body_but_before_finalization_are_trusted():
    """Between the script body's end and the probes' exit handler (the last to run)
    the stress may still collect: the probes are whole then, so such a destruction is
    a finding the tool must report; after the handler the interpreter finalizes and
    what the probes say is undecidable."""
    oracle = load_oracle()
    new = {"e": "new", "qt": "QTimer", "py": None, "file": "/p.py", "line": 3, "func": "f",
           "owner": "MainThread", "parent": None}
    records = [dict(new, id=1), dict(new, id=2), {"e": "end", "t": 1.0},
               {"e": "del", "id": 1, "thread": "qgc-stress-1", "cause": "cyclic-gc",
                "owner_state": "alive"},
               {"e": "exit", "t": 1.1},
               {"e": "del", "id": 2, "thread": "qgc-stress-1", "cause": "cyclic-gc",
                "owner_state": "alive"}]
    certain, unsure, unseen, stats = oracle.expected_findings(records, False)
    key = ("QTimer", None, "/p.py:3", "f", "MainThread", "qgc-stress-1", "cyclic-gc")
    assert certain == {key: 1} and not unsure, (certain, unsure)
    assert stats["after_end"] == 1 and sum(unseen.values()) == 1, (stats, unseen)
