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

    def __getattr__(self, name):
        return getattr(self._loader, name)


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


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code & 0xFF
    print(code, file=sys.stderr)
    return 1


def run_script(path):
    """Returns (outcome, status) with outcome one of the _qgc.OUTCOME_*."""
    sys.meta_path.insert(0, _QtCoreWatcher)
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
        return _qgc.OUTCOME_EXCEPTION, 1
    return _qgc.OUTCOME_RETURNED, 0


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
