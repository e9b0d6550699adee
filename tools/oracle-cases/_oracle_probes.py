# SPDX-License-Identifier: MIT
# The oracle's probes as a module, written by tools/oracle --write-probes.
import concurrent.futures, functools, gc, itertools, json, os, queue, sys, threading, time
BINDING = os.environ.get("QGC_TEST_BINDING", "PyQt6")
if BINDING == "PySide6":
    from PySide6 import QtCore, QtGui, QtWidgets
    from shiboken6 import delete, getCppPointer
    pyqtSlot = QtCore.Slot
    _o_address = lambda obj: getCppPointer(obj)[0]
else:
    from PyQt6 import QtCore, QtGui, QtWidgets
    from PyQt6.sip import delete, unwrapinstance as _o_address
    pyqtSlot = QtCore.pyqtSlot
for _m in (QtCore, QtGui, QtWidgets):
    globals().update({n: getattr(_m, n) for n in dir(_m) if n.startswith("Q") or n == "Qt"})

_o_path = os.environ.get("QGC_ORACLE_OUT")
_o_fd = os.open(_o_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if _o_path else -1
_o_t0 = time.monotonic()
_o_ids = itertools.count(1)
_o_tl = threading.local()
_o_owner = {}      # object number -> owner thread name
_o_kids = {}       # object number -> child numbers
_o_qthreads = {}   # name -> QThread (kept alive)
_o_ending = set()  # threads whose end has begun
_o_watchers = []   # kept alive to the end
_o_stop = threading.Event()
_o_pythreads = []
_o_deleted = []    # wrappers passed to delete() in a thread (sc_dropper), kept
_o_direct = Qt.ConnectionType.DirectConnection
_o_pools = []      # (ThreadPoolExecutor, its threads' names)
_o_thread_seen = set()


def _o_emit(rec):
    if _o_fd >= 0:
        rec["t"] = round(time.monotonic() - _o_t0, 4)
        os.write(_o_fd, (json.dumps(rec) + "\n").encode())


# Names the program gave threads that Qt started (a QThread's), by native
# id: CPython 3.13 drops the dummy Thread object of such a thread whenever
# the binding lets go of its thread state between calls, and the name with it.
_o_native_names = {}


def _o_name_thread(name):
    threading.current_thread().name = name  # the thread's Python name
    _o_native_names[threading.get_native_id()] = name


def _o_thread_name():
    t = threading._active.get(threading.get_ident())  # no dummy thread made here
    if t is not None and not isinstance(t, threading._DummyThread):
        return t.name
    name = _o_native_names.get(threading.get_native_id())
    if name is not None:
        return name
    return t.name if t is not None else None


def _o_thread(name, kind, loop):
    # What kind of thread the program made: whether it runs an event loop
    # (the GUI thread, a QThread's default run()) or never does.
    if name not in _o_thread_seen:
        _o_thread_seen.add(name)
        _o_emit({"e": "thread", "name": name, "kind": kind, "loop": loop})


def _o_gc(phase, info):
    _o_tl.gc = phase == "start"


def _o_collect():
    # The program's own explicit gc.collect(): the collection it starts is
    # known to be explicit, whichever thread calls it.
    _o_tl.explicit = True
    try:
        gc.collect()
    finally:
        _o_tl.explicit = False


gc.callbacks.append(_o_gc)


def _o_destroyed(oid):
    # Runs in the destroying thread (DirectConnection), the object untouched.
    owner = _o_owner.get(oid)
    state = "alive"
    if owner in _o_qthreads:
        try:
            if _o_qthreads[owner].isFinished():
                state = "finished"
            elif owner in _o_ending:
                state = "ending"
        except RuntimeError:  # the QThread itself is gone (interpreter teardown)
            state = "ending"
    elif owner in _o_ending:
        state = "ending"
    collect = None
    if getattr(_o_tl, "gc", False):
        cause = "cyclic-gc"
        collect = "explicit" if getattr(_o_tl, "explicit", False) else "automatic"
    else:
        try:
            sys._getframe(3)  # this, the watcher's slot, and Python code that dropped it
            cause = "refcount"
        except ValueError:
            cause = "native"
    _o_emit({"e": "del", "id": oid, "thread": _o_thread_name(), "cause": cause, "owner_state": state,
             "collect": collect})


class _OWatch(QObject):
    def __init__(self, oid):
        super().__init__()
        self.oid = oid

    @pyqtSlot()
    def fire(self):
        _o_destroyed(self.oid)


def _o_site(f, obj):
    # The call that made obj: the innermost frame outside obj's own
    # __init__ chain (frames of __init__ whose `self` is obj).
    while f is not None and f.f_code.co_name in ("__init__", "__new__") and f.f_code.co_varnames \
            and f.f_locals.get(f.f_code.co_varnames[0]) is obj:
        f = f.f_back
    return (f.f_code.co_filename, f.f_lineno, f.f_code.co_qualname)


def _o_ctor(obj):
    # Called after super().__init__() in a generated __init__, while the
    # chain of obj's own __init__ frames is still on the stack.
    pending = _o_tl.__dict__.setdefault("pending", {})
    pending.setdefault(id(obj), _o_site(sys._getframe(1), obj))
    if "_o_id" not in obj.__dict__:
        obj._o_id = next(_o_ids)  # children made in __init__ name their parent by it


def _o_new(obj):
    pending = _o_tl.__dict__.setdefault("pending", {})
    site = pending.pop(id(obj), None)
    if site is None:
        site = _o_site(sys._getframe(1), obj)
    oid = obj.__dict__.get("_o_id") or next(_o_ids)
    owner = _o_thread_name()
    parent = obj.parent() if isinstance(obj, QObject) else None
    pid = getattr(parent, "_o_id", None) if parent is not None else None
    obj._o_id = oid
    _o_owner[oid] = owner
    if pid is not None:
        _o_kids.setdefault(pid, []).append(oid)
    w = _OWatch(oid)
    if threading.get_ident() != threading.main_thread().ident:
        w.moveToThread(QCoreApplication.instance().thread())
    _o_watchers.append(w)
    obj.destroyed.connect(w.fire, _o_direct)
    # The C++ class is the binding's class nearest in the MRO; the Python class
    # is the program's own subclass, None for an instance of a binding class.
    qt = next(c.__name__ for c in type(obj).__mro__ if c.__module__.startswith(BINDING + "."))
    py = None if type(obj).__module__.startswith(BINDING + ".") else type(obj).__name__
    _o_emit({"e": "new", "id": oid, "qt": qt, "py": py,
             "file": site[0], "line": site[1], "func": site[2], "owner": owner, "parent": pid,
             "address": _o_address(obj)})
    return obj


def _o_moved(obj, name):
    todo = [obj._o_id]
    while todo:
        oid = todo.pop()
        _o_owner[oid] = name
        _o_emit({"e": "move", "id": oid, "owner": name})
        todo.extend(_o_kids.get(oid, ()))


class _ONamer(QObject):
    def __init__(self, name):
        super().__init__()
        self.name = name

    @pyqtSlot()
    def named(self):
        _o_name_thread(self.name)


def _o_qthread(name, cls=None, loop=True):
    th = (cls or QThread)()
    th.setObjectName(name)
    namer = _ONamer(name)
    _o_watchers.append(namer)
    th.started.connect(namer.named, _o_direct)
    _o_qthreads[name] = th
    _o_thread(name, "qthread", loop)
    return th


def _o_quit_threads():
    _o_stop.set()
    for name, th in _o_qthreads.items():
        _o_ending.add(name)
        th.quit()
    for name, th in _o_qthreads.items():
        th.wait(3000)
    for t in _o_pythreads:
        t.join(3)
    for pool, names in _o_pools:
        _o_ending.update(names)
        pool.shutdown(wait=True)


def _o_pool_job(pool_names, make):
    # A job of a ThreadPoolExecutor: its thread runs no event loop.
    name = threading.current_thread().name
    pool_names.add(name)
    _o_thread(name, "pool", False)
    return make()


def _o_calibrate(ticks):
    # With QGC_ORACLE_CALIBRATE set: run each garbage-making tick once and
    # collect its cycles explicitly in a plain thread, to record which of
    # the objects really die in the collecting thread under this binding
    # (the at-risk truth), before the app's own work starts.
    if not os.environ.get("QGC_ORACLE_CALIBRATE"):
        return
    enabled = gc.isenabled()
    gc.disable()
    _o_emit({"e": "calib-start"})
    for tick in ticks:
        tick()
    t = threading.Thread(target=_o_collect, name="oracle-calibrate")
    t.start()
    t.join()
    _o_emit({"e": "calib-end"})
    if enabled:
        gc.enable()


def _o_pythread(name, target):
    def body():
        try:
            target()
        finally:
            _o_ending.add(name)
            _o_emit({"e": "thread-end", "name": name})
    t = threading.Thread(target=body, name=name, daemon=True)
    _o_pythreads.append(t)
    _o_thread(name, "python", False)
    return t


def _o_end():
    _o_emit({"e": "end"})


_o_thread("MainThread", "gui", True)


# Registered first, so run last of the exit handlers: from here on the
# interpreter finalizes and the probes cannot be trusted.
import atexit as _o_atexit
_o_atexit.register(lambda: _o_emit({"e": "exit"}))


__all__ = [n for n in list(globals()) if not n.startswith("__")]  # for the reproducers' import *
