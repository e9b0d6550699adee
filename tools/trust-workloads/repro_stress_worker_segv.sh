#!/bin/sh
# SPDX-License-Identifier: MIT
# Reproducer, by repetition, of a crash caused by qgc-check itself: a stress
# worker (thread qgc-stress-N) dies of SIGSEGV in meta_chain()+0x3d
# <- resolve_now() <- the collection-start callback, the collection started
# by the worker's own allocation (PyList_New -> _PyObject_GC_New). The worker
# holds the GIL and names objects another thread made from Python; one of
# them returned a bogus meta-object (being destroyed, or not complete, in
# its own thread, which runs without the GIL meanwhile). Report: verdict
# crash, exit 4, crash.in_tool true, tool_frame "... in qgc-probe.so (thread
# qgc-stress-2)", no finding. Seen once in ~200 runs of tp_pyqtgraph with
# pyqtgraph 0.14 and the PyQt6 6.11 wheel (seed 2186454069; the seed does
# not fix the thread interleaving). Plain python3: 3 of 3 runs exit 0.
# Usage: tools/trust-workloads/repro_stress_worker_segv.sh [RUNS]  (after
#        tools/trust-stress --binding PyQt6 --runs 1 has made its venv)
cd "$(dirname "$0")" || exit 2
venv=../../build/trust-venvs/PyQt6
[ -x "$venv/bin/python3" ] || { echo "no $venv: run tools/trust-stress --binding PyQt6 --runs 1 first" >&2; exit 2; }
runs=${1:-300}
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    VIRTUAL_ENV=$PWD/$venv TRUST_BINDING=PyQt6 PYQTGRAPH_QT_LIB=PyQt6 QT_QPA_PLATFORM=offscreen \
        ../../build/src/qgc-check -q -d 0 --json /tmp/repro-stress-worker.json tp_pyqtgraph.py >/dev/null 2>&1
    rc=$?
    if [ "$rc" = 4 ] && grep -q '"in_tool": *true' /tmp/repro-stress-worker.json; then
        echo "run $i: crash in qgc-check; report /tmp/repro-stress-worker.json"
        exit 1
    fi
done
echo "$runs runs, no crash in qgc-check"
