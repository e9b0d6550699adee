# qgc-check-expect: verdict=hang
# qgc-check-args: --duration 30 --hang-timeout 2
# A launcher whose child interpreter hangs: a slot of the child's GUI thread blocks forever.
# The child's own heartbeat stops; the run is a hang naming that child, found within
# --hang-timeout, not at the end of --duration.
import subprocess
import sys
import time

if sys.argv[1:] == ["--child"]:
    from _qt import QApplication, QTimer

    app = QApplication(sys.argv)
    QTimer.singleShot(200, lambda: time.sleep(1000))
    app.exec()
else:
    subprocess.run([sys.executable, __file__, "--child"])
