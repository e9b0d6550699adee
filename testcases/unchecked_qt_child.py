# qgc-check-expect: verdict=incomplete
# qgc-check-args: --duration 2
# The script's only Qt work happens in a program that is not Python (Qt's qtpaths6 links
# QtCore): qgc-check cannot check it, lists it as unchecked, and never calls the run clean.
# /bin/true, which does not load Qt, is not listed.
import os
import shutil
import subprocess

# Qt's own tools link QtCore (qt6-base-dev-tools); the first one found.
CANDIDATES = ("qtpaths6", "/usr/lib/qt6/bin/qtpaths6", "/usr/lib/qt6/bin/qtpaths", "qmake6",
              "/usr/lib/qt6/bin/qmake")
qtpaths = next(filter(None, map(shutil.which, CANDIDATES)))
subprocess.run(["/bin/true"], check=True)
subprocess.run([qtpaths, "--version"], check=True, stdout=subprocess.DEVNULL)
print("qtpaths ran", os.path.basename(qtpaths))
