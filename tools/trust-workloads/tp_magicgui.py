# SPDX-License-Identifier: MIT
# magicgui (third party): widgets built from annotated functions, values set,
# the function called, containers shown and closed, built again.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _qt import *  # noqa: E402
from magicgui import magicgui, widgets  # noqa: E402

a = app()
made = [0]
calls = []


def build():
    @magicgui(auto_call=True, x={"max": 100}, name={"choices": ["a", "b", "c"]})
    def f(x: int = 1, y: float = 2.0, name: str = "a", flag: bool = False):
        calls.append((x, y, name, flag))
        return x * y

    f.x.value = made[0] % 100
    f.flag.value = bool(made[0] % 2)
    f()
    c = widgets.Container(widgets=[widgets.LineEdit(value="t"), widgets.Slider(value=3),
                                   widgets.ComboBox(choices=["p", "q"])])
    f.show()
    c.show()
    f.close()
    c.close()
    made[0] += 1


timer = QTimer()
timer.timeout.connect(build)
timer.start(20)
rc = run(a)
timer.stop()
print("magicgui done", made[0] > 0, len(calls) > 0, rc)
