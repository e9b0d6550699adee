# SPDX-License-Identifier: MIT
"""The creation site is the call that made the object, not a line of its own __init__
chain: testcases/creation_sites.py records where it made each object (its own frames at
the call) and every finding's creation_site must be that line, under Debian's PyQt6 and
the binding venvs (QGC_VENVS; a missing venv is skipped)."""
import json
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, TESTCASES, run_tool, tool_env, validate_schema

VENVS = Path(os.environ.get("QGC_VENVS", ROOT / "build" / "venvs"))


def binding_env(binding):
    if binding == "debian":
        return tool_env()
    venv = VENVS / binding
    if not (venv / "bin" / "python3").exists():
        pytest.skip(f"no {binding} venv in {VENVS}")
    return tool_env(VIRTUAL_ENV=str(venv), QGC_TEST_BINDING=binding.split("-")[0],
                    PATH=f"{venv}/bin:{os.environ['PATH']}")


@pytest.mark.parametrize("binding", ["debian", "PyQt6", "PyQt6-6.7", "PySide6", "PySide6-6.9", "PySide6-6.8",
                                     "PySide6-6.5"])
def test_creation_site_is_the_call_that_made_the_object(binding):
    run = run_tool("--threads", "0", TESTCASES / "creation_sites.py", env=binding_env(binding))
    assert run.report is not None, run.stderr[-3000:]
    validate_schema(run.report)
    line = re.search(r"^creation-sites: (.*)$", run.stdout, re.M)
    assert line, run.stdout[-2000:] + run.stderr[-2000:]
    expected = json.loads(line.group(1))
    seen = {}
    for f in run.report["findings"]:
        if f["object_name"] in expected:
            site = f["creation_site"]
            seen[f["object_name"]] = [site["file"], site["line"], site["function"]] if site else None
    assert seen == expected
    # The text report names the same lines.
    text = run.stdout + run.stderr
    for name, (file, lineno, function) in expected.items():
        assert re.search(rf"created at \S*{Path(file).name}:{lineno}: in {re.escape(function)}\n", text), name


def test_findings_keep_their_strings_after_200000_creation_sites():
    """QObjects made at 200,000 distinct sites under 20,000 test names (far more text than
    the string area holds), then three findings: each keeps its creation site and its test,
    and no string of a finding is dropped."""
    run = run_tool("--threads", "0", "--duration", "600", TESTCASES / "many_creation_sites.py",
                   timeout=900)
    assert run.report is not None, run.stderr[-3000:]
    validate_schema(run.report)
    expected = json.loads(re.search(r"^final-sites: (.*)$", run.stdout, re.M).group(1))
    test = re.search(r"^final-test: (.*)$", run.stdout, re.M).group(1)
    assert run.report["stats"]["objects_created"] >= 200000
    found = {f["object_name"]: f for f in run.report["findings"]}
    assert set(found) == set(expected)
    for name, (file, line, function) in expected.items():
        assert found[name]["creation_site"] == {"file": file, "line": line, "function": function}
        assert found[name]["test"] == test
    assert run.report["stats"]["finding_strings_dropped"] == 0
