# qgc-check-expect: verdict=race class=QGraphicsTextItem cause=cyclic-gc thread=qgc-stress-* also=crash
# qgc-check-args: --duration 2
# A launcher that runs its racy part in a child interpreter, as plugin hosts and "restart
# the app" code do: subprocess.run([sys.executable, ...]). The launcher never loads Qt; the
# child builds legend items in reference cycles, and a stress worker of the child collects them.
import subprocess
import sys


def part():
    from _qt import QApplication, QGraphicsRectItem, QGraphicsTextItem, QTimer

    class LegendEntry(QGraphicsRectItem):
        def __init__(self):
            super().__init__(0, 0, 20, 10)
            self.label = QGraphicsTextItem("x", self)
            self.callbacks = [self.refresh]  # bound method on self -> reference cycle

        def refresh(self):
            self.label.setPlainText("y")

    def make_garbage():
        for _ in range(5):
            LegendEntry()

    app = QApplication(sys.argv)
    timer = QTimer()
    timer.timeout.connect(make_garbage)
    timer.start(10)
    QTimer.singleShot(1500, app.quit)
    app.exec()


if sys.argv[1:] == ["--part"]:
    part()
else:
    sys.exit(subprocess.run([sys.executable, __file__, "--part"]).returncode)
