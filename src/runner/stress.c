/* SPDX-License-Identifier: MIT */
/* stress.c: worker threads that make the collector run off the GUI thread. */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "runner/stress.h"

#include <stdatomic.h>
#include <sys/prctl.h>
#include <time.h>

static atomic_bool stop_requested;
static atomic_uint running;
static PyObject *workers; /* list of threading.Thread */
/* A Python function that does nothing: calling it runs bytecode, where the
 * interpreter checks its eval breaker. From CPython 3.12 on, crossing the
 * collection threshold only schedules a collection for the allocating
 * thread, which runs it at its next such check; the allocation loop below
 * is C, so it calls this to collect in the worker, not later elsewhere. */
static PyObject *eval_point;
static enum stress_mode stress_mode;

/* xorshift32: the stress pattern is a function of the seed alone. */
static uint32_t
next_random (uint32_t *state)
{
        uint32_t x = *state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return *state = x;
}

static PyObject *
worker_main (PyObject *self, PyObject *args)
{
        unsigned index;
        uint32_t seed;
        if (!PyArg_ParseTuple (args, "II", &index, &seed))
                return NULL;
        uint32_t rng = (seed ^ (index * 0x9e3779b9u)) | 1u;
        /* The native name too, so that stack dumps and gdb show it. */
        char name[16];
        snprintf (name, sizeof name, "qgc-stress-%u", index);
        prctl (PR_SET_NAME, name, 0, 0, 0);
        while (!atomic_load (&stop_requested)) {
                /* A burst of self-referencing lists: each is one tracked
                 * container that only the cyclic collector can free, so
                 * the generation-0 count climbs in this thread. */
                unsigned burst = 200 + next_random (&rng) % 1800;
                struct timespec pause = { 0, 50000 + (long) (next_random (&rng) % 500) * 1000 };
                if (stress_mode == STRESS_BURST) {
                        /* Quiet for 1..40 ms, then 2,000..20,000 containers
                         * at once: collections land in the workers at other
                         * moments, often in the middle of GUI-thread work. */
                        burst = 2000 + next_random (&rng) % 18000;
                        pause.tv_nsec = 1000000 + (long) (next_random (&rng) % 40) * 1000000;
                }
                if (!PyGC_IsEnabled ())
                        burst = 16; /* nothing to trigger; stay cheap */
                for (unsigned i = 0; i < burst; i++) {
                        PyObject *l = PyList_New (0);
                        if (!l || PyList_Append (l, l) < 0) {
                                Py_XDECREF (l);
                                atomic_fetch_sub (&running, 1);
                                return NULL;
                        }
                        Py_DECREF (l);
                        if (i % 64 == 63 || i + 1 == burst) {
                                PyObject *r = PyObject_CallNoArgs (eval_point);
                                if (!r) {
                                        atomic_fetch_sub (&running, 1);
                                        return NULL;
                                }
                                Py_DECREF (r);
                        }
                }
                /* Release the GIL so the GUI thread keeps running normally
                 * (alloc mode: 50..550 microseconds). */
                if (!PyGC_IsEnabled ())
                        pause.tv_nsec = 20000000;
                Py_BEGIN_ALLOW_THREADS
                nanosleep (&pause, NULL);
                Py_END_ALLOW_THREADS
        }
        atomic_fetch_sub (&running, 1);
        Py_RETURN_NONE;
}

static PyMethodDef worker_def = { "qgc_stress_worker", worker_main, METH_VARARGS, NULL };

bool
stress_start (unsigned threads, uint32_t seed, enum stress_mode mode)
{
        if (workers || threads == 0)
                return true;
        stress_mode = mode;
        bool ok = false;
        if (!eval_point) {
                /* A "<qgc-check" file name keeps it out of reported stacks. */
                PyObject *globals = PyDict_New ();
                PyObject *code = Py_CompileString ("def eval_point():\n    pass\n", "<qgc-check stress>",
                                                   Py_file_input);
                PyObject *r = globals && code ? PyEval_EvalCode (code, globals, globals) : NULL;
                Py_XDECREF (code);
                eval_point = r ? PyDict_GetItemString (globals, "eval_point") : NULL;
                Py_XINCREF (eval_point);
                Py_XDECREF (r);
                Py_XDECREF (globals);
                if (!eval_point) {
                        PyErr_Print ();
                        return false;
                }
        }
        PyObject *threading = PyImport_ImportModule ("threading");
        PyObject *thread_class = threading ? PyObject_GetAttrString (threading, "Thread") : NULL;
        PyObject *target = PyCFunction_New (&worker_def, NULL);
        workers = PyList_New (0);
        if (!thread_class || !target || !workers)
                goto out;
        for (unsigned i = 1; i <= threads; i++) {
                char name[32];
                snprintf (name, sizeof name, "qgc-stress-%u", i);
                PyObject *kwargs = Py_BuildValue ("{s:O,s:(II),s:s,s:O}", "target", target,
                                                  "args", i, seed, "name", name, "daemon", Py_True);
                PyObject *empty = PyTuple_New (0);
                PyObject *thread = kwargs && empty ? PyObject_Call (thread_class, empty, kwargs) : NULL;
                Py_XDECREF (empty);
                Py_XDECREF (kwargs);
                if (!thread)
                        goto out;
                atomic_fetch_add (&running, 1);
                PyObject *r = PyObject_CallMethod (thread, "start", NULL);
                if (!r) {
                        atomic_fetch_sub (&running, 1);
                        Py_DECREF (thread);
                        goto out;
                }
                Py_DECREF (r);
                PyList_Append (workers, thread);
                Py_DECREF (thread);
        }
        ok = true;
out:
        if (!ok)
                PyErr_Print ();
        Py_XDECREF (target);
        Py_XDECREF (thread_class);
        Py_XDECREF (threading);
        return ok;
}

void
stress_stop (void)
{
        atomic_store (&stop_requested, true);
}

unsigned
stress_running (void)
{
        return atomic_load (&running);
}

void
stress_join (void)
{
        stress_stop ();
        if (!workers)
                return;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE (workers); i++) {
                PyObject *r = PyObject_CallMethod (PyList_GET_ITEM (workers, i), "join", NULL);
                if (!r)
                        PyErr_Clear ();
                Py_XDECREF (r);
        }
}
