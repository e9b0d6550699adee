# qgc-check-expect: verdict=clean script_exit=3 exit=6
# The script must run as __main__ with its own argv, __file__, sys.path[0] (its directory,
# so the sibling module imports) and its sys.exit() status passed through.
import json
import sys

import _semantics_helper
from _qt import QTimer
from _qt import QApplication

print(f"argv={json.dumps(sys.argv)}")
print(f"name={__name__}")
print(f"file={__file__}")
print(f"path0={sys.path[0]}")
print(f"helper={_semantics_helper.VALUE}", flush=True)

app = QApplication(sys.argv)
QTimer.singleShot(200, app.quit)
app.exec()
sys.exit(3)
