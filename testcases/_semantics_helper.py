# Sibling module imported by script_semantics.py (not a test case by itself).
VALUE = "semantics-helper-ok"
