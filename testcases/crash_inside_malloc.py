# qgc-check-expect: verdict=crash signal=ABRT
# qgc-check-args: --duration 10
# Heap corruption found by the allocator, the usual end of a destruction race: the GUI
# thread frees a block whose neighbour's header was overwritten, and glibc aborts inside
# free() while it holds the arena's lock. The crash report (stacks of every thread) must
# be written without the allocator: a handler that called malloc would wait for that lock
# forever and the crash would come out as a hang without stacks.
import ctypes
import sys

from _qt import QTimer
from _qt import QApplication, QObject

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
SIZE_T = ctypes.sizeof(ctypes.c_size_t)


def corrupt_and_free():
    # A block too large for the per-thread caches, so that free() takes the arena's
    # lock; the block after it stays allocated, so the two are not merged.
    block = libc.malloc(4096)
    libc.malloc(64)
    # The next chunk's header records whether this one is in use (bit 0 of its size
    # field): clear it, as a stray write would, and free() reports a double free.
    size = ctypes.c_size_t.from_address(block - SIZE_T).value & ~7
    next_size = ctypes.c_size_t.from_address(block - SIZE_T + size)
    next_size.value &= ~1
    libc.free(block)


app = QApplication(sys.argv)
objects = [QObject() for _ in range(100)]
QTimer.singleShot(300, corrupt_and_free)
app.exec()
