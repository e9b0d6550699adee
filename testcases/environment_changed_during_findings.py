# qgc-check-expect: verdict=clean
# qgc-check-expect-PySide6: verdict=race cause=refcount thread=Thread-1*
# qgc-check-args: --threads 0 --duration 0 --hang-timeout 10
# qgc-check-stdout: ^environment variables set: 12000$
# The app changes its environment (os.environ, as pytest does for PYTEST_CURRENT_TEST at
# every test) while another thread destroys QObjects the main thread made. qgc-check must
# not read the environment while recording those findings: getenv() in a hook read the
# array setenv() was reallocating (SIGSEGV in getenv in 3 of 3 runs under PySide6, which
# destroys them in place with the GIL released). Under PyQt6 the deletions are deferred to
# the main thread, which runs no event loop here: nothing dies off its thread. With no
# event loop and few collections, nobody names the objects before they die: their class
# may be "(unresolved)".
import os
import queue
import sys
import threading

from _qt import QCoreApplication, QObject

app = QCoreApplication(sys.argv[:1])
batches = queue.SimpleQueue()


def dropper():
    while (batch := batches.get()) is not None:
        del batch  # the last references: destroyed here, off their thread


t = threading.Thread(target=dropper)
t.start()
ROUNDS = 12000
for i in range(ROUNDS):
    batches.put([QObject() for _ in range(5)])
    os.environ["QGC_ENV_%d" % i] = "x" * (i % 50)  # setenv grows (reallocates) the environment
batches.put(None)
t.join()
print("environment variables set:", sum(k.startswith("QGC_ENV_") for k in os.environ))
