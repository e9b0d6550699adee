# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^deleted-later: 48 of 48, helper threads stuck: 0$
# Plain Python helper threads whose only Qt call is deleteLater() on objects the GUI thread
# owns. Qt adopts each thread on that first call (it builds the thread's QAdoptedThread
# while it holds its post-event lock) and the objects die in the GUI thread. Correct code:
# it must run to its end and print the same as under plain python3.
import sys
import threading

from _qt import QApplication, QObject, QTimer

ROUNDS, THREADS, PER_THREAD = 4, 4, 3

app = QApplication(sys.argv)
destroyed = []
kept = []  # the wrappers stay referenced: only deleteLater() deletes these objects
stuck = 0
rounds = 0


def helper(objects):
    for obj in objects:
        obj.deleteLater()


def make_batch():
    batch = []
    for t in range(THREADS):
        objects = []
        for i in range(PER_THREAD):
            obj = QObject()
            name = f"r{rounds}-t{t}-o{i}"
            obj.setObjectName(name)
            obj.destroyed.connect(lambda *_, n=name: destroyed.append(n))
            objects.append(obj)
        kept.extend(objects)
        batch.append(objects)
    return batch


def one_round():
    # The objects were made in the previous tick: the GUI thread has been idle in its
    # event loop since, and this tick makes no Qt object before the helpers are done.
    global rounds, stuck, batch
    helpers = [threading.Thread(target=helper, args=(objects,), daemon=True,
                                name=f"helper-{rounds}-{t}") for t, objects in enumerate(batch)]
    for th in helpers:
        th.start()
    for th in helpers:
        th.join(3)
        stuck += th.is_alive()
    print(f"round {rounds}: {THREADS} helper threads called deleteLater on {THREADS * PER_THREAD} objects")
    rounds += 1
    if rounds < ROUNDS:
        batch = make_batch()
    else:
        timer.stop()
        quit_timer.start(300)


batch = make_batch()
quit_timer = QTimer()
quit_timer.setSingleShot(True)
quit_timer.timeout.connect(app.quit)
timer = QTimer()
timer.timeout.connect(one_round)
timer.start(100)
app.exec()
print(f"deleted-later: {len(set(destroyed))} of {ROUNDS * THREADS * PER_THREAD}, helper threads stuck: {stuck}")
