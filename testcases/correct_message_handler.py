# qgc-check-expect: verdict=clean
# qgc-check-args: --duration 10 --hang-timeout 5
# qgc-check-compare: python3
# qgc-check-stdout: ^handler: 7 messages \(debug 2, info 1, warning 4\)$
# An app with its own qInstallMessageHandler that counts what it receives: messages of its
# own from the GUI thread and from a helper thread, and a warning of Qt's own. Correct code:
# every message must reach the app's handler, the same as under plain python3.
import sys
import threading

from _qt import QApplication, QFile, QIODevice, QTimer, QtCore, QtMsgType

received = []
KINDS = {QtMsgType.QtDebugMsg: "debug", QtMsgType.QtInfoMsg: "info",
         QtMsgType.QtWarningMsg: "warning", QtMsgType.QtCriticalMsg: "critical"}


def handler(kind, context, message):
    if message.startswith("QStandardPaths:"):
        return  # the environment's, not the app's (printed once or not at all)
    received.append((KINDS.get(kind, str(kind)), message))


app = QApplication(sys.argv)
previous = QtCore.qInstallMessageHandler(handler)


def emit():
    QtCore.qDebug("app: debug from the GUI thread")
    QtCore.qInfo("app: info from the GUI thread")
    QtCore.qWarning("app: warning from the GUI thread")
    QFile().open(QIODevice.OpenModeFlag.ReadOnly)  # Qt's own warning: no file name
    t = threading.Thread(target=lambda: (QtCore.qDebug("app: debug from a helper thread"),
                                         QtCore.qWarning("app: warning from a helper thread")),
                         name="messenger")
    t.start()
    t.join()
    QTimer.singleShot(20, late)


def late():
    QtCore.qWarning("app: warning from a later timer")
    QTimer.singleShot(300, app.quit)


QTimer.singleShot(100, emit)
app.exec()
QtCore.qInstallMessageHandler(previous)
for kind, message in received:
    print(f"{kind}: {message}")
counts = {k: sum(1 for kind, _ in received if kind == k) for k in ("debug", "info", "warning")}
print(f"handler: {len(received)} messages (debug {counts['debug']}, info {counts['info']}, "
      f"warning {counts['warning']})")
