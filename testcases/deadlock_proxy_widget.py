# qgc-check-expect: verdict=hang also=crash
# qgc-check-args: --duration 20 --hang-timeout 3
# A graphics item in a cycle owns a QGraphicsProxyWidget holding a QLabel. A worker collecting
# it destroys the QLabel off-thread and waits for the GUI thread, which waits for the GIL.
import sys

from _qt import QTimer
from _qt import (QApplication, QGraphicsEllipseItem, QGraphicsProxyWidget,
                             QGraphicsScene, QGraphicsView, QLabel)


class Badge(QGraphicsEllipseItem):
    def __init__(self):
        super().__init__(0, 0, 30, 30)
        self.proxy = QGraphicsProxyWidget(self)
        self.proxy.setWidget(QLabel("badge"))
        self.callbacks = [self.refresh]  # bound method on self -> reference cycle

    def refresh(self):
        self.proxy.widget().setText("badge!")


def make_garbage():
    for _ in range(3):
        badge = Badge()
        scene.addItem(badge)
        scene.removeItem(badge)  # back to Python ownership; only the cycle keeps it alive


app = QApplication(sys.argv)
scene = QGraphicsScene()
view = QGraphicsView(scene)
view.show()
timer = QTimer()
timer.timeout.connect(make_garbage)
timer.start(10)
app.exec()
