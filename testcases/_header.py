# The header every testcase declares on its first comment lines: its expected outcome
# (`# qgc-check-expect:`, per binding where they differ), extra arguments
# (`# qgc-check-args:`) and the app's stdout (`# qgc-check-stdout:`). Read by the test
# suite and by the benchmarks in tools/.
import re
from pathlib import Path


def parse_header(path, binding="PyQt6"):
    """The testcase's declared expectation for a binding: {'expect': {...}, 'args':
    [...], 'stdout': regex}. `# qgc-check-expect-PySide6:` overrides the general
    line where the bindings differ (measured, see docs/pyside6-behaviour.md)."""
    expect, args, stdout = {}, [], None
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
    return {"expect": specific if specific is not None else expect, "args": args, "stdout": stdout}
