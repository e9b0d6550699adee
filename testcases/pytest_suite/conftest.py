# Makes testcases/_qt.py importable from the suite (pytest's rootdir is the working directory).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
