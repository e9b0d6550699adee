# SPDX-License-Identifier: MIT
"""The crash report can be trusted: written without the allocator and on every thread's
own alternate stack, never made by a forked child, and a crash or hang of qgc-check
itself is named as such (the classifier's cases: tests/unit/test-dump.c)."""
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from conftest import TESTCASES, parse_header, run_tool, tool_env


def run_case(name, *extra, env=None):
    case = TESTCASES / f"{name}.py"
    return run_tool(*parse_header(case)["args"], *extra, case, timeout=120, env=env)


def thread_sections(stacks):
    return re.findall(r"^@thread .*?(?=^@|\Z)", stacks, re.M | re.S)


def test_crash_inside_malloc_is_a_crash_with_stacks():
    run = run_case("crash_inside_malloc")
    assert run.report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    crash = run.report["crash"]
    assert crash["signal"] == "ABRT" and crash["in_tool"] is False
    crashed = [s for s in thread_sections(crash["stacks"]) if " crashed=yes " in s]
    assert len(crashed) == 1 and " main=yes " in crashed[0], crash["stacks"]
    # The interrupted frame is marked, and free() is among the frames it was called from.
    assert "[signal]" in crashed[0] and re.search(r"\bfree\b|__libc_free", crashed[0]), crashed[0]
    assert "corrupt_and_free" in crash["stacks"]  # the Python stack too
    assert "in qgc-check itself" not in run.stderr


def test_stack_overflow_in_a_python_thread_is_reported_from_that_thread():
    run = run_case("stack_overflow_in_thread")
    assert run.report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    crash = run.report["crash"]
    assert crash["signal"] == "SEGV" and crash["in_tool"] is False
    crashed = [s for s in thread_sections(crash["stacks"]) if " crashed=yes " in s]
    assert len(crashed) == 1 and "python=deep-repr" in crashed[0], crash["stacks"]
    # The recursion's own frames. list_repr is static: a stripped python3
    # (Debian's, which the script runs in) names none of its static
    # functions, only the address, repeated down the recursion.
    repeated = max(Counter(re.findall(r"\?\? in (python3[.\d]*\+0x[0-9a-f]+)", crashed[0])).values(), default=0)
    assert "list_repr" in crashed[0] or crashed[0].count("PyObject_Repr") > 3 or repeated > 3, crashed[0][-2000:]
    # Every other thread answered too.
    assert any(" main=yes " in s for s in thread_sections(crash["stacks"]))


def test_forked_child_records_nothing_in_the_parents_report():
    run = run_case("correct_os_fork")
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-3000:]
    # The parent made 100 QObjects (and Qt a few); the child's 500 are not the run's.
    assert run.report["stats"]["objects_created"] < 500, run.report["stats"]
    assert run.report["crash"] is None and run.report["hang"] is None


def test_forked_children_crashing_are_not_the_runs_crash():
    run = run_case("correct_fork_pool")
    assert run.report["verdict"] == "clean" and run.returncode == 0, run.stderr[-3000:]
    assert run.report["crash"] is None and run.report["script_exit_status"] == 0
    assert "squares: 285, tasks lost: 1, crashed child: SIGSEGV" in run.stdout


# --- the text report of a crash: in words, the crashing thread first, fits a screen ------------

VENVS = Path(os.environ.get("QGC_VENVS", Path(__file__).resolve().parent.parent / "build" / "venvs"))
BINDINGS = ["debian", "PyQt6", "PySide6"]  # Debian's PyQt6, then the wheels' venvs


def binding_env(binding):
    if binding == "debian":
        return tool_env()
    venv = VENVS / binding
    if not (venv / "bin" / "python3").exists():
        pytest.skip(f"no {binding} venv in {VENVS}")
    return tool_env(VIRTUAL_ENV=str(venv), QGC_TEST_BINDING=binding, PATH=f"{venv}/bin:{os.environ['PATH']}")


def assert_binding(run, binding):
    assert run.report["binding"].startswith("PyQt6" if binding == "debian" else binding), run.report["binding"]


# The binding the script imports: the one the environment names.
QT_IMPORT = ("import importlib, os\n"
             "QtCore = importlib.import_module(os.environ.get('QGC_TEST_BINDING', 'PyQt6') + '.QtCore')\n")

NATIVE_FRAME = re.compile(r"^  #(\d+) +0x([0-9a-f]{16}) in (?:\?\? \((\S+)\+0x([0-9a-f]+)\)|(.*) \(\) from (\S+))$")
PY_FRAME = re.compile(r'^  File "(.*)", line (\d+) in (\S+)$')


def crash_text(stderr):
    """The crash part of the text report: from its header to the binding line."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("crash: "))
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("binding ")), len(lines))
    return lines[start:end]


def assert_no_dump_markers(stderr):
    for marker in ("@thread", "@python", "@end", " crashed=yes", " gil=yes"):
        assert marker not in stderr, stderr[-3000:]


def python_frames_of_crashed(section):
    """The Python frame lines printed right after the header (the crashing thread's)."""
    assert section[1].startswith("Python frames of "), section[:3]
    frames = []
    for line in section[2:]:
        if not line.startswith("  File "):
            break
        frames.append(PY_FRAME.match(line).groups())
    return frames


def test_crash_in_a_pytest_test_names_the_test_in_words(tmp_path):
    test_file = tmp_path / "test_crashing.py"
    test_file.write_text("import ctypes\n"
                         "from PyQt6.QtCore import QObject\n\n\n"
                         "def test_fine():\n"
                         "    QObject()\n\n\n"
                         "def test_c_crashes():\n"
                         "    ctypes.string_at(0)  # CRASH\n")
    crash_line = next(i for i, line in enumerate(test_file.read_text().splitlines(), 1) if "# CRASH" in line)
    run = run_tool("--threads", "0", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_crashing.py",
                   cwd=tmp_path, env=tool_env(QT_API="pyqt6"), timeout=300)
    assert run.report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    section = crash_text(run.stderr)
    # pytest's faulthandler raised the signal again: no fault address to tell.
    assert section[0].startswith("crash: SIGSEGV in MainThread ("), section[0]
    assert " in MainThread (" in section[0] and "holds the GIL" in section[0], section[0]
    assert section[0].endswith(", during test test_crashing.py::test_c_crashes"), section[0]
    frames = python_frames_of_crashed(section)
    assert (str(test_file), str(crash_line), "test_c_crashes") in frames, section
    # pytest's faulthandler ran first and raised the signal again: its frames are not the crash's.
    native = [line for line in section if NATIVE_FRAME.match(line)]
    assert native and not any(re.search(r" in (raise|__pthread_kill\w*|pthread_kill) \(\)", line)
                              for line in native), section
    # No QObject died off its thread, and the report says so.
    assert "no QObject was seen destroyed off its thread before the crash" in section
    assert_no_dump_markers(run.stderr)


@pytest.mark.parametrize("binding", BINDINGS)
def test_crash_in_a_worker_thread_names_that_thread_and_prints_it_first(tmp_script, binding):
    script = tmp_script("import ctypes, sys, threading\n" + QT_IMPORT +
                        "app = QtCore.QCoreApplication(sys.argv)\n"
                        "ready = threading.Event()\n\n\n"
                        "def crash_here():\n"
                        "    ready.wait()\n"
                        "    ctypes.string_at(0)  # CRASH\n\n\n"
                        "worker = threading.Thread(target=crash_here, name='crasher')\n"
                        "worker.start()\n"
                        "ready.set()\n"
                        "worker.join()\n")
    crash_line = next(i for i, line in enumerate(script.read_text().splitlines(), 1) if "# CRASH" in line)
    run = run_tool("--threads", "0", script, env=binding_env(binding))
    assert run.report["verdict"] == "crash" and run.returncode == 4, run.stderr[-3000:]
    assert_binding(run, binding)
    section = crash_text(run.stderr)
    assert section[0].startswith("crash: SIGSEGV at address 0x0 (a null pointer) in crasher ("), section[0]
    assert "during test" not in section[0]
    assert section[1] == "Python frames of crasher (most recent call first):", section[:3]
    assert (str(script), str(crash_line), "crash_here") in python_frames_of_crashed(section), section
    # The crashing thread's native frames come next, then the other threads: MainThread, in join().
    native = section.index("native frames of crasher (innermost first):")
    others = next(i for i, line in enumerate(section) if line.startswith("other threads"))
    assert native < others and any(line.startswith("  MainThread (") for line in section[others:]), section
    assert_no_dump_markers(run.stderr)


def library_path(name, program=None):
    """Where the dynamic loader finds a library of the system, by its base name; the
    interpreter program the script ran in (program), by its own."""
    if program and name == os.path.basename(program):
        return os.path.realpath(program)
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"):
        if os.path.isfile(os.path.join(d, name)):
            return os.path.realpath(os.path.join(d, name))
    return None


def symbol_ranges(path):
    """name -> [(start, end)] of the functions of an ELF file, from binutils' nm (its dynamic
    symbols, and the separate debug file of its build id when one is installed)."""
    files = [(path, ["-D"])]
    note = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    build_id = re.search(r"Build ID: ([0-9a-f]+)", note)
    if build_id:
        debug = f"/usr/lib/debug/.build-id/{build_id[1][:2]}/{build_id[1][2:]}.debug"
        if os.path.exists(debug):
            files.append((debug, []))
    # Offsets in a module are from its lowest segment: a program linked at a
    # fixed address (Debian's python3) has its symbols at that address plus
    # the offset.
    segments = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True).stdout
    base = min((int(m, 16) for m in re.findall(r"^\s+LOAD\s+0x[0-9a-f]+ (0x[0-9a-f]+)", segments, re.M)),
               default=0)
    ranges = {}
    for f, flags in files:
        out = subprocess.run(["nm", "-C", "-S", "--defined-only", *flags, f], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            m = re.match(r"([0-9a-f]+) ([0-9a-f]+) [TtWwi] (.*)$", line)
            if m:
                start = int(m[1], 16) - base
                name = re.sub(r"@@?[A-Za-z0-9_.]+$", "", m[3])  # its symbol version
                ranges.setdefault(name, []).append((start, start + int(m[2], 16)))
    return ranges


@pytest.mark.parametrize("binding", BINDINGS)
def test_crash_inside_libc_names_no_neighbour(binding):
    run = run_case("crash_inside_malloc", env=binding_env(binding))
    assert run.report["verdict"] == "crash", run.stderr[-3000:]
    assert_binding(run, binding)
    section = crash_text(run.stderr)
    assert section[0].startswith("crash: SIGABRT in MainThread ("), section[0]
    # The module offset of each frame, from the JSON report's dump (by address).
    offsets = {int(m[1], 16): int(m[2], 16)
               for m in re.finditer(r"^#\d+ 0x([0-9a-f]+) .* in \S+\+0x([0-9a-f]+)(?: \[signal\])?$",
                                    run.report["crash"]["stacks"], re.M)}
    frames = [NATIVE_FRAME.match(line) for line in section if line.startswith("  #")]
    assert frames and all(frames), section
    cache, checked = {}, 0
    for m in frames:
        index, pc, unknown_lib, unknown_off, name, lib = m.groups()
        if name is None:
            assert int(unknown_off, 16) == offsets[int(pc, 16)]
            continue
        path = library_path(lib, run.report["python"]["executable"])
        if not path:
            continue  # the runner itself, a Python extension module
        ranges = cache.setdefault(path, symbol_ranges(path))
        off = offsets[int(pc, 16)]
        # A return address may be one past its call's function (a call to a noreturn one).
        assert any(s <= off < e or s <= off - 1 < e for s, e in ranges.get(name, [])), (name, lib, hex(off))
        checked += 1
    assert checked >= 3, section  # libc's abort, free and more were checked
    assert_no_dump_markers(run.stderr)


@pytest.mark.parametrize("binding", BINDINGS)
def test_crash_among_40_threads_fits_a_screen(tmp_script, binding):
    script = tmp_script("import ctypes, sys, threading\n" + QT_IMPORT +
                        "app = QtCore.QCoreApplication(sys.argv)\n"
                        "stop = threading.Event()\n"
                        "started = threading.Barrier(41)\n\n\n"
                        "def idle():\n"
                        "    started.wait()\n"
                        "    stop.wait()\n\n\n"
                        "threads = [threading.Thread(target=idle, name=f'idle-{i}') for i in range(40)]\n"
                        "for t in threads:\n"
                        "    t.start()\n"
                        "started.wait()\n"
                        "ctypes.string_at(0)\n")
    run = run_tool("--threads", "0", script, env=binding_env(binding))
    assert run.report["verdict"] == "crash", run.stderr[-3000:]
    assert_binding(run, binding)
    # Every thread is in the JSON report's dump.
    assert run.report["crash"]["stacks"].count("@thread ") >= 41
    section = crash_text(run.stderr)
    assert len(section) <= 60, "\n".join(section)
    assert len(run.stderr.splitlines()) <= 80, run.stderr
    assert " in MainThread (" in section[0]
    # The 40 threads wait in idle(), at its barrier or its event (they may not all have left the
    # barrier when the main thread crashes): one line per place, for all the threads there.
    idle_lines = {i for i, line in enumerate(script.read_text().splitlines(), 1)
                  if line.strip() in ("started.wait()", "stop.wait()") and line.startswith("    ")}
    counted = 0
    for line in section:
        m = re.fullmatch(rf'  (?:(\d+) threads \(idle-\d+(?:, idle-\d+)*(?: and \d+ more)?\)|idle-\d+ \(tid \d+\)): '
                         rf'File "{re.escape(str(script))}", line (\d+) in idle', line)
        if m:
            assert int(m[2]) in idle_lines, line
            counted += int(m[1] or 1)
    assert counted == 40, "\n".join(section)
    assert_no_dump_markers(run.stderr)
    # -v prints every thread and frame.
    verbose = run_tool("-v", "--threads", "0", script, env=binding_env(binding))
    names = set(re.findall(r"^thread (idle-\d+) \(", verbose.stderr, re.M))
    assert names == {f"idle-{i}" for i in range(40)}, verbose.stderr[-3000:]


def test_crash_without_stacks_says_why(tmp_script):
    script = tmp_script("import os, signal, sys\n"
                        "from PyQt6.QtCore import QCoreApplication, QTimer\n"
                        "app = QCoreApplication(sys.argv)\n"
                        "QTimer.singleShot(300, lambda: os.kill(os.getpid(), signal.SIGKILL))\n"
                        "app.exec()\n")
    run = run_tool("--threads", "0", script)
    assert run.report["verdict"] == "crash" and run.report["crash"]["stacks"] is None, run.stderr[-3000:]
    section = crash_text(run.stderr)
    assert section[:2] == ["crash: SIGKILL", "(no stacks: a SIGKILL cannot be caught, nothing could record them)"]
