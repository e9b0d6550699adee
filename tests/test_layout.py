# SPDX-License-Identifier: MIT
"""The source tree keeps the shape the README describes: one folder per
part, each part a library its executable and its unit tests link, one
module per line format, policy in small functions, a license line on
every source file."""
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import QGC_CHECK, ROOT

SRC = ROOT / "src"
BUILD = Path(QGC_CHECK).resolve().parent.parent
SOURCES = sorted(p for p in SRC.rglob("*") if p.suffix in {".c", ".h", ".cpp", ".py"})

# Policy: functions that grow with every feature unless kept small.
POLICY = {"result_build", "report_write_text", "options_parse", "supervisor_run", "verdict_decide"}


def function_lengths():
    """(lines, file, name) of every C and C++ function under src/, from
    universal-ctags' start and end lines."""
    out = subprocess.run(["ctags", "--fields=+ne", "--kinds-c=f", "--kinds-c++=f", "-o", "-", "-R", str(SRC)],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split("\t")
        tags = dict(f.split(":", 1) for f in fields[3:] if ":" in f)
        if "line" in tags and "end" in tags:
            yield int(tags["end"]) - int(tags["line"]) + 1, Path(fields[1]).relative_to(SRC), fields[0]


def test_no_function_over_100_lines_and_policy_within_60():
    lengths = list(function_lengths())
    assert len(lengths) > 200, "ctags found too few functions to judge"
    long = [(n, str(f), name) for n, f, name in lengths if n > 100]
    assert not long, f"functions over 100 lines: {long}"
    policy = [(n, str(f), name) for n, f, name in lengths if name in POLICY and n > 60]
    assert not policy, f"policy functions over 60 lines: {policy}"


def test_each_part_is_a_library_and_nothing_is_compiled_twice():
    targets = json.loads(subprocess.run(["/usr/bin/meson", "introspect", str(BUILD), "--targets"],
                                        check=True, capture_output=True, text=True).stdout)
    by_name = {t["name"]: t for t in targets}
    for lib in ("qgc-common", "qgc-supervisor", "qgc-runner"):
        assert by_name[lib]["type"] == "static library", lib
    for module in ("qgc-probe", "qgc-host", "qgc-follow", "qgc-check-runner"):
        assert by_name[module]["type"] == "shared module", module
    compiled = {}
    for t in targets:
        if t["name"].startswith("fuzz-"):
            continue  # instrumented builds of their own (tests/fuzz/meson.build)
        # The runner's part is built once per interpreter served (-Dpython=
        # a list): against each one's headers, on purpose. Counted once.
        name = re.sub(r"^(qgc-runner|qgc-check-runner)-3\.\d+$", r"\1", t["name"])
        for group in t["target_sources"]:
            for s in group.get("sources", []):
                if s.endswith((".c", ".cpp")):
                    compiled.setdefault(s, set()).add((name, t["name"]))
    twice = {s: sorted(n for n, _ in names) for s, names in compiled.items()
             if len({n for n, _ in names}) > 1}
    assert not twice, f"sources compiled into several targets: {twice}"
    runners = [t["name"] for t in targets if re.match(r"^qgc-check-runner(-3\.\d+)?$", t["name"])]
    assert "qgc-check-runner" in runners
    for exe, main in [("qgc-check", "supervisor/main.c")] + [(r, "runner/main.c") for r in runners]:
        own = [s for g in by_name[exe]["target_sources"] for s in g.get("sources", [])]
        assert own == [str(SRC / main)], f"{exe} compiles {own}: its part's library holds the rest"


# Each line format's markers, and the one module allowed to spell them.
FORMATS = {
    r'"@thread|"@python|"@end|DUMP_THREAD "': "common/dump-format",
    r'": in "|"%s:%d: in |%s:%ld: in ': "common/pyframe",
    r'"%s\\t%s\\n"': "common/native-stack",
}


@pytest.mark.parametrize("pattern", FORMATS)
def test_a_line_format_is_spelled_only_in_its_module(pattern):
    owner = FORMATS[pattern]
    offenders = [str(p.relative_to(SRC)) for p in SOURCES if p.suffix != ".py"
                 and not str(p.relative_to(SRC)).startswith(owner + ".")
                 and re.search(pattern, p.read_text())]
    assert not offenders, f"{owner}'s format spelled in {offenders}"


def readme_tree_files():
    """The files the README's tree names: a line "src/PART/" opens a part;
    under it, a name at an indent of 2 (or 4 under a "dir/" line) is a file
    of it; "x.[ch]" names a module's pair (x.c or x.cpp, and x.h); wider
    indents continue a description."""
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("## How it works"):]
    start = block.index("```") + 3
    block = block[start:block.index("```", start)]
    named, part, sub = set(), None, None
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if line.startswith("src/"):
            part, sub = line.split()[0], None
            continue
        head = re.split(r"\s{2,}", line.strip())[0]
        if part is None or not head or indent not in (2, 4):
            continue
        if indent == 2 and head.endswith("/"):
            sub = head
            continue
        folder = part + (sub if indent == 4 and sub else "")
        for name in head.split(", "):
            if name.endswith(".[ch]"):
                stem = folder + name[:-5]
                named.add(stem + ".h")
                named.add(stem + (".cpp" if (ROOT / (stem + ".cpp")).exists() else ".c"))
            else:
                named.add(folder + name)
    return named


def test_the_readme_tree_names_every_source_file():
    named = readme_tree_files()
    files = {f"src/{p.relative_to(SRC)}" for p in SOURCES}
    assert named - files == set(), f"the README names files that do not exist: {sorted(named - files)}"
    assert files - named == set(), f"the README's tree leaves out: {sorted(files - named)}"


def test_every_source_file_carries_its_license():
    assert (ROOT / "LICENSE").is_file()
    files = list(SOURCES) + [p for p in (ROOT / "tests").rglob("*") if p.suffix in {".c", ".cpp", ".py"}]
    files += [p for p in (ROOT / "tools").rglob("*") if p.is_file() and not p.is_symlink()
              and (p.suffix == ".py" or p.read_bytes()[:2] == b"#!")]
    files += [p for p in ROOT.rglob("meson.build") if "build" not in p.relative_to(ROOT).parts[:1]]
    missing = [str(p.relative_to(ROOT)) for p in files
               if "SPDX-License-Identifier: MIT" not in "".join(p.read_text().splitlines(True)[:3])]
    assert len(files) > 100 and not missing, f"no SPDX line in {missing}"
