# SPDX-License-Identifier: MIT
# Where a testcase's objects die, recorded by the program itself (the truth the tool's findings
# are checked against): a watcher QObject of the GUI thread has each object's `destroyed` signal
# connected with DirectConnection, so its slot runs in the thread that destroys the object. The
# program names each object's owner itself (its objectName: the thread that made it, or the one
# it was moved to), and the slot counts the objects that died in another thread.
import threading

from _qt import QObject, Qt, pyqtSlot


class DeathWatch(QObject):
    def __init__(self):
        super().__init__()
        self.died = 0
        self.off_owner = 0

    def watch(self, obj, owner=None):
        """Watches obj, owned by `owner` (a thread name; the calling thread by default)."""
        obj.setObjectName(owner or threading.current_thread().name)
        obj.destroyed.connect(self.on_destroyed, Qt.ConnectionType.DirectConnection)

    @pyqtSlot(QObject)
    def on_destroyed(self, obj):
        self.died += 1
        if obj.objectName() != threading.current_thread().name:
            self.off_owner += 1

    def report(self):
        print(f"died: {self.died} off-owner: {self.off_owner}", flush=True)
