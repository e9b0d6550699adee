# The header every testcase declares on its first comment lines: its expected outcome
# (`# qgc-check-expect:`, per binding where they differ), extra arguments
# (`# qgc-check-args:`) and the app's stdout (`# qgc-check-stdout:`). A correct program
# says `# qgc-check-compare: python3`: it must come out of qgc-check clean and unchanged,
# compared with a plain python3 run (tests/test_correct_programs.py), fed the standard
# input of `# qgc-check-stdin:` (backslash escapes, e.g. `a\nb\n`). A racy testcase may
# declare the fix its findings get and the testcase that applies it (`fix_kind=K
# fixed_by=F` in its expect line: tests/test_fixes.py runs both). Read by the test suite
# and by the benchmarks in tools/.
import codecs
import re
from pathlib import Path


def parse_header(path, binding="PyQt6"):
    """The testcase's declared expectation for a binding: {'expect': {...}, 'args':
    [...], 'stdout': regex, 'compare': 'python3' or None, 'stdin': text or None}.
    `# qgc-check-expect-PySide6:` overrides the general line where the bindings differ
    (measured, see docs/pyside6-behaviour.md)."""
    expect, args, stdout, compare, stdin = {}, [], None, None, None
    specific = None
    for line in Path(path).read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, body = line[2:].partition(":")
        if key in ("qgc-check-expect", f"qgc-check-expect-{binding}"):
            # key=value pairs; a value runs to the next " key=" (globs may hold spaces)
            parsed = dict(re.findall(r"(\w+)=(.*?)(?=\s+\w+=|\s*$)", body))
            if key == "qgc-check-expect":
                expect = parsed
            else:
                specific = parsed
        elif key == "qgc-check-args":
            args = body.split()
        elif key in ("qgc-check-stdout", f"qgc-check-stdout-{binding}"):
            stdout = body.strip()
        elif key == "qgc-check-compare":
            compare = body.strip()
        elif key == "qgc-check-stdin":
            stdin = codecs.decode(body.strip(), "unicode_escape")
    return {"expect": specific if specific is not None else expect, "args": args, "stdout": stdout,
            "compare": compare, "stdin": stdin}
