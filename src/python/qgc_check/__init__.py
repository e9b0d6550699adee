# SPDX-License-Identifier: MIT
"""qgc-check as a Python package: the qgc-check executable (on the venv's
PATH), its runner and Qt probe (in this package's directory), and the pytest
plugin behind `pytest --qgc-check`."""
import os
import shutil

from ._build import PYTHON_VERSION, SUPERVISOR_FROM_PACKAGE, VERSION

__version__ = VERSION
__all__ = ["PYTHON_VERSION", "__version__", "supervisor"]


def supervisor():
    """The qgc-check executable this package was installed with, else the
    first one on PATH; None when there is neither."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.normpath(os.path.join(here, SUPERVISOR_FROM_PACKAGE))
    if os.access(path, os.X_OK):
        return path
    return shutil.which("qgc-check")
