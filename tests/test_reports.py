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
