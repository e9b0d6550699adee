# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^model: 5 entries after the removal: beta.txt delta.txt epsilon.txt gamma.txt sub$
# QFileSystemModel on a temporary directory: Qt's own file-info gatherer thread reads the
# directory and a file system watcher follows a file created and one removed while the app
# runs. Native Qt threads, no Python in them. Correct code: it must run to its end unchanged.
import os
import shutil
import sys
import tempfile

from _qt import QApplication, QFileSystemModel, QTimer

root = tempfile.mkdtemp(prefix="qgc-fsmodel-")
for name in ("alpha.txt", "beta.txt", "gamma.txt", "delta.txt"):
    with open(os.path.join(root, name), "w") as f:
        f.write(name)
os.mkdir(os.path.join(root, "sub"))

app = QApplication(sys.argv)
model = QFileSystemModel()
model.setRootPath(root)
index = model.index(root)
step = "loading"
waited = 0


def names():
    return sorted(model.fileName(model.index(r, 0, index)) for r in range(model.rowCount(index)))


def poll():
    global step, waited
    waited += 1
    if step == "loading" and model.rowCount(index) == 5:
        print(f"model: {len(names())} entries: {' '.join(names())}")
        with open(os.path.join(root, "epsilon.txt"), "w") as f:
            f.write("new")
        step = "watching"
    elif step == "watching" and model.rowCount(index) == 6:
        print(f"model: {len(names())} entries after the new file")
        os.remove(os.path.join(root, "alpha.txt"))
        step = "removing"
    elif step == "removing" and model.rowCount(index) == 5:
        print(f"model: {len(names())} entries after the removal: {' '.join(names())}")
        step = "done"
        timer.stop()
        QTimer.singleShot(500, app.quit)  # the model and its threads idle a while
    elif waited > 400:  # 4 s
        print(f"model: gave up at {step} with {names()}")
        timer.stop()
        app.quit()


timer = QTimer()
timer.timeout.connect(poll)
timer.start(10)
app.exec()
del model
shutil.rmtree(root)
print("temporary directory removed")
