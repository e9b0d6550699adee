#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns a text file into a C header holding it as one string constant."""
import sys

name, src, dst = sys.argv[1:4]
with open(src, encoding="utf-8") as f:
    text = f.read()
with open(dst, "w", encoding="utf-8") as out:
    out.write("/* generated from %s; do not edit */\n" % src.rsplit("/", 1)[-1])
    out.write("static const char %s[] =\n" % name)
    for line in text.splitlines(keepends=True):
        out.write('        "%s"\n' % line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
    out.write("        ;\n")
