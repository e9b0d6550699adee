# SPDX-License-Identifier: MIT
# The runner's Python side: runs the script exactly as `python3 SCRIPT ARGS`
# would, notices when a Qt binding loads its QtCore, and runs an event loop
# after a script body that never ran one. Executed once, in the main thread.
import builtins
import importlib
import importlib.machinery
import os
import sys
import traceback

import _qgc

_QTCORE = ("PyQt6.QtCore", "PySide6.QtCore", "PyQt5.QtCore", "PySide2.QtCore")


class _QtCoreLoader:
    """Wraps the binding's QtCore loader: the probe is loaded right after
    QtCore is in memory, so it binds to the very Qt the binding uses."""

    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _qgc.binding_loaded(self._name)
        _keep_messages(module)
        _watch_event_filters(module, self._name.split(".")[0])

    def __getattr__(self, name):
        return getattr(self._loader, name)


def _keep_messages(qtcore):
    """A message handler the app installs replaces the probe's: take it back
    at once (the probe passes every message on to the app's), so that no
    Qt warning is missed between the app's call and the probe's next tick."""
    install = getattr(qtcore, "qInstallMessageHandler", None)
    if install is None:
        return

    def qInstallMessageHandler(handler):
        previous = install(handler)
        _qgc.retake_messages()
        return previous

    qtcore.qInstallMessageHandler = qInstallMessageHandler


def _watch_event_filters(qtcore, binding):
    """Which objects the app installs as event filters, and on what: a
    filter destroyed off its thread while the object it filters lives is a
    hazard (that object calls it from its own thread)."""
    qobject = getattr(qtcore, "QObject", None)
    if qobject is None or binding not in ("PyQt6", "PySide6"):
        return
    install, remove = qobject.installEventFilter, qobject.removeEventFilter

    def address(obj):
        if binding == "PyQt6":
            from PyQt6 import sip as helper
        else:
            import shiboken6 as helper
        return _address(obj, binding, helper)

    def installEventFilter(self, filter):
        result = install(self, filter)
        _qgc.event_filter(address(self), address(filter), True)
        return result

    def removeEventFilter(self, filter):
        result = remove(self, filter)
        _qgc.event_filter(address(self), address(filter), False)
        return result

    qobject.installEventFilter = installEventFilter
    qobject.removeEventFilter = removeEventFilter


class _QtCoreWatcher:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in _QTCORE:
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None:
            spec.loader = _QtCoreLoader(spec.loader, name)
        return spec


# The status of a script ended by an uncaught KeyboardInterrupt: python3 then
# dies of SIGINT itself, and so does the runner once the interpreter is done.
INTERRUPTED = -2


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _name_threads():
    """Every Python thread records its name when it starts (in itself)."""
    import threading
    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        _qgc.thread_started(self.name)
        original(self)

    threading.Thread._bootstrap_inner = _bootstrap_inner


def _watch_current_test():
    """pytest names the running test in os.environ (through os.putenv):
    pass each new value on, so that findings name the test without reading
    the environment from other threads."""
    import os
    putenv, unsetenv = os.putenv, os.unsetenv
    key = "PYTEST_CURRENT_TEST"

    def _putenv(name, value):
        putenv(name, value)
        if os.fsdecode(name) == key:
            _qgc.set_current_test(os.fsdecode(value))
        elif os.fsdecode(name) == "PYTEST_XDIST_WORKER":
            _qgc.set_worker(os.fsdecode(value))

    def _unsetenv(name):
        unsetenv(name)
        if os.fsdecode(name) == key:
            _qgc.set_current_test(None)

    os.putenv, os.unsetenv = _putenv, _unsetenv


def _watch_processes():
    """A process forked before Qt was loaded is checked on its own
    (_qgc.forked); os._exit() leaves its status for the report."""
    os.register_at_fork(after_in_child=_qgc.forked)
    original = os._exit

    def _exit(n):
        _qgc.record_exit(n)
        original(n)

    os._exit = _exit


def _prepare():
    sys.meta_path.insert(0, _QtCoreWatcher)
    _name_threads()
    _watch_current_test()
    _watch_processes()


def run_script(path):
    """Returns (outcome, status) with outcome one of the _qgc.OUTCOME_*."""
    _prepare()
    abspath = os.path.abspath(path)
    sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
    main = sys.modules["__main__"]
    d = main.__dict__
    d.update(__file__=abspath, __cached__=None, __builtins__=builtins,
             __loader__=importlib.machinery.SourceFileLoader("__main__", abspath))
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        print(f"qgc-check: cannot read the script '{path}': {e.strerror}; "
              "check the path and its permissions", file=sys.stderr)
        return _qgc.OUTCOME_CANNOT_RUN, 2
    try:
        code = compile(source, abspath, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        traceback.print_exception(type(e), e, None)
        return _qgc.OUTCOME_CANNOT_RUN, 1
    _qgc.set_phase(_qgc.PHASE_SCRIPT)
    try:
        exec(code, d)
    except SystemExit as e:
        return _qgc.OUTCOME_EXIT, _exit_status(e.code)
    except BaseException as e:
        # As Python prints it: without this frame.
        sys.excepthook(type(e), e, e.__traceback__.tb_next)
        if isinstance(e, KeyboardInterrupt):
            return _qgc.OUTCOME_EXCEPTION, INTERRUPTED
        if isinstance(e, ModuleNotFoundError) and (e.name or "").split(".")[0] in (
                "PyQt6", "PySide6", "shiboken6"):
            _qgc.set_error(f"the script cannot import {e.name} with {sys.executable}: install "
                           "python3-pyqt6, or activate the venv that has PyQt6 or PySide6")
        return _qgc.OUTCOME_EXCEPTION, 1
    return _qgc.OUTCOME_RETURNED, 0


def run_module(name):
    """As `python3 -m NAME ARGS`: sys.argv[0] the module's path, __main__,
    sys.path[0] the working directory."""
    import runpy
    _prepare()
    sys.path.insert(0, os.getcwd())
    _qgc.set_phase(_qgc.PHASE_SCRIPT)
    try:
        runpy._run_module_as_main(name, alter_argv=True)
    except SystemExit as e:
        return _qgc.OUTCOME_EXIT, _exit_status(e.code)
    except BaseException as e:
        sys.excepthook(type(e), e, e.__traceback__.tb_next)
        return _qgc.OUTCOME_EXCEPTION, INTERRUPTED if isinstance(e, KeyboardInterrupt) else 1
    return _qgc.OUTCOME_RETURNED, 0


def _run_body(body):
    """Runs body() as python runs __main__: (outcome, status)."""
    _qgc.set_phase(_qgc.PHASE_SCRIPT)
    try:
        body()
    except SystemExit as e:
        return _qgc.OUTCOME_EXIT, _exit_status(e.code)
    except BaseException as e:
        tb = e.__traceback__
        for _ in range(2):  # without this frame and the body's
            tb = tb.tb_next if tb.tb_next is not None else tb
        # The hook prints the exception's own traceback, not its argument.
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        return _qgc.OUTCOME_EXCEPTION, INTERRUPTED if isinstance(e, KeyboardInterrupt) else 1
    return _qgc.OUTCOME_RETURNED, 0


def _safe_path():
    """Whether python was told not to put a directory first on sys.path
    (-P from CPython 3.11 on; -I on every version)."""
    return getattr(sys.flags, "safe_path", False) or bool(sys.flags.isolated)


def run_child(command, module, filename):
    """A Python child of the run (its command line parsed by CPython): -c
    COMMAND, -m MODULE, a file, or standard input, as python runs them,
    sys.path[0] included unless -P or -I said otherwise."""
    _prepare()
    test = os.environ.get("PYTEST_CURRENT_TEST")
    if test:
        _qgc.set_current_test(test)  # the test that started this process
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        _qgc.set_worker(worker)
    if module is not None:
        import runpy
        if not _safe_path():
            sys.path.insert(0, os.getcwd())
        return _run_body(lambda: runpy._run_module_as_main(module, alter_argv=True))
    d = sys.modules["__main__"].__dict__
    d["__builtins__"] = builtins
    if command is not None:
        if not _safe_path():
            sys.path.insert(0, "")
        code = compile(command, "<string>", "exec")
        return _run_body(lambda: exec(code, d))
    if filename is None:
        source, name = sys.stdin.read(), "<stdin>"
    else:
        if not _safe_path():
            sys.path.insert(0, os.path.dirname(os.path.realpath(filename)))
        try:
            with open(filename, "rb") as f:
                source = f.read()
        except OSError as e:
            print(f"{sys.executable}: can't open file {filename!r}: [Errno {e.errno}] {e.strerror}",
                  file=sys.stderr)
            return _qgc.OUTCOME_CANNOT_RUN, 2
        name = os.path.abspath(filename)
        d.update(__file__=name, __cached__=None,
                 __loader__=importlib.machinery.SourceFileLoader("__main__", name))
    try:
        code = compile(source, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        traceback.print_exception(type(e), e, None)
        return _qgc.OUTCOME_CANNOT_RUN, 1
    return _run_body(lambda: exec(code, d))


def tool_loop():
    """The script built its objects and returned without an event loop:
    run one for the rest of the duration, through the script's binding."""
    binding = _qgc.binding()
    qtcore = sys.modules[binding + ".QtCore"]
    app = qtcore.QCoreApplication.instance()
    if app is None:
        for module, cls in (("QtWidgets", "QApplication"), ("QtGui", "QGuiApplication"),
                            ("QtCore", "QCoreApplication")):
            try:
                app = getattr(importlib.import_module(binding + "." + module), cls)(sys.argv[:1])
                break
            except ImportError:
                continue
    _qgc.set_phase(_qgc.PHASE_TOOL_LOOP)
    return app.exec()


# --- at-risk cycles -------------------------------------------------------
# With --threads 0 or --strict, every collection is made in the GUI thread by
# the tool, first with gc.DEBUG_SAVEALL so that the unreachable objects can be
# read before they are freed: a cycle holding a Qt wrapper that owns QObjects
# is reported with its reference path even when no worker collected it.

_app_gc_enabled = True


def _virtual_gc():
    """The app keeps seeing gc.enable()/disable()/isenabled() as it set them,
    while the real automatic collection stays off."""
    import gc

    def enable():
        global _app_gc_enabled
        _app_gc_enabled = True

    def disable():
        global _app_gc_enabled
        _app_gc_enabled = False

    gc.enable, gc.disable, gc.isenabled = enable, disable, lambda: _app_gc_enabled
    _qgc.gc_disable()


def _binding_modules():
    binding = _qgc.binding()
    if binding is None:
        return None, None, None
    qtcore = sys.modules.get(binding + ".QtCore")
    if binding == "PyQt6":
        from PyQt6 import sip
        return binding, qtcore, sip
    import shiboken6
    return binding, qtcore, shiboken6


def _qt_class(obj, binding):
    for cls in type(obj).__mro__:
        if (cls.__module__ or "").startswith(binding + "."):
            return cls.__name__
    return type(obj).__name__


def _address(obj, binding, helper):
    """The C++ address of a wrapper, 0 if its C++ object is gone: asking
    shiboken6.getCppPointer for a deleted one crashes."""
    try:
        if binding == "PyQt6":
            return 0 if helper.isdeleted(obj) else helper.unwrapinstance(obj)
        return helper.getCppPointer(obj)[0] if helper.isValid(obj) else 0
    except Exception:
        return 0


def _owned_qobjects(obj, qtcore):
    """QObjects a non-QObject Qt item destroys with itself: its child items."""
    found = []
    children = getattr(obj, "childItems", None)
    if children is None:
        return found
    try:
        stack = list(children())
    except Exception:
        return found
    while stack:
        child = stack.pop()
        if isinstance(child, qtcore.QObject):
            found.append(child)
        try:
            stack.extend(child.childItems())
        except Exception:
            pass
    return found


def _edge(src, dst):
    if isinstance(src, dict):
        for k, v in src.items():
            if v is dst:
                return f"[{k!r}]"
    if isinstance(src, (list, tuple)):
        for i, v in enumerate(src):
            if v is dst:
                return f"[{i}]"
    if getattr(src, "__dict__", None) is dst:
        return ".__dict__"
    if getattr(src, "__self__", None) is dst:
        return ".__self__"
    return ""


def _cycle_path(start, members):
    """Shortest reference path from start back to itself inside members."""
    import gc
    parents = {id(start): None}
    queue = [start]
    while queue:
        obj = queue.pop(0)
        for ref in gc.get_referents(obj):
            if ref is start:
                chain = [obj]
                while parents[id(chain[-1])] is not None:
                    chain.append(parents[id(chain[-1])])
                chain.reverse()
                chain.append(start)
                text = type(chain[0]).__qualname__
                for a, b in zip(chain, chain[1:]):
                    name = type(b).__qualname__
                    if type(b).__name__ == "method":
                        name = "method " + getattr(b, "__name__", "?")
                    text += f"{_edge(a, b)} -> {name}"
                return text
            if id(ref) in members and id(ref) not in parents:
                parents[id(ref)] = obj
                queue.append(ref)
    return type(start).__qualname__ + " -> ..."


# PySide6's typesystem marks QWidget, QWindow and QQuickItem
# delete-in-main-thread: when the wrapper of an instance of one of the
# binding's own classes derived from them (QLabel, QMainWindow, QQuickView's
# window...) is freed in another thread, shiboken queues the C++ delete for
# the main thread (Py_AddPendingCall). A Python subclass (class
# Panel(QWidget)) does not inherit the flag: it dies where its wrapper is
# freed. Measured with 6.5.3, 6.8.3, 6.9.3 and 6.11.0
# (testcases/binding_widget_cycles.py --measure, docs/pyside6-behaviour.md).
_MAIN_THREAD_DELETE = (("QtWidgets", "QWidget"), ("QtGui", "QWindow"), ("QtQuick", "QQuickItem"))


def _deleted_in_main_thread(obj, binding):
    if not (type(obj).__module__ or "").startswith(binding + "."):
        return False  # a Python subclass
    for module, name in _MAIN_THREAD_DELETE:
        cls = getattr(sys.modules.get(f"{binding}.{module}"), name, None)
        if cls is not None and isinstance(obj, cls):
            return True
    return False


def _children(obj, qtcore):
    """The QObjects that die inside obj's destructor: its QObject descendants,
    counted into its warning as the probe counts them into a finding."""
    try:
        return len(obj.findChildren(qtcore.QObject))
    except Exception:
        return 0


def _at_risk_of(obj, binding, qtcore, helper):
    """The QObjects a collection would destroy with obj's wrapper, in the
    collecting thread; None if obj is deferred or not a Qt wrapper."""
    if not isinstance(obj, qtcore.QObject):
        return _owned_qobjects(obj, qtcore)
    # PyQt6 defers a Python-owned QObject (deleteLater): not at risk.
    # PySide6 deletes it in place, unless the binding queues the
    # delete for the main thread (_deleted_in_main_thread).
    if binding == "PyQt6" or _deleted_in_main_thread(obj, binding):
        if binding != "PyQt6" or helper.ispyowned(obj):
            _qgc.count_deferred()
        return None
    # A QObject its C++ parent owns is not deleted with its wrapper at
    # all: it dies in its parent's destructor, counted into the parent's
    # warning (or not at all through this cycle).
    try:
        if obj.parent() is not None:
            return []
    except Exception:
        return []
    return [obj]


def _analyse(garbage):
    binding, qtcore, helper = _binding_modules()
    if qtcore is None:
        return
    wrapper_type = helper.wrapper if binding == "PyQt6" else helper.Object
    members = {id(o) for o in garbage}
    # Items first: a child item a graphics item destroys is warned under
    # the item's cycle, once, even when its own wrapper is garbage too.
    wrappers = [o for o in garbage if isinstance(o, wrapper_type)]
    wrappers.sort(key=lambda o: isinstance(o, qtcore.QObject))
    seen = set()
    for obj in wrappers:
        at_risk = _at_risk_of(obj, binding, qtcore, helper)
        # A wrapper whose C++ object is gone already has nothing left to destroy.
        at_risk = [(q, a) for q in at_risk or () for a in (_address(q, binding, helper),)
                   if a and a not in seen]
        if not at_risk:
            continue
        path = _cycle_path(obj, members)
        for q, address in at_risk:
            seen.add(address)
            # Its own Python subclass, if any (the cycle's members are in the path).
            own = "" if type(q).__module__.startswith(binding + ".") else type(q).__name__
            _qgc.report_at_risk(_qt_class(q, binding), own, path, address, _children(q, qtcore))


def at_risk_tick(force=False):
    """GUI thread: collect as CPython would (per the app's thresholds, if it
    wants automatic collection), reading the garbage first."""
    import gc
    if not _app_gc_enabled:
        return  # the app collects by itself (the known workaround): not at risk
    # The generation CPython itself would collect now (all of them at the end).
    count, threshold = gc.get_count(), gc.get_threshold()
    generation = 2 if force else -1
    while generation < 2 and count[generation + 1] > threshold[generation + 1]:
        generation += 1
    if generation < 0:
        return
    saved = gc.get_debug()
    before = len(gc.garbage)  # the app's own uncollectable objects stay
    gc.set_debug(saved | gc.DEBUG_SAVEALL)
    try:
        _qgc.collect(generation)  # in the app's stead: an automatic one
        garbage = gc.garbage[before:]
        del gc.garbage[before:]
    finally:
        gc.set_debug(saved)
    if not garbage:
        return
    try:
        _analyse(garbage)
    finally:
        # Freed now, in the GUI thread, as the collection would have freed
        # it; not by another collection, which would also free, unread,
        # what other threads left unreachable while this was read.
        _qgc.free(garbage, generation)
