# SPDX-License-Identifier: MIT
"""Reports on real runs: terminal text (colour, -q, -v, progress line only on a
terminal), JUnit XML (well-formed, one failure per finding group, errors for crash
and hang), SARIF 2.1.0 structure at the creation line, atomic file replacement."""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import QGC_CHECK, ROOT, TESTCASES, run_tool, tool_env

RACY = "testcases/graphics_item_cycle.py"


def run_in(tmp_path, *args, env=None):
    return subprocess.run([QGC_CHECK, *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env or tool_env())


def test_terminal_report_key_lines():
    run = run_tool("--duration", "1", RACY, cwd=ROOT)
    lines = run.stderr.splitlines()
    verdict = [l for l in lines if l.startswith("qgc-check: race:")]
    assert len(verdict) == 1
    assert any(l.startswith("QGraphicsTextItem owned by MainThread, "
                            "destroyed in qgc-stress-") for l in lines)
    assert any(l.strip().startswith("created at ") and "graphics_item_cycle.py:14: in LegendEntry.__init__" in l
               for l in lines)
    assert any(l.startswith("hint: ") for l in lines)
    seed = run.report["seed"]
    assert (f"seed {seed}; replay the stress pattern (not the threads' timing): "
            f"qgc-check --seed {seed} --duration 1 {RACY}") in run.stderr
    assert "\033[" not in run.stderr


def test_quiet_prints_only_the_verdict():
    run = run_tool("-q", "--duration", "1", RACY, cwd=ROOT)
    own = [l for l in run.stderr.splitlines() if l.startswith("qgc-check") or l.startswith("  ")]
    assert len(own) == 1 and own[0].startswith("qgc-check: race:")


def test_verbose_adds_stacks():
    run = run_tool("-v", "--duration", "1", RACY, cwd=ROOT)
    assert "creation stack (innermost first):" in run.stderr
    assert "graphics_item_cycle.py:23: in make_garbage" in run.stderr


def pty_run(args, env):
    if not shutil.which("script"):
        pytest.skip("script(1) not available")
    cmd = " ".join([QGC_CHECK, *args])
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True,
                       timeout=120, cwd=ROOT, env=env)
    return p.stdout.decode(errors="replace")


def test_progress_line_and_colour_on_a_terminal():
    # A terminal that can draw: TERM=dumb (as in some consoles and CI shells) turns
    # the progress line and colour off, so the outer TERM is not inherited.
    env = tool_env(TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    env.pop("CI", None)
    out = pty_run(["--duration", "1.5", RACY], env)
    assert "\r\033[Kqgc-check: " in out and "collections in workers" in out
    assert "\033[1m" in out  # colour on a terminal
    # The progress line is cleared before the report and never drawn after it.
    verdict_at = out.index("race\033[0m:")
    assert "collections in workers" not in out[verdict_at:]


def test_no_colour_with_no_color_and_no_progress_in_ci():
    env = tool_env(NO_COLOR="1", CI="true", TERM="xterm-256color")
    out = pty_run(["--duration", "1", RACY], env)
    assert "collections in workers" not in out and "\033[1m" not in out


def test_no_progress_when_stderr_is_not_a_terminal():
    run = run_tool("--duration", "1", RACY, cwd=ROOT, env=tool_env(CI=""))
    assert "collections in workers" not in run.stderr and "\r" not in run.stderr


def test_junit_race(tmp_path):
    junit = tmp_path / "r.xml"
    run = run_tool("--duration", "1", "--junit", junit, RACY, cwd=ROOT)
    subprocess.run(["xmllint", "--noout", str(junit)], check=True)
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == len(run.report["findings"]) == int(suite.get("failures")) > 0
    # (A group whose objects died before they were named says "(unresolved)".)
    f = next(c for c in failures if "QGraphicsTextItem" in c.get("name"))
    assert "qgc-stress-" in f.get("name")
    assert f.get("line") == "14" and f.get("file").endswith("graphics_item_cycle.py")
    assert "creation stack" in f.find("failure").text
    assert [c for c in cases if c.get("name") == "run" and len(c) == 0]


def test_junit_clean_has_one_passing_case(tmp_path):
    junit = tmp_path / "r.xml"
    run_tool("--duration", "1", "--junit", junit, TESTCASES / "idle_app.py")
    root = ET.parse(junit).getroot()
    cases = root.iter("testcase")
    assert [len(c) for c in cases] == [0] and root.get("failures") == "0"


def test_junit_crash_is_an_error(tmp_path):
    junit = tmp_path / "r.xml"
    run_tool("--junit", junit, TESTCASES / "abort_in_app.py")
    subprocess.run(["xmllint", "--noout", str(junit)], check=True)
    err = ET.parse(junit).getroot().find("testsuite/testcase/error")
    assert err is not None and err.get("type") == "crash" and "SIGABRT" in err.get("message")


def test_sarif_structure(tmp_path):
    sarif = tmp_path / "r.sarif"
    run = run_tool("--duration", "1", "--sarif", sarif, RACY, cwd=ROOT)
    doc = json.loads(sarif.read_text())
    assert doc["version"] == "2.1.0" and "$schema" in doc
    (r,) = doc["runs"]
    rules = r["tool"]["driver"]["rules"]
    assert {x["id"] for x in rules} == {"off-thread-finalization", "thread-warning", "at-risk-cycle"}
    assert all(x["help"]["text"] and x["shortDescription"]["text"] for x in rules)
    assert len(r["results"]) == len(run.report["findings"]) > 0
    res = r["results"][0]
    assert res["ruleId"] == "off-thread-finalization" and rules[res["ruleIndex"]]["id"] == res["ruleId"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == RACY  # relative to the working directory
    assert loc["region"]["startLine"] == 14
    assert res["relatedLocations"] and all("physicalLocation" in x for x in res["relatedLocations"])
    assert r["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{ROOT}/"


def test_all_reports_in_one_run_and_atomic_replacement(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old report")
    link = tmp_path / "link.xml"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link.symlink_to(victim)
    run_tool("--duration", "0.5", "--junit", link, "--sarif", tmp_path / "r.sarif",
             TESTCASES / "idle_app.py", json_report=False)
    p = subprocess.run([QGC_CHECK, "--duration", "0.5", "--json", str(target),
                        str(TESTCASES / "idle_app.py")], capture_output=True, timeout=60,
                       env=tool_env())
    assert json.loads(target.read_text())["verdict"] == "clean"
    assert victim.read_text() == "keep me" and not link.is_symlink()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["link.xml", "r.json", "r.sarif", "victim.txt"]


def test_invalid_utf8_in_stderr_keeps_the_json_report(tmp_path):
    app = tmp_path / "app.py"
    # One invalid byte, and a two-byte character cut by the tail's 4096-byte start.
    app.write_text("import sys\nfrom PyQt6.QtCore import QCoreApplication, QObject\n"
                   "app = QCoreApplication(sys.argv)\nobj = QObject()\n"
                   "sys.stderr.flush()\n"
                   "sys.stderr.buffer.write(b'a' + 'é'.encode() * 3000 + b'\\n' + b'bad \\xff byte\\n')\n"
                   "sys.stderr.flush()\n")
    run = run_tool("--threads", "0", "--duration", "0.5", app)
    assert run.returncode == 0 and run.report is not None and run.report["verdict"] == "clean"
    assert "bad \ufffd byte" in run.report["stderr_tail"]
    from conftest import validate_schema
    validate_schema(run.report)


def test_reports_agree_with_a_clean_verdict(tmp_path):
    """Observe only: at-risk cycles are warnings in every report."""
    junit, sarif = tmp_path / "r.xml", tmp_path / "r.sarif"
    run = run_tool("--threads", "0", "--duration", "1", "--junit", junit, "--sarif", sarif, RACY, cwd=ROOT)
    assert run.returncode == 0 and run.report["findings"]
    assert {f["role"] for f in run.report["findings"]} == {"warning"}
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert results and all(r["level"] == "warning" and r["ruleId"] == "at-risk-cycle" for r in results)
    assert not any("(none)" in r["message"]["text"] for r in results)
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "0" and not list(root.iter("failure"))
    assert "--threads 0: no stress" in run.stderr


def report_lines(stderr):
    """The text report's own lines: from the verdict line on (the app's own output,
    e.g. Qt's warnings, comes before it)."""
    lines = stderr.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("qgc-check: "))
    return lines[start:]


SITES_APP = """\
import sys, threading, traceback
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, delete

app = QApplication(sys.argv)
N = int(sys.argv[1])
made = {}  # the program's own count of objects per creation stack


def entry(site):
    item = QGraphicsRectItem(0, 0, 20, 10)
    QGraphicsTextItem("x", item)  # a QObject: dies with its item
    stack = tuple((f.filename, f.lineno) for f in traceback.extract_stack())
    made[stack] = made.get(stack, 0) + 1
    return item


# N functions at N lines of a generated file: N creation sites of one kind.
src = "".join(f"def make_{i}():\\n    return entry({i})\\n" for i in range(N))
ns = {"entry": entry}
exec(compile(src, "generated.py", "exec"), ns)
objs = [ns[f"make_{i}"]() for i in range(N)]
objs += [ns["make_0"]() for _ in range(5)]  # the most frequent site: 5 objects
with open(sys.argv[2], "w") as out:
    out.write(f"{len(made)} {sum(made.values())} {max(made.values())}\\n")


def drop():
    for item in objs:
        delete(item)  # the C++ item and its text item die here, in the dropper thread


t = threading.Thread(target=drop, name="dropper")
t.start()
t.join()
"""


def write_app(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    shutil.copy(TESTCASES / "_qt.py", path.parent / "_qt.py")
    return path


def test_thousands_of_sites_fit_a_screen(tmp_path):
    """2,000 creation sites of one kind (one class, the same threads and cause): one
    heading, the most frequent site first, the rest counted; under 100 lines. JSON
    keeps every group, -v prints every one."""
    app = write_app(tmp_path, "sites.py", SITES_APP)
    truth = tmp_path / "truth.txt"
    junit, sarif = tmp_path / "r.xml", tmp_path / "r.sarif"
    run = run_tool("--threads", "0", "--duration", "0", "--junit", junit, "--sarif", sarif, app, "2000", truth,
                   timeout=300)
    sites, objects, first = map(int, truth.read_text().split())
    assert (sites, objects, first) == (2001, 2005, 5)
    findings = run.report["findings"]
    assert len(findings) == sites and sum(f["count"] for f in findings) == objects
    # The machine formats keep one entry per group.
    failures = ET.parse(junit).getroot().findall("testsuite/testcase/failure")
    assert len(failures) == sites
    assert len(json.loads(sarif.read_text())["runs"][0]["results"]) == sites
    lines = report_lines(run.stderr)
    assert len(lines) <= 100, "\n".join(lines)
    titles = {f["title"] for f in findings}
    assert len(titles) == 1
    title = titles.pop()
    assert sum(1 for l in lines if l.startswith(title)) == 1  # one heading
    head = lines.index(next(l for l in lines if l.startswith(title)))
    assert "(x5)" in lines[head]  # the most frequent site first

    also = [l for l in lines if l.startswith("  also ")]
    assert all("(x1)" in l for l in also) and len(also) >= 5
    (more,) = [l for l in lines if l.startswith("  ... and ")]
    shown = 1 + len(also)
    assert more.startswith(f"  ... and {sites - shown:,} more sites ({objects - 5 - len(also):,} findings)")
    verbose = run_tool("-v", "--threads", "0", "--duration", "0", app, "2000", truth, timeout=300,
                       json_report=False)
    assert sum(1 for l in verbose.stderr.splitlines() if l.startswith(title)) == sites


def test_many_kinds_fit_a_screen(tmp_path):
    """300 headings (one dropper thread each): the report still fits, and says how
    many groups it left out."""
    app = write_app(tmp_path, "kinds.py", """\
import sys, threading
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, delete
app = QApplication(sys.argv)
for i in range(300):
    item = QGraphicsRectItem(0, 0, 20, 10)
    QGraphicsTextItem("x", item)
    t = threading.Thread(target=delete, args=(item,), name=f"dropper-{i}")
    t.start()
    t.join()
""")
    run = run_tool("--threads", "0", "--duration", "0", app, timeout=300)
    assert len(run.report["findings"]) == 300
    lines = report_lines(run.stderr)
    assert len(lines) <= 100, "\n".join(lines)
    shown = sum(1 for l in lines if " owned by MainThread, destroyed in dropper-" in l)
    (more,) = [l for l in lines if l.startswith("... and ")]
    assert more.startswith(f"... and {300 - shown} more groups (")


NAMES_APP = """\
import sys, threading
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer, delete

app = QApplication(sys.argv)


def entry(name):
    item = QGraphicsRectItem(0, 0, 20, 10)
    QGraphicsTextItem("x", item).setObjectName(name)  # a QObject: dies with its item
    return item


def varied(i):
    return entry(f"probe-{i}")


def shared(i):
    return entry("same")


objs = [varied(i) for i in range(5)] + [shared(i) for i in range(5)]
timer = QTimer()
timer.start(1000)


def drop():
    for item in objs:
        delete(item)  # the C++ item and its text item die here, in this thread
    timer.stop()  # Qt warns: a timer stopped from another thread


t = threading.Thread(target=drop, name=THREAD)
t.start()
t.join()
"""

THREAD = 'wörker\\n"quoted"\\x1b[31m'


def test_names_and_paths_are_data(tmp_path):
    """A thread name with a newline, quotes and an escape sequence, a script in a
    directory with a space and non-ASCII letters, an argument with a quote: the text
    report escapes the names, prints the replay command so that a shell reads back
    the same words, and JSON keeps the names exactly."""
    thread = 'wörker\n"quoted"\x1b[31m'
    write_app(tmp_path, "dir/ré gress.py", NAMES_APP.replace("THREAD", repr(thread)))
    args = ["--duration", "0", "dir/ré gress.py", "it's here", "$HOME"]
    run = run_tool(*args, cwd=tmp_path, timeout=180)
    from conftest import validate_schema
    validate_schema(run.report)
    assert {f["finalizing_thread"] for f in run.report["findings"]} == {thread}
    lines = report_lines(run.stderr)
    assert not any("\x1b" in l for l in lines), lines
    escaped = '"wörker\\n\\"quoted\\"\\x1b[31m"'
    assert any(l.startswith(f"thread-warning: Qt warned \"QObject::killTimer: Timers cannot be stopped from "
                            f"another thread\" in {escaped} ") for l in lines), lines
    assert any(f"destroyed in {escaped} (refcount)" in l for l in lines), lines
    seed = run.report["seed"]
    (replay,) = [l for l in lines if l.startswith(f"seed {seed}; replay the stress pattern")]
    command = replay.split(": ", 1)[1]
    words = ["qgc-check", "--seed", str(seed), "--duration", "0", "dir/ré gress.py", "it's here", "$HOME"]
    import shlex
    assert shlex.split(command) == words
    echo = subprocess.run(["sh", "-c", "set -- " + command + "; printf '%s\\0' \"$@\""], capture_output=True,
                          check=True)
    assert echo.stdout.decode().split("\0")[:-1] == words


def test_object_name_shown_as_an_example_when_names_vary(tmp_path):
    """Five objects named probe-0..probe-4 at one site, five named 'same' at another:
    the first group's name is an example, the second's is the group's."""
    app = write_app(tmp_path, "names.py", NAMES_APP.replace("THREAD", repr("dropper")))
    run = run_tool("--threads", "0", "--duration", "0", app)
    by_name = {f["object_name"]: f for f in run.report["findings"] if f["kind"] == "off-thread-finalization"}
    assert by_name["same"]["object_names_vary"] is False and by_name["same"]["count"] == 5
    (varied,) = [f for f in run.report["findings"] if f["object_name"].startswith("probe-")]
    assert varied["object_names_vary"] is True and varied["count"] == 5
    verbose = run_tool("-v", "--threads", "0", "--duration", "0", app, json_report=False)
    titles = [l for l in verbose.stderr.splitlines() if " owned by MainThread, destroyed in dropper" in l]
    assert any(" 'same' (x5)" in l and "e.g." not in l for l in titles), titles
    assert any(f" e.g. '{varied['object_name']}' (x5)" in l for l in titles), titles
    assert "e.g. 'probe-" in run.stderr  # in the heading or its line


def test_observe_only_offers_no_seed(tmp_path):
    """--threads 0 has no stress: no seed to replay, but the command to run it again."""
    app = write_app(tmp_path, "names.py", NAMES_APP.replace("THREAD", repr("dropper")))
    run = run_tool("--threads", "0", "--duration", "0", app)
    assert "--seed" not in run.stderr and "replay the stress" not in run.stderr
    assert f"run it again: qgc-check --threads 0 --duration 0 {app}" in run.stderr


def test_thread_warning_reads_as_a_warning(tmp_path):
    """A timer stopped from a plain thread: Qt's warning, in which thread; nothing was
    finalized, so no cause in parentheses and no "finalized at"."""
    app = write_app(tmp_path, "names.py", NAMES_APP.replace("THREAD", repr("dropper")))
    run = run_tool("--threads", "0", "--duration", "0", app)
    (w,) = [f for f in run.report["findings"] if f["kind"] == "thread-warning"]
    line = next(i for i, l in enumerate(NAMES_APP.splitlines(), 1) if "timer.stop()" in l)
    assert w["finalizing_thread"] == "dropper" and w["finalization_stack"][0]["line"] == line
    lines = report_lines(run.stderr)
    at = next(i for i, l in enumerate(lines) if l.startswith("thread-warning: "))
    assert lines[at].startswith('thread-warning: Qt warned "QObject::killTimer: Timers cannot be stopped from '
                                'another thread" in dropper (x1)'), lines[at]
    block = []
    for l in lines[at + 1:]:
        if not l.startswith("  "):
            break
        block.append(l)
    assert "(refcount)" not in lines[at] and not any("finalized" in l for l in block), block
    assert block[0].startswith("  warned at ") and block[0].endswith(f"names.py:{line}: in drop"), block


def test_at_risk_objects_off_any_cycle_share_a_heading(tmp_path):
    """Graphics items held by a cycle but on none themselves, made at 60 sites: one
    heading, whose title says so in words (the runner's "QGraphicsRectItem -> ..." path
    says nothing), the rest counted."""
    app = write_app(tmp_path, "held.py", """\
import gc, sys
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer

app = QApplication(sys.argv)


class Holder:
    def __init__(self, item):
        self.me = self  # the cycle
        self.item = item  # held by it, on no cycle itself


def entry():
    item = QGraphicsRectItem(0, 0, 20, 10)
    QGraphicsTextItem("x", item)
    return item


src = "".join(f"def make_{i}():\\n    return entry()\\n" for i in range(60))
ns = {"entry": entry}
exec(compile(src, "generated.py", "exec"), ns)
for i in range(60):
    Holder(ns[f"make_{i}"]())
QTimer.singleShot(300, app.quit)
app.exec()
""")
    run = run_tool("--threads", "0", "--duration", "0", app)
    risky = [f for f in run.report["findings"] if f["kind"] == "at-risk-cycle"]
    assert len(risky) == 60 and all(f["message"] == "QGraphicsRectItem -> ..." for f in risky), risky[:1]
    lines = report_lines(run.stderr)
    heads = [l for l in lines if l.startswith("warning: at-risk-cycle: ")]
    assert len(heads) == 1 and "-> ..." not in heads[0] and "on no reference cycle itself" in heads[0], heads
    also = [l for l in lines if l.startswith("  also ")]
    (more,) = [l for l in lines if l.startswith("  ... and ")]
    assert more.startswith(f"  ... and {60 - 1 - len(also)} more sites")


def test_repeat_prints_the_command_that_reproduces_the_run(tmp_path):
    """--repeat's last line gives the whole command, quoted for a shell, like the replay
    line of the report."""
    import shlex
    write_app(tmp_path, "dir/ré gress.py", NAMES_APP.replace("THREAD", repr("dropper")))
    run = run_tool("--repeat", "2", "--duration", "0", "dir/ré gress.py", "it's", cwd=tmp_path, timeout=180)
    seed = run.report["seed"]
    (line,) = [l for l in run.stderr.splitlines() if "reproduce it with --seed" in l]
    command = line.split(f"reproduce it with --seed {seed}: ", 1)[1]
    assert shlex.split(command) == ["qgc-check", "--seed", str(seed), "--duration", "0", "dir/ré gress.py", "it's"]


PARAMETRIZED = """\
import threading

import pytest
from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, delete

app = QApplication.instance() or QApplication([])


def make():
    item = QGraphicsRectItem(0, 0, 20, 10)
    QGraphicsTextItem("x", item)
    return item


@pytest.mark.parametrize("n", [1, 2, 3])
def test_drop(n):
    item = make()  # the same line in every test: the stacks differ only past pytest's frames
    t = threading.Thread(target=delete, args=(item,), name="dropper")
    t.start()
    t.join()
"""


def test_parametrized_groups_say_how_they_differ(tmp_path):
    """One test, three parameters, objects made on one line: pytest's frames are deeper than
    the 16 the capture keeps, so the three groups' creation stacks are the same as
    captured. Each says so, and that the test it died in differs; none claims its stack
    ends there."""
    (tmp_path / "test_p.py").write_text(PARAMETRIZED)
    shutil.copy(TESTCASES / "_qt.py", tmp_path)
    run = run_tool("--threads", "0", "-v", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_p.py",
                   cwd=tmp_path, timeout=300)
    found = [f for f in run.report["findings"] if f["finalizing_thread"] == "dropper"]
    assert sorted(f["test"] for f in found) == [f"test_p.py::test_drop[{n}]" for n in (1, 2, 3)], run.stderr[-3000:]
    assert all(len(f["creation_stack"]) == 16 for f in found)
    assert "ends there" not in run.stderr
    for f in found:
        assert f["differs_at"] is None and "cut at 16 frames" in f["differs"] and f["test"] in f["differs"]
        assert f["name"].endswith(f"died during test {f['test']})")
    assert run.stderr.count("creation stack cut at 16 frames (the capture's limit)") == 3
    # Without -v, one heading: the first group in full, the others by their test.
    short = run_tool("--threads", "0", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_p.py", cwd=tmp_path,
                     timeout=300, json_report=False)
    also = sorted(l for l in short.stderr.splitlines() if l.startswith("  also "))
    assert len(also) == 2 and all(l.startswith("  also died during test test_p.py::test_drop[") for l in also), also
