# qgc-check-expect: verdict=race thread=undoer cause=native evidence=live-parent fix_kind=cpp-call
# qgc-check-args: --threads 0 --duration 0 --hang-timeout 10
# qgc-check-stdout: ^undone in the other thread while this one held the GIL; undo steps left: 0$
# One thread holds the GIL while it waits for another thread that is destroying QObjects
# with the GIL released. A Python thread ("undoer") runs a Qt event loop (which releases
# the GIL); a timer there calls QTextDocument::undo() straight from C++, which deletes the
# QTextLists the main thread made (off their thread: the race this reports); the document's
# undoAvailable(false) then kills a child process, straight from C++ too. The main thread
# waits for that child with waitid() called through ctypes.PyDLL, which keeps the GIL.
# Correct code apart from the race: nothing in the undoer needs the GIL. A hook that took
# the GIL to record those deletions (to name the thread or read its stack) waited for the
# main thread, which waited for the hook's thread: a deadlock of the tool's making (the
# build that did so hangs here 3 of 3 under each binding). The lists were made inside
# insertList() and no event loop ran in the main thread before they died: their class may
# be "(unresolved)".
import ctypes
import sys
import threading

from _qt import (QApplication, QEventLoop, QProcess, QTextCursor, QTextDocument, QTextListFormat,
                 QTimer, Qt)

LISTS = 2000
DIRECT = Qt.ConnectionType.DirectConnection
app = QApplication(sys.argv[:1])
libc = ctypes.PyDLL(None)  # a call through PyDLL keeps the GIL while it waits
P_PID, WEXITED, WNOWAIT = 1, 4, 0x01000000


def child():
    process = QProcess()
    process.start("sleep", ["60"])
    assert process.waitForStarted()
    return process


def wait_for(process, keep_gil):
    """Until the process has died (WNOWAIT: QProcess still reaps it)."""
    waitid = (libc if keep_gil else ctypes.CDLL(None)).waitid
    info = ctypes.create_string_buffer(128)  # siginfo_t
    assert waitid(P_PID, process.processId(), info, WEXITED | WNOWAIT) == 0


looping, undone = child(), child()  # killed from the undoer's loop, straight from C++
doc = QTextDocument()  # owned by the main thread
cursor = QTextCursor(doc)
cursor.beginEditBlock()
for _ in range(LISTS):
    cursor.insertList(QTextListFormat.Style.ListDisc)  # Qt makes a QTextList for each
    cursor.insertText("x")
    cursor.insertBlock()
cursor.endEditBlock()
cursor.insertText("y")  # a second edit, undone first: no QTextList dies then
doc.redoAvailable.connect(looping.kill, DIRECT)  # the first undo: the loop runs
doc.undoAvailable.connect(undone.kill, DIRECT)  # the second: the lists are gone


def undoer():
    loop = QEventLoop()
    timer = QTimer()  # its first timeout undoes the small edit, its second the lists
    timer.setInterval(300)  # by the second, the main thread holds the GIL in waitpid()
    timer.timeout.connect(doc.undo, DIRECT)
    doc.undoAvailable.connect(timer.stop, DIRECT)
    doc.undoAvailable.connect(loop.quit, DIRECT)
    timer.start()
    loop.exec()


thread = threading.Thread(target=undoer, name="undoer")
thread.start()
wait_for(looping, keep_gil=False)  # the undoer's loop is running, the GIL released
wait_for(undone, keep_gil=True)  # until the lists are undone, holding the GIL
thread.join()
for process in (looping, undone):
    process.waitForFinished()
print("undone in the other thread while this one held the GIL; undo steps left:",
      doc.availableUndoSteps(), flush=True)
