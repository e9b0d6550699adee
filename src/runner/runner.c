/* SPDX-License-Identifier: MIT */
/* runner.c: the embedded interpreter (see runner.h). */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "runner/runner.h"
#include "common/native-stack.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bootstrap.h"
#include "runner/crash.h"
#include "common/probe.h"
#include "runner/process.h"
#include "runner/kept.h"
#include "runner/pyhost.h"
#include "runner/stress.h"
#include "runner/symbols.h"
#include "runner/unwind.h"

static const struct runner_config *config;
/* bootstrap.py's status for a script ended by an uncaught KeyboardInterrupt. */
#define RUNNER_INTERRUPTED (-2)
static struct channel *channel;
static char binding_name[16];
static probe_creation_fn probe_creation;
static probe_owner_fn probe_owner;
static void (*probe_retake_messages) (void);
static void (*probe_event_filter) (const void *watched, const void *filter, bool installed);
static PyObject *bootstrap;

/* At-risk analysis: observe-only runs and --strict route every collection
 * through the GUI thread, reading the garbage first (bootstrap.py). */
static bool
analysing (void)
{
        return (config->args->threads == 0 || config->args->strict) && !config->args->mitigate;
}

static void
call_bootstrap (const char *function, PyObject *arg)
{
        PyObject *r = PyObject_CallMethod (bootstrap, function, arg ? "O" : NULL, arg);
        if (!r)
                PyErr_Print ();
        Py_XDECREF (r);
}

/* --- forked children --------------------------------------------------- */

/* A process forked from the runner (multiprocessing's "fork", os.fork)
 * inherits the hooks, the crash handlers and the channel mapping: what it
 * does is not the run's. It keeps the Qt hooks (they are in Qt's memory)
 * but nothing it records reaches the supervisor. */
static bool detached;
/* The script's body (and the tool's event loop after it) has ended: what
 * happens from here on is the interpreter's teardown (its threads joined,
 * atexit, Py_FinalizeEx), marked in each finding. */
static atomic_bool script_ended;

/* The test running now: pytest keeps its id in the environment, which it
 * sets through os.putenv; bootstrap.py passes each new value here (in the
 * thread that sets it). Hooks read the id, never the environment: getenv
 * races with a setenv in another thread. */
static uint32_t current_test; /* kept.h handle, atomic loads and stores */

/* The probe's per-thread block (probe_host.thread_block_offset): in this
 * library's static thread-local storage (initial-exec), so at one offset
 * from the thread pointer in every thread. */
static __thread unsigned char probe_thread_block[64] __attribute__ ((aligned (64)));

bool
runner_detached (void)
{
        return detached;
}

/* pthread_atfork child handler: one thread, async-signal-safe calls only. */
static void
forked_child (void)
{
        detached = true;
        /* No test of the run is running in this process. */
        __atomic_store_n (&current_test, 0, __ATOMIC_RELAXED);
        crash_forked_child ();
        channel_forked_child ();
        kept_forked_child ();
        /* Whatever still writes to the channel in the child (a Python
         * thread state, a gc callback, the runner's epilogue after an
         * os.fork() child returns) writes to a private copy of it: the
         * header, then zeros. The parent's area is never touched again. */
        static char header[offsetof (struct channel, stats)];
        memcpy (header, channel, sizeof header);
        if (mmap (channel, sizeof *channel, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
                memcpy (channel, header, sizeof header);
                atomic_store (&channel->strings_used, 1);
        }
}

/* --- the probe's view of the channel --------------------------------- */

static uint32_t
host_intern (const char *s)
{
        if (detached)
                return 0;
        return channel_intern (channel, s);
}

static const char *
host_string (uint32_t id)
{
        return channel_string (channel, id);
}


static PyObject *
qgc_set_current_test (PyObject *self, PyObject *arg)
{
        uint32_t id = 0;
        if (arg != Py_None) {
                const char *t = PyUnicode_AsUTF8 (arg);
                if (!t)
                        return NULL;
                /* "tests/t.py::test_x (call)" -> the id. */
                char buf[512];
                snprintf (buf, sizeof buf, "%s", t);
                char *phase = strrchr (buf, ' ');
                if (phase && phase[1] == '(')
                        *phase = '\0';
                id = kept_add (buf);
        }
        channel_set_running_test (channel, kept_text (id));
        __atomic_store_n (&current_test, id, __ATOMIC_RELAXED);
        Py_RETURN_NONE;
}

/* A kept string's channel id, for a finding (kept.h); once the groups are
 * full, only a string the channel has already: a finding with a new one
 * is counted into a coarser group, which does not show it. */
static uint32_t
finding_string (uint32_t handle, bool add)
{
        return kept_in_channel (channel, handle, add && !channel_groups_full (channel));
}

static void
host_add_finding (const struct finding *f)
{
        if (detached)
                return;
        /* Its creation stack and tests are kept strings (kept.h): copied
         * into the channel now, as it keys the finding's group. */
        struct finding copy = *f;
        copy.creation_site = kept_site_in_channel (channel, f->creation_stack, !channel_groups_full (channel));
        copy.creation_stack = finding_string (f->creation_stack, true);
        copy.test = finding_string (__atomic_load_n (&current_test, __ATOMIC_RELAXED), true);
        copy.creation_test = finding_string (f->creation_test, true);
        copy.during_teardown = f->kind != FINDING_AT_RISK_CYCLE && atomic_load (&script_ended);
        /* The rest is the first finding's of its group, which the report
         * shows: the finalization stack and the C++ calls that destroyed
         * the object (or made Qt warn; raw return addresses, named later
         * outside the hook). */
        copy.during_teardown = f->kind != FINDING_AT_RISK_CYCLE && atomic_load (&script_ended);
        bool first = !channel_has_group (channel, &copy);
        copy.finalization_stack = finding_string (f->finalization_stack, first);
        if (first && f->kind != FINDING_AT_RISK_CYCLE) {
                int n = unwind_native_frames (copy.native_frames, FINDING_NATIVE_FRAMES - 1);
                copy.native_frames[n] = 0;
        }
        channel_add_finding (channel, &copy);
}

/* Whose frames a native stack starts after: the runner's own (the hook's
 * caller chain starts in it), libunwind's and the probe's. */
static bool
tool_module (const char *module, const char *runner)
{
        const char *base = strrchr (module, '/');
        base = base ? base + 1 : module;
        return strcmp (module, runner) == 0 || strncmp (base, "libunwind", 9) == 0 ||
               strstr (base, "qgc-probe") != NULL;
}

/* The native frames of a finding as "function<TAB>module" lines,
 * innermost first: from the first frame past the probe to the last before
 * the interpreter. GUI thread or the runner's end: not in a hook. */
static uint32_t
describe_native (const uint64_t *frames, size_t n)
{
        static char *(*demangle) (const char *, char *, size_t *, int *);
        static bool looked;
        if (!looked) {
                looked = true;
                void *cxx = dlopen ("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD);
                if (cxx)
                        demangle = (char *(*) (const char *, char *, size_t *, int *)) dlsym (cxx, "__cxa_demangle");
        }
        Dl_info self;
        const char *runner = dladdr ((void *) describe_native, &self) ? self.dli_fname : "";
        struct symbols sy = { 0 };
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        bool past_tool = false;
        for (size_t i = 0; out && i < n; i++) {
                struct symbol sym;
                /* A return address: the call is the byte before it. */
                if (!symbols_lookup (&sy, (uintptr_t) frames[i] - 1, &sym))
                        continue;
                const char *name = sym.name, *module = sym.module;
                bool tool = tool_module (module, runner);
                if (!past_tool) {
                        past_tool = !tool;
                        if (tool)
                                continue;
                } else if (strcmp (module, runner) == 0 || strstr (module, "/libpython")) {
                        break; /* the interpreter (linked in, or shared): the Python stack says the rest */
                }
                char *readable = name && demangle ? demangle (name, NULL, NULL, NULL) : NULL;
                native_stack_write (out, readable ? readable : name, module);
                free (readable);
        }
        symbols_close (&sy);
        uint32_t id = 0;
        if (out && fclose (out) == 0 && text && *text)
                id = channel_intern (channel, text);
        free (text);
        return id;
}


static void
host_count_object (bool created)
{
        if (detached)
                return;
        atomic_fetch_add (created ? &channel->stats.objects_created
                                  : &channel->stats.objects_destroyed, 1);
}

static uint64_t *
host_object_counts (void)
{
        if (detached)
                return NULL;
        struct channel_object_counts *c = channel_claim_object_counts (channel);
        _Static_assert (sizeof c->created == sizeof (uint64_t) && offsetof (struct channel_object_counts, destroyed) ==
                                sizeof (uint64_t), "two plain 64-bit counters");
        return c ? (uint64_t *) &c->created : NULL;
}

static void
host_heartbeat (int loop_level)
{
        if (detached)
                return;
        atomic_store (&channel->loop_level, loop_level);
        atomic_store (&channel->heartbeat_ns, channel_now_ns ());
        if (loop_level > 0)
                atomic_store (&channel->loop_ran, 1);
        /* Any beat comes from the GUI thread dispatching events (exec(),
         * processEvents(), qWait()): timers and deleteLater() run there. */
        if (atomic_load (&channel->phase) != PHASE_TOOL_LOOP)
                atomic_store (&channel->script_loop_ran, 1);
}

static void
host_loop_lateness (int64_t late_ns)
{
        if (detached)
                return;
        channel_record_lateness (channel, late_ns);
}

static void
host_qt_loaded (const char *version, const char *path)
{
        if (detached)
                return;
        snprintf (channel->qt_version, sizeof channel->qt_version, "%s", version);
        snprintf (channel->qtcore_path, sizeof channel->qtcore_path, "%s", path);
}

static void
host_fatal_message (const char *text)
{
        if (detached)
                return;
        atomic_store (&channel->fatal_message, channel_intern (channel, text));
}

static void
host_app_started (void)
{
        if (detached)
                return;
        if (atomic_exchange (&channel->app_exists, 1))
                return;
        atomic_store (&channel->app_ns, channel_now_ns ());
        if (!PyGILState_GetThisThreadState ())
                return;
        PyGILState_STATE state = PyGILState_Ensure ();
        PyObject *et, *ev, *tb;
        PyErr_Fetch (&et, &ev, &tb);
        if (stress_start (config->args->threads, config->args->seed, config->args->stress_mode))
                atomic_store (&channel->workers, config->args->threads);
        PyErr_Restore (et, ev, tb);
        PyGILState_Release (state);
}

static void
host_with_gil (void (*fn) (void))
{
        if (!PyGILState_GetThisThreadState ()) {
                fn ();
                return;
        }
        PyGILState_STATE state = PyGILState_Ensure ();
        fn ();
        PyGILState_Release (state);
}

static void
host_gui_tick (void)
{
        if (detached)
                return;
        channel_describe_native_stacks (channel, describe_native);
        if (!config->args->mitigate && !analysing ())
                return;
        PyGILState_STATE state = PyGILState_Ensure ();
        PyObject *et, *ev, *tb;
        PyErr_Fetch (&et, &ev, &tb);
        if (config->args->mitigate)
                pyhost_collect_by_thresholds ();
        else
                call_bootstrap ("at_risk_tick", NULL);
        PyErr_Restore (et, ev, tb);
        PyGILState_Release (state);
}

static struct probe_host host = {
        .gui_tick = host_gui_tick,
        .with_gil = host_with_gil,
        .intern = host_intern,
        .string = host_string,
        .add_finding = host_add_finding,
        .count_object = host_count_object,
        .object_counts = host_object_counts,
        .heartbeat = host_heartbeat,
        .loop_lateness = host_loop_lateness,
        .qt_loaded = host_qt_loaded,
        .fatal_message = host_fatal_message,
        .capture_creation = pyhost_capture_creation,
        .describe_thread = pyhost_describe_thread,
        .collecting_elsewhere = pyhost_collecting_elsewhere,
        .stack_points = pyhost_stack_points,
        .thread_init = crash_thread_init,
        .current_test = &current_test,
        .guard_reads = crash_guard_reads,
        .app_started = host_app_started,
        .stop_stress = stress_stop,
        .stress_running = stress_running,
};

/* --- the _qgc module, used by bootstrap.py --------------------------- */

static void
fail_now (const char *msg)
{
        channel_set_error (channel, msg);
        fprintf (stderr, "qgc-check: %s\n", msg);
        fflush (stderr);
        _exit (3);
}

static void
record_binding_version (const char *qtcore_module)
{
        /* "PyQt6 6.4.2" or "PySide6 6.8.1", as the binding says it. */
        bool pyqt = strncmp (qtcore_module, "PyQt", 4) == 0;
        PyObject *m = PyImport_ImportModule (pyqt ? qtcore_module : binding_name);
        PyObject *v = m ? PyObject_GetAttrString (m, pyqt ? "PYQT_VERSION_STR" : "__version__") : NULL;
        const char *s = v ? PyUnicode_AsUTF8 (v) : NULL;
        snprintf (channel->binding, sizeof channel->binding, "%s %s", binding_name, s ? s : "?");
        Py_XDECREF (v);
        Py_XDECREF (m);
        PyErr_Clear ();
}

static PyObject *
qgc_binding_loaded (PyObject *self, PyObject *arg)
{
        const char *module = PyUnicode_AsUTF8 (arg);
        if (!module)
                return NULL;
        if (binding_name[0])
                Py_RETURN_NONE; /* a second binding: the first one is checked */
        snprintf (binding_name, sizeof binding_name, "%.*s",
                  (int) (strchr (module, '.') ? strchr (module, '.') - module : (long) strlen (module)),
                  module);
        if (strcmp (binding_name, "PyQt6") != 0 && strcmp (binding_name, "PySide6") != 0) {
                char msg[256];
                snprintf (msg, sizeof msg,
                          "the script loaded %s (Qt 5); qgc-check checks Qt 6 bindings only: "
                          "port it to PyQt6 or PySide6", binding_name);
                fail_now (msg);
        }
        record_binding_version (module);

        void *handle = dlopen (config->args->probe_path, RTLD_NOW | RTLD_LOCAL);
        char msg[CHANNEL_TEXT_SIZE];
        if (!handle) {
                snprintf (msg, sizeof msg,
                          "cannot load the Qt probe for the Qt that %s loaded: %s; "
                          "reinstall qgc-check or use a Qt 6 binding", binding_name, dlerror ());
                fail_now (msg);
        }
        probe_start_fn start = (probe_start_fn) dlsym (handle, PROBE_START_SYMBOL);
        char error[512] = "";
        if (!start || !start (&host, error, sizeof error)) {
                snprintf (msg, sizeof msg, "cannot hook the Qt that %s loaded: %s",
                          binding_name, start ? error : "the probe has no entry point");
                fail_now (msg);
        }
        pyhost_set_resolver ((probe_resolve_fn) dlsym (handle, PROBE_RESOLVE_SYMBOL));
        probe_creation = (probe_creation_fn) dlsym (handle, PROBE_CREATION_SYMBOL);
        probe_owner = (probe_owner_fn) dlsym (handle, PROBE_OWNER_SYMBOL);
        probe_retake_messages = (void (*) (void)) dlsym (handle, PROBE_RETAKE_MESSAGES_SYMBOL);
        probe_event_filter = (void (*) (const void *, const void *, bool)) dlsym (handle, PROBE_EVENT_FILTER_SYMBOL);
        atomic_store (&channel->binding_loaded, 1);
        Py_RETURN_NONE;
}

static PyObject *
qgc_gc_disable (PyObject *self, PyObject *unused)
{
        PyGC_Disable ();
        Py_RETURN_NONE;
}

static PyObject *
qgc_report_at_risk (PyObject *self, PyObject *args)
{
        const char *qt_class, *py_class, *path;
        unsigned long long address;
        unsigned int children;
        if (!PyArg_ParseTuple (args, "sssKI", &qt_class, &py_class, &path, &address, &children))
                return NULL;
        const void *qobject = (const void *) (uintptr_t) address;
        const char *resolved = NULL;
        struct finding f = {
                .kind = FINDING_AT_RISK_CYCLE,
                .cause = CAUSE_NONE,
                .gc_generation = -1,
                .py_class = channel_intern (channel, py_class),
                .owner_thread = probe_owner && address ? probe_owner (qobject)
                                                       : channel_intern (channel, "MainThread"),
                .message = channel_intern (channel, path),
                .children = children,
                .creation_stack = probe_creation && address ? probe_creation (qobject, &resolved) : 0,
        };
        f.qt_class = channel_intern (channel, resolved && strcmp (resolved, "QObject") ? resolved : qt_class);
        host_add_finding (&f);
        Py_RETURN_NONE;
}

static PyObject *
qgc_event_filter (PyObject *self, PyObject *args)
{
        unsigned long long watched, filter;
        int installed;
        if (!PyArg_ParseTuple (args, "KKp", &watched, &filter, &installed))
                return NULL;
        if (probe_event_filter && watched && filter)
                probe_event_filter ((const void *) (uintptr_t) watched, (const void *) (uintptr_t) filter,
                                    installed);
        Py_RETURN_NONE;
}

static PyObject *
qgc_retake_messages (PyObject *self, PyObject *unused)
{
        if (probe_retake_messages)
                probe_retake_messages ();
        Py_RETURN_NONE;
}

static PyObject *
qgc_set_error (PyObject *self, PyObject *arg)
{
        const char *msg = PyUnicode_AsUTF8 (arg);
        if (!msg)
                return NULL;
        channel_set_error (channel, msg);
        Py_RETURN_NONE;
}

/* A Python thread starts (in that thread): remember its name for stack
 * dumps and give the native thread the same name, as gdb and top show it. */
static PyObject *
qgc_thread_started (PyObject *self, PyObject *arg)
{
        const char *name = PyUnicode_AsUTF8 (arg);
        if (!name)
                return NULL;
        crash_thread_init (); /* a stack overflow in it is reported too */
        if (!detached)
                channel_add_thread (channel, PyThread_get_thread_ident (), (int32_t) syscall (SYS_gettid), name);
        char comm[16];
        snprintf (comm, sizeof comm, "%s", name);
        prctl (PR_SET_NAME, comm, 0, 0, 0);
        Py_RETURN_NONE;
}

static PyObject *
qgc_count_deferred (PyObject *self, PyObject *unused)
{
        atomic_fetch_add (&channel->stats.deferred_by_binding, 1);
        Py_RETURN_NONE;
}

static PyObject *
qgc_binding (PyObject *self, PyObject *unused)
{
        if (!binding_name[0])
                Py_RETURN_NONE;
        return PyUnicode_FromString (binding_name);
}

static PyObject *
qgc_set_phase (PyObject *self, PyObject *arg)
{
        long phase = PyLong_AsLong (arg);
        if (phase == -1 && PyErr_Occurred ())
                return NULL;
        atomic_store (&channel->phase, (uint32_t) phase);
        Py_RETURN_NONE;
}

static PyObject *
qgc_set_worker (PyObject *self, PyObject *arg)
{
        const char *worker = PyUnicode_AsUTF8 (arg);
        if (!worker)
                return NULL;
        if (!detached)
                process_set_worker (channel, worker);
        Py_RETURN_NONE;
}

/* os._exit(n) in a process of the run: its status, for the report (the
 * main runner's is its exit status, which the supervisor reaps). */
static PyObject *
qgc_record_exit (PyObject *self, PyObject *arg)
{
        long status = PyLong_AsLong (arg);
        if (status == -1 && PyErr_Occurred ())
                return NULL;
        if (!detached && channel->process.origin != PROCESS_MAIN) {
                atomic_store (&channel->script_status, (int32_t) (status & 0xFF));
                atomic_store (&channel->outcome, OUTCOME_EXIT);
        }
        if (!detached)
                crash_let_dump_finish ();
        Py_RETURN_NONE;
}

/* os.fork() returned in the child (Python's after_in_child): a process
 * forked before Qt was loaded (a forkserver's or a pool's worker) gets a
 * channel of its own and is checked; one forked after stays detached, as
 * nothing it does is the run's (its Qt is a copy of the parent's). */
static PyObject *
qgc_forked (PyObject *self, PyObject *unused)
{
        if (!detached || !config->args->follow_dir || binding_name[0] ||
            !channel_fork_file (channel, config->args->follow_dir))
                Py_RETURN_NONE;
        detached = false;
        kept_channel_replaced ();
        crash_forked_checked ();
        channel_add_thread (channel, (uint64_t) pthread_self (), (int32_t) syscall (SYS_gettid), "MainThread");
        Py_RETURN_NONE;
}

static PyObject *
qgc_collect (PyObject *self, PyObject *args)
{
        return pyhost_tool_collect (args);
}

static PyObject *
qgc_free (PyObject *self, PyObject *args)
{
        return pyhost_tool_free (args);
}

static PyMethodDef qgc_methods[] = {
        { "set_worker", qgc_set_worker, METH_O, NULL },
        { "record_exit", qgc_record_exit, METH_O, NULL },
        { "forked", qgc_forked, METH_NOARGS, NULL },
        { "binding_loaded", qgc_binding_loaded, METH_O, NULL },
        { "binding", qgc_binding, METH_NOARGS, NULL },
        { "set_phase", qgc_set_phase, METH_O, NULL },
        { "gc_disable", qgc_gc_disable, METH_NOARGS, NULL },
        { "count_deferred", qgc_count_deferred, METH_NOARGS, NULL },
        { "thread_started", qgc_thread_started, METH_O, NULL },
        { "set_current_test", qgc_set_current_test, METH_O, NULL },
        { "retake_messages", qgc_retake_messages, METH_NOARGS, NULL },
        { "event_filter", qgc_event_filter, METH_VARARGS, NULL },
        { "set_error", qgc_set_error, METH_O, NULL },
        { "report_at_risk", qgc_report_at_risk, METH_VARARGS, NULL },
        { "free", qgc_free, METH_VARARGS, NULL },
        { "collect", qgc_collect, METH_VARARGS, NULL },
        { NULL, NULL, 0, NULL },
};

static struct PyModuleDef qgc_module = {
        PyModuleDef_HEAD_INIT, "_qgc", "qgc-check runner internals", -1, qgc_methods,
};

static PyObject *
qgc_init (void)
{
        PyObject *m = PyModule_Create (&qgc_module);
        if (!m)
                return NULL;
        PyModule_AddIntConstant (m, "OUTCOME_RETURNED", OUTCOME_RETURNED);
        PyModule_AddIntConstant (m, "OUTCOME_EXIT", OUTCOME_EXIT);
        PyModule_AddIntConstant (m, "OUTCOME_EXCEPTION", OUTCOME_EXCEPTION);
        PyModule_AddIntConstant (m, "OUTCOME_CANNOT_RUN", OUTCOME_CANNOT_RUN);
        PyModule_AddIntConstant (m, "PHASE_SCRIPT", PHASE_SCRIPT);
        PyModule_AddIntConstant (m, "PHASE_TOOL_LOOP", PHASE_TOOL_LOOP);
        return m;
}

/* --- start-up and the script ------------------------------------------ */

/* What a child's python command line asks to run, as PyConfig_Read
 * parsed it (or NULL): -c COMMAND, -m MODULE, or a file; none of them:
 * standard input. Kept as wide strings until the interpreter runs: no
 * conversion function of CPython's may be called before it is
 * initialised (Py_EncodeLocale faults there on CPython 3.13). */
static struct {
        wchar_t *command, *module, *filename;
} child_run;

static wchar_t *
copy_of (const wchar_t *text)
{
        wchar_t *copy = text ? wcsdup (text) : NULL;
        if (text && !copy)
                fail_now ("out of memory");
        return copy;
}

/* A Python str of a wide string, or None (a new reference). */
static PyObject *
str_or_none (const wchar_t *text)
{
        return text ? PyUnicode_FromWideChar (text, -1) : Py_NewRef (Py_None);
}

/* The main runner's argv for python: SCRIPT or -m, then the script's
 * arguments; runpy sets the module's path. */
static PyStatus
set_script_argv (PyConfig *pc, const struct runner_args *args)
{
        pc->parse_argv = 0;
        /* sys.path[0] is set to the script's directory by bootstrap.py
         * (CPython 3.10's initialisation never sets it: only its main does). */
#if PY_VERSION_HEX >= 0x030B0000
        pc->safe_path = 1;
#endif
        int argc = args->script_argc + 1;
        char **argv = calloc ((size_t) argc + 1, sizeof *argv);
        if (!argv)
                fail_now ("out of memory");
        argv[0] = (char *) (args->module ? "-m" : args->script);
        for (int i = 0; i < args->script_argc; i++)
                argv[i + 1] = args->script_argv[i];
        PyStatus status = PyConfig_SetBytesArgv (pc, argc, argv);
        free (argv);
        return status;
}

/* A child's: python's own command line, parsed by CPython as python
 * would (-c, -m, -B, -s, -u, -E, -I, -X, -W, ...). */
static PyStatus
set_child_argv (PyConfig *pc, const struct runner_args *args)
{
        pc->parse_argv = 1;
        int argc = args->script_argc + 1;
        char **argv = calloc ((size_t) argc + 1, sizeof *argv);
        if (!argv)
                fail_now ("out of memory");
        argv[0] = (char *) args->python_executable;
        for (int i = 0; i < args->script_argc; i++)
                argv[i + 1] = args->script_argv[i];
        PyStatus status = PyConfig_SetBytesArgv (pc, argc, argv);
        free (argv);
        if (PyStatus_Exception (status))
                return status;
        status = PyConfig_Read (pc);
        if (PyStatus_IsExit (status)) {
                /* --version, --help, a bad option: done, as python is. */
                atomic_store (&channel->script_status, status.exitcode);
                atomic_store (&channel->outcome, OUTCOME_EXIT);
                atomic_store (&channel->phase, PHASE_DONE);
                Py_ExitStatusException (status);
        }
        if (PyStatus_Exception (status))
                return status;
        child_run.command = copy_of (pc->run_command);
        child_run.module = copy_of (pc->run_module);
        child_run.filename = copy_of (pc->run_filename);
        return status;
}

static void
start_interpreter (void)
{
        const struct runner_args *args = config->args;
        PyStatus status;
        PyConfig pc;
        PyConfig_InitPythonConfig (&pc);
        pc.install_signal_handlers = 1;

        /* With the venv's interpreter as program name and executable, the
         * path computation finds its pyvenv.cfg: the script sees the
         * venv's packages exactly as its own python would. */
        status = PyConfig_SetBytesString (&pc, &pc.program_name, args->python_executable);
        if (PyStatus_Exception (status))
                goto fail;
        status = PyConfig_SetBytesString (&pc, &pc.executable, args->python_executable);
        if (PyStatus_Exception (status))
                goto fail;
        status = args->child ? set_child_argv (&pc, args) : set_script_argv (&pc, args);
        if (PyStatus_Exception (status))
                goto fail;

        if (PyImport_AppendInittab ("_qgc", qgc_init) < 0)
                fail_now ("cannot register the runner module");
        status = Py_InitializeFromConfig (&pc);
        if (PyStatus_Exception (status))
                goto fail;
        PyConfig_Clear (&pc);
        return;
fail:
        PyConfig_Clear (&pc);
        {
                char msg[CHANNEL_TEXT_SIZE];
                snprintf (msg, sizeof msg, "cannot start Python (%s): %s",
                          args->python_executable, status.err_msg ? status.err_msg : "unknown error");
                fail_now (msg);
        }
}

static PyObject *
load_bootstrap (void)
{
        PyObject *code = Py_CompileString (bootstrap_source, "<qgc-check bootstrap>", Py_file_input);
        PyObject *module = code ? PyImport_ExecCodeModule ("_qgc_bootstrap", code) : NULL;
        Py_XDECREF (code);
        return module;
}

static bool
deadline_passed (void)
{
        double duration = config->args->duration;
        int64_t app_ns = atomic_load (&channel->app_ns);
        return duration > 0 && app_ns && channel_now_ns () - app_ns > (int64_t) (duration * 1e9);
}

/* The script (a child's: python's command line), then, for a bug-report
 * snippet that built its objects and returned, an event loop under
 * stress. */
static void
run_script (int *outcome_out, int *status_out)
{
        int outcome = OUTCOME_CANNOT_RUN, status = 1;
        PyObject *r;
        if (config->args->child) {
                PyObject *command = str_or_none (child_run.command), *module = str_or_none (child_run.module),
                         *filename = str_or_none (child_run.filename);
                r = command && module && filename
                            ? PyObject_CallMethod (bootstrap, "run_child", "OOO", command, module, filename)
                            : NULL;
                Py_XDECREF (command);
                Py_XDECREF (module);
                Py_XDECREF (filename);
        } else {
                r = PyObject_CallMethod (bootstrap, config->args->module ? "run_module" : "run_script", "s",
                                         config->args->script);
        }
        if (!r || !PyArg_ParseTuple (r, "ii", &outcome, &status))
                PyErr_Print ();
        Py_XDECREF (r);

        /* A bug-report snippet builds its objects and returns: give the
         * timers, queued calls and deleteLater() their loop, under stress.
         * Not a child of the run: its parent waits for it to end. */
        if (!config->args->child && outcome == OUTCOME_RETURNED && binding_name[0] &&
            !atomic_load (&channel->loop_ran) &&
            config->args->duration > 0 && !deadline_passed ()) {
                r = PyObject_CallMethod (bootstrap, "tool_loop", NULL);
                if (!r)
                        PyErr_Print ();
                Py_XDECREF (r);
        }
        *outcome_out = outcome;
        *status_out = status;
}

/* Who writes the channel: python's command line as this process got it. */
static void
identify (void)
{
        const struct runner_args *args = config->args;
        if (args->child) {
                process_identify (channel, PROCESS_EXEC, args->python_executable, args->script_argc,
                                  args->script_argv);
                return;
        }
        char *head[] = { (char *) "-m", (char *) args->script };
        process_identify (channel, PROCESS_MAIN, args->python_executable, args->module ? 2 : 1,
                          args->module ? head : head + 1);
        for (int i = 0; i < args->script_argc; i++)
                process_identify_append (channel, args->script_argv[i]);
}

_Noreturn void
runner_main (const struct runner_config *cfg)
{
        config = cfg;
        channel = cfg->channel;
        host.duration_s = cfg->args->duration;
        host.thread_block_offset = (char *) probe_thread_block - (char *) __builtin_thread_pointer ();
        host.thread_block_size = sizeof probe_thread_block;
        /* Only a test run of the program itself names tests: not one that
         * started qgc-check (our own suite does). A child of the run keeps
         * the test that started it. */
        if (!cfg->args->child)
                unsetenv ("PYTEST_CURRENT_TEST");
        identify ();
        atomic_store (&channel->runner_pid, getpid ());
        atomic_store (&channel->start_ns, channel_now_ns ());
        /* The GUI thread's name in stack dumps (its comm stays the program's). */
        channel_add_thread (channel, (uint64_t) pthread_self (), getpid (), "MainThread");

        start_interpreter ();
        unwind_init ();
        crash_install (channel);
        pthread_atfork (NULL, NULL, forked_child);
        if (!pyhost_init (channel)) {
                PyErr_Print ();
                fail_now ("cannot install the garbage collector callbacks");
        }
        /* --mitigate: the known workaround, installed before the script
         * runs: no automatic collection; the GUI tick collects instead. */
        if (cfg->args->mitigate)
                PyGC_Disable ();
        bootstrap = load_bootstrap ();
        if (!bootstrap) {
                PyErr_Print ();
                fail_now ("cannot start the runner (bootstrap failed)");
        }
        if (analysing ())
                call_bootstrap ("_virtual_gc", NULL);

        int outcome = OUTCOME_CANNOT_RUN, status = 1;
        run_script (&outcome, &status);
        atomic_store (&script_ended, true);

        /* The script's teardown (atexit) runs unstressed, and the main
         * module stays alive: no widget tree becomes garbage here. */
        stress_join ();
        if (analysing () && binding_name[0])
                call_bootstrap ("at_risk_tick", Py_True); /* what is left */
        atomic_store (&channel->phase, PHASE_TEARDOWN);
        atomic_store (&channel->outcome, (uint32_t) outcome);
        atomic_store (&channel->script_status, status == RUNNER_INTERRUPTED ? 130 : status);
        /* Leave as `python3 SCRIPT` does: wait for the script's non-daemon
         * threads, run its atexit handlers, finalize its modules (their
         * objects' __del__, unclosed files flushed). From here on the
         * probe's hooks no longer read Python state. */
        Py_XDECREF (bootstrap);
        bootstrap = NULL;
        pyhost_finalizing ();
        if (Py_FinalizeEx () < 0 && status == 0)
                status = 120; /* what python3 exits with when flushing fails */
        if (!detached)
                channel_describe_native_stacks (channel, describe_native);
        atomic_store (&channel->phase, PHASE_DONE);
        fflush (NULL);
        if (status == RUNNER_INTERRUPTED) {
                /* An uncaught KeyboardInterrupt: python3 dies of SIGINT,
                 * so that its parent (a shell, here the supervisor) knows
                 * the user interrupted it. */
                signal (SIGINT, SIG_DFL);
                raise (SIGINT);
                status = 130;
        }
        atomic_store (&channel->script_status, status);
        crash_let_dump_finish ();
        _exit (status);
}
