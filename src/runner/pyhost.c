/* SPDX-License-Identifier: MIT */
/* pyhost.c: Python-side facts for the probe (see pyhost.h). */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <stdatomic.h>

#include "runner/pyhost.h"
#include "runner/kept.h"
#include "common/pyframe.h"

#include <opcode.h>

#include <pthread.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FRAMES PYFRAME_STACK_DEPTH
#define STACK_BUCKETS (1u << 15)

static struct channel *channel;
static unsigned long main_ident;
static PyObject *original_collect;
static void (*resolver) (void);

void
pyhost_set_resolver (void (*resolve) (void))
{
        resolver = resolve;
}

static _Thread_local int gc_generation = -1;
static _Thread_local uint32_t gc_trigger;
/* Who started the collection running in this thread: the interpreter by
 * its thresholds, the app's gc.collect(), or the tool in the app's stead
 * (the at-risk reading of --threads 0 and --strict, --mitigate's
 * collector), which stands for an automatic one. */
enum collect_origin { COLLECT_AUTOMATIC = 0, COLLECT_APP, COLLECT_TOOL };
static _Thread_local enum collect_origin collect_origin;
static _Thread_local uint32_t cached_thread_name;
static _Thread_local uint32_t gc_start_stack;
static _Thread_local bool known_python; /* has had a Python thread state */
/* The interpreter is being finalized: hooks no longer read its state. */
static atomic_bool finalizing;

void
pyhost_finalizing (void)
{
        atomic_store (&finalizing, true);
}
/* Collections running now, in any thread: while one runs elsewhere, the
 * binding may have released the GIL inside a C++ destructor there. */
static atomic_uint collections_running;

static uint32_t stack_text (void);

bool
pyhost_is_main_thread (void)
{
        return PyThread_get_thread_ident () == main_ident;
}

/* The bracket of a collection in this thread: what dies inside is the
 * collector's doing (gc.callbacks' "start" and "stop", and the at-risk
 * reading's own freeing). */
static void
collection_begin (int generation)
{
        /* A thread still running while the interpreter finalizes (a daemon
         * collecting) still brackets its collections, so that what dies in
         * them is not taken for a dropped reference; it reads nothing else
         * then. */
        bool finalized = atomic_load (&finalizing);
        gc_generation = generation;
        gc_trigger = collect_origin == COLLECT_APP ? GC_TRIGGER_EXPLICIT : GC_TRIGGER_AUTOMATIC;
        atomic_fetch_add (&collections_running, 1);
        atomic_store (&channel->collecting_tid, (int32_t) syscall (SYS_gettid));
        if (finalized)
                return;
        known_python = true;
        /* A callback of the collector: allocating here starts no
         * collection (one is running). */
        gc_start_stack = stack_text ();
        atomic_fetch_add (&channel->stats.collections, 1);
        bool off_gui = !pyhost_is_main_thread ();
        if (off_gui)
                atomic_fetch_add (&channel->stats.collections_off_gui, 1);
        if (collect_origin == COLLECT_AUTOMATIC) {
                atomic_fetch_add (&channel->stats.collections_automatic, 1);
                if (off_gui)
                        atomic_fetch_add (&channel->stats.collections_automatic_off_gui, 1);
                if (atomic_load (&channel->app_exists)) {
                        atomic_fetch_add (&channel->stats.collections_automatic_app, 1);
                        if (off_gui)
                                atomic_fetch_add (&channel->stats.collections_automatic_app_off_gui, 1);
                }
        }
        if (resolver)
                resolver ();
}

static void
collection_end (void)
{
        atomic_fetch_sub (&collections_running, 1);
        atomic_store (&channel->collecting_tid, 0);
        gc_generation = -1;
        gc_trigger = GC_TRIGGER_NONE;
        gc_start_stack = 0;
}

/* gc.callbacks entry: brackets every collection, in the collecting
 * thread. Called with the GIL held. */
static PyObject *
gc_callback (PyObject *self, PyObject *args)
{
        PyObject *phase, *info;
        if (!PyArg_ParseTuple (args, "OO", &phase, &info))
                return NULL;
        if (PyUnicode_CompareWithASCIIString (phase, "start") == 0) {
                PyObject *gen = PyDict_GetItemString (info, "generation");
                collection_begin (gen ? (int) PyLong_AsLong (gen) : 2);
        } else if (gc_generation >= 0) {
                collection_end ();
        }
        Py_RETURN_NONE;
}

/* gc.collect() wrapper: tells explicit collections from automatic ones. */
static PyObject *
collect_wrapper (PyObject *self, PyObject *args, PyObject *kwargs)
{
        enum collect_origin saved = collect_origin;
        collect_origin = COLLECT_APP;
        PyObject *r = PyObject_Call (original_collect, args, kwargs);
        collect_origin = saved;
        return r;
}

PyObject *
pyhost_tool_collect (PyObject *args)
{
        enum collect_origin saved = collect_origin;
        collect_origin = COLLECT_TOOL;
        PyObject *r = PyObject_Call (original_collect, args, NULL);
        collect_origin = saved;
        return r;
}

/* The at-risk reading's saved garbage is freed here, in the calling thread,
 * as the collector frees it (tp_clear on each object, in the order the
 * collection saved them), and nothing else: a collection would also free
 * cycles other threads left unreachable since the reading, unread. */
struct held_slot {
        PyObject *op;
        Py_ssize_t index;
};

static int
compare_held (const void *a, const void *b)
{
        uintptr_t x = (uintptr_t) ((const struct held_slot *) a)->op;
        uintptr_t y = (uintptr_t) ((const struct held_slot *) b)->op;
        return x < y ? -1 : x > y;
}

struct held_refs {
        struct held_slot *slots;
        Py_ssize_t *refs; /* references from outside the held objects */
        Py_ssize_t n;
};

static int
visit_held (PyObject *op, void *arg)
{
        struct held_refs *h = arg;
        struct held_slot key = { .op = op };
        struct held_slot *at = bsearch (&key, h->slots, (size_t) h->n, sizeof key, compare_held);
        if (at)
                h->refs[at->index]--;
        return 0;
}

/* Whether every held object is referenced only by the list and by other
 * held objects: still unreachable, as the collection found them (nothing
 * took a reference meanwhile: gc.get_objects(), a finalizer). */
static bool
still_unreachable (PyObject *list)
{
        Py_ssize_t n = PyList_GET_SIZE (list);
        struct held_refs h = { .slots = PyMem_Malloc ((size_t) n * sizeof *h.slots + 1),
                               .refs = PyMem_Malloc ((size_t) n * sizeof *h.refs + 1),
                               .n = n };
        bool ok = h.slots && h.refs;
        for (Py_ssize_t i = 0; ok && i < n; i++) {
                PyObject *op = PyList_GET_ITEM (list, i);
                h.slots[i] = (struct held_slot) { op, i };
                h.refs[i] = Py_REFCNT (op) - 1; /* the list's */
                ok = PyObject_IS_GC (op);
        }
        if (ok)
                qsort (h.slots, (size_t) n, sizeof *h.slots, compare_held);
        for (Py_ssize_t i = 1; ok && i < n; i++)
                ok = h.slots[i - 1].op != h.slots[i].op; /* each once */
        for (Py_ssize_t i = 0; ok && i < n; i++) {
                PyObject *op = PyList_GET_ITEM (list, i);
                traverseproc traverse = Py_TYPE (op)->tp_traverse;
                if (traverse)
                        traverse (op, visit_held, &h);
        }
        for (Py_ssize_t i = 0; ok && i < n; i++)
                ok = h.refs[i] == 0;
        PyMem_Free (h.slots);
        PyMem_Free (h.refs);
        return ok;
}

/* Calls each gc.callbacks entry as the collector does: errors are
 * unraisable. */
static void
run_gc_callbacks (const char *phase, int generation, Py_ssize_t collected)
{
        PyObject *gc = PyImport_ImportModule ("gc");
        PyObject *callbacks = gc ? PyObject_GetAttrString (gc, "callbacks") : NULL;
        PyObject *copy = callbacks && PyList_Check (callbacks) ? PyList_GetSlice (callbacks, 0, PY_SSIZE_T_MAX) : NULL;
        PyObject *info = copy ? Py_BuildValue ("{sisnsi}", "generation", generation, "collected", collected,
                                               "uncollectable", 0)
                              : NULL;
        for (Py_ssize_t i = 0; info && i < PyList_GET_SIZE (copy); i++) {
                PyObject *cb = PyList_GET_ITEM (copy, i);
                PyObject *r = PyObject_CallFunction (cb, "sO", phase, info);
                if (!r)
                        PyErr_WriteUnraisable (cb);
                Py_XDECREF (r);
        }
        if (!info)
                PyErr_Clear ();
        Py_XDECREF (info);
        Py_XDECREF (copy);
        Py_XDECREF (callbacks);
        Py_XDECREF (gc);
}

PyObject *
pyhost_tool_free (PyObject *args)
{
        PyObject *list;
        int generation;
        if (!PyArg_ParseTuple (args, "O!i", &PyList_Type, &list, &generation))
                return NULL;
        if (!still_unreachable (list)) {
                /* Let the collector decide what is garbage now: the saved
                 * objects survived into the next generation. */
                if (PyList_SetSlice (list, 0, PyList_GET_SIZE (list), NULL) < 0)
                        return NULL;
                PyObject *gen = Py_BuildValue ("(i)", generation < 2 ? generation + 1 : 2);
                PyObject *r = gen ? pyhost_tool_collect (gen) : NULL;
                Py_XDECREF (gen);
                return r;
        }
        Py_ssize_t n = PyList_GET_SIZE (list);
        enum collect_origin saved = collect_origin;
        collect_origin = COLLECT_TOOL;
        /* gc.callbacks see a collection, the tool's own among them. */
        run_gc_callbacks ("start", generation, 0);
        /* The size again at each step: clearing runs finalizers, which
         * may run any Python code, in any thread. */
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE (list); i++) {
                PyObject *op = PyList_GET_ITEM (list, i); /* its reference is ours now */
                PyList_SET_ITEM (list, i, Py_NewRef (Py_None));
                inquiry clear = Py_TYPE (op)->tp_clear;
                if (clear && clear (op) < 0)
                        PyErr_WriteUnraisable (op);
                Py_DECREF (op);
        }
        run_gc_callbacks ("stop", generation, n);
        collect_origin = saved;
        return PyLong_FromSsize_t (n);
}

static PyMethodDef gc_callback_def = { "qgc_check_gc_callback", gc_callback, METH_VARARGS, NULL };
static PyMethodDef collect_def = { "collect", (PyCFunction) (void (*) (void)) collect_wrapper,
                                   METH_VARARGS | METH_KEYWORDS,
                                   "collect([generation]) -> n\n\nRun the garbage collector." };

bool
pyhost_init (struct channel *ch)
{
        channel = ch;
        main_ident = PyThread_get_thread_ident ();
        PyObject *gc = PyImport_ImportModule ("gc");
        if (!gc)
                return false;
        bool ok = false;
        PyObject *callbacks = PyObject_GetAttrString (gc, "callbacks");
        PyObject *cb = PyCFunction_New (&gc_callback_def, NULL);
        original_collect = PyObject_GetAttrString (gc, "collect");
        PyObject *wrapper = PyCFunction_New (&collect_def, NULL);
        if (callbacks && cb && original_collect && wrapper &&
            PyList_Append (callbacks, cb) == 0 &&
            PyObject_SetAttrString (gc, "collect", wrapper) == 0)
                ok = true;
        Py_XDECREF (wrapper);
        Py_XDECREF (cb);
        Py_XDECREF (callbacks);
        Py_DECREF (gc);
        return ok;
}

/* Frames of the binding and of qgc-check itself are not the user's code. */
static bool
is_user_file (const char *file)
{
        static const char *const skip[] = { "/PyQt6/", "/PySide6/", "/shiboken6/", "/PyQt5/" };
        if (strncmp (file, "<qgc-check", 10) == 0 || strncmp (file, "<frozen ", 8) == 0)
                return false;
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
                if (strstr (file, skip[i]))
                        return false;
        return true;
}

/* A function's name as tracebacks give it: its qualified name from
 * CPython 3.11 on ("Class.method"); CPython 3.10's code objects know only
 * the bare name. */
static PyObject *
code_qualname (PyCodeObject *code)
{
#if PY_VERSION_HEX >= 0x030B0000
        return code->co_qualname;
#else
        return code->co_name;
#endif
}

/* A frame's last instruction as a byte offset, as PyFrame_GetLasti gives
 * it from CPython 3.11 on (3.10 keeps it in code units). */
static inline int
frame_object_lasti (PyFrameObject *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
        return PyFrame_GetLasti (frame);
#else
        return frame->f_lasti < 0 ? -1 : frame->f_lasti * (int) sizeof (_Py_CODEUNIT);
#endif
}

/* Appends the line (common/pyframe.h) of one frame of the user's code. */
static void
format_frame (PyCodeObject *code, int line, char *buf, size_t size, size_t *used)
{
        const char *file = PyUnicode_AsUTF8 (code->co_filename);
        const char *name = PyUnicode_AsUTF8 (code_qualname (code));
        if (!file || !name) {
                PyErr_Clear ();
                return;
        }
        if (!is_user_file (file))
                return;
        pyframe_write (buf, size, used, file, line, name);
}

/* A stack is the sequence of (code object, instruction offset) of its
 * frames, innermost first. Code objects are compared by address: every
 * code object in the cache holds a reference, so an address there always
 * names the same code object (a frame's address says nothing: CPython
 * reuses frames for every call at the same depth). */
struct stack_key {
        int depth;
        struct {
                PyCodeObject *code;
                int lasti;
        } frames[MAX_FRAMES];
};

/* Frames are read where the interpreter keeps them, without making a
 * frame object for each (an allocation per frame, freed as the call
 * returns) and so without allocating or touching a reference count: on
 * CPython 3.11 to 3.13 from its own frame records (internal/pycore_frame.h,
 * whose layout each of these versions names as below), on 3.10 from its
 * frame objects' fields (cpython/frameobject.h), which are its records.
 * The frames and offsets are those of PyEval_GetFrame(), PyFrame_GetBack()
 * and PyFrame_GetLasti(): incomplete frames (a call still setting up,
 * 3.12's and 3.13's shim frames) are skipped, as those do. A later version
 * goes through the public frame objects until its layout is checked. */
#if PY_VERSION_HEX >= 0x030A0000 && PY_VERSION_HEX < 0x030B0000
#define PYHOST_RAW_FRAMES 1
typedef PyFrameObject raw_frame;
#define UNCHECKED_THREAD_STATE() _PyThreadState_UncheckedGet ()

static inline __attribute__ ((always_inline)) raw_frame *
innermost_frame (PyThreadState *ts)
{
        return ts ? ts->frame : NULL;
}

/* The thread's innermost frame, complete or not; ts not NULL. */
static inline __attribute__ ((always_inline)) raw_frame *
top_frame (PyThreadState *ts)
{
        return ts->frame;
}

static raw_frame *
outer_frame (raw_frame *f)
{
        return f->f_back;
}

/* 3.10 keeps no incomplete frames in a thread's chain. */
static inline __attribute__ ((always_inline)) raw_frame *
complete_frame (raw_frame *f)
{
        return f;
}

static inline __attribute__ ((always_inline)) raw_frame *
frame_previous (raw_frame *f)
{
        return f->f_back;
}

static inline __attribute__ ((always_inline)) bool
frame_incomplete (raw_frame *f)
{
        (void) f;
        return false;
}

static inline __attribute__ ((always_inline)) const void *
frame_instr (raw_frame *f)
{
        return (const void *) (intptr_t) f->f_lasti;
}

static inline __attribute__ ((always_inline)) PyCodeObject *
frame_code (raw_frame *f)
{
        return f->f_code;
}

static int
frame_lasti (raw_frame *f)
{
        return f->f_lasti < 0 ? -1 : f->f_lasti * (int) sizeof (_Py_CODEUNIT);
}

/* Its first local: 3.10 keeps an argument that a closure uses in a cell
 * elsewhere, and this slot empty. */
static PyObject *
frame_first_local (raw_frame *f)
{
        return f->f_localsplus[0];
}
#elif PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
#define PYHOST_RAW_FRAMES 1
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
typedef _PyInterpreterFrame raw_frame;
#if PY_VERSION_HEX >= 0x030D0000
#define CURRENT_FRAME(ts) ((ts)->current_frame)
#define FRAME_CODE(f) ((PyCodeObject *) (f)->f_executable)
#define UNCHECKED_THREAD_STATE() PyThreadState_GetUnchecked ()
#else
#define CURRENT_FRAME(ts) ((ts)->cframe->current_frame)
#define FRAME_CODE(f) ((f)->f_code)
#define UNCHECKED_THREAD_STATE() _PyThreadState_UncheckedGet ()
#endif

static inline __attribute__ ((always_inline)) raw_frame *
complete_frame (raw_frame *f)
{
        while (f && _PyFrame_IsIncomplete (f))
                f = f->previous;
        return f;
}

static inline __attribute__ ((always_inline)) raw_frame *
frame_previous (raw_frame *f)
{
        return f->previous;
}

static inline __attribute__ ((always_inline)) bool
frame_incomplete (raw_frame *f)
{
        return _PyFrame_IsIncomplete (f);
}

/* The frame's own record of its instruction, compared as it is. */
static inline __attribute__ ((always_inline)) const void *
frame_instr (raw_frame *f)
{
#if PY_VERSION_HEX >= 0x030D0000
        return f->instr_ptr;
#else
        return f->prev_instr;
#endif
}

/* The innermost complete frame of a thread; GIL held. */
static inline __attribute__ ((always_inline)) raw_frame *
innermost_frame (PyThreadState *ts)
{
        return ts ? complete_frame (CURRENT_FRAME (ts)) : NULL;
}

/* The thread's innermost frame, complete or not; ts not NULL. */
static inline __attribute__ ((always_inline)) raw_frame *
top_frame (PyThreadState *ts)
{
        return CURRENT_FRAME (ts);
}

static raw_frame *
outer_frame (raw_frame *f)
{
        return complete_frame (f->previous);
}

static inline __attribute__ ((always_inline)) PyCodeObject *
frame_code (raw_frame *f)
{
        return FRAME_CODE (f);
}

static int
frame_lasti (raw_frame *f)
{
        int lasti = _PyInterpreterFrame_LASTI (f);
        return lasti < 0 ? -1 : lasti * (int) sizeof (_Py_CODEUNIT);
}

/* Its first local, through its cell if a closure uses it. */
static PyObject *
frame_first_local (raw_frame *f)
{
        PyObject *v = f->localsplus[0];
        if (v && (PyBytes_AS_STRING (frame_code (f)->co_localspluskinds)[0] & 0x40 /* CO_FAST_CELL */) &&
            PyCell_Check (v))
                v = PyCell_GET (v);
        return v;
}
#endif

#ifdef PYHOST_RAW_FRAMES
/* Reads a thread's frames (GIL held) into key, the innermost one into
 * *innermost if not null. Borrowed code pointers: the frames keep them
 * alive while the caller looks. Allocates nothing. */
static void
read_stack (PyThreadState *ts, struct stack_key *key, const void **innermost)
{
        raw_frame *f = innermost_frame (ts);
        if (innermost)
                *innermost = f;
        int depth = 0;
        for (; f && depth < MAX_FRAMES; f = outer_frame (f), depth++) {
                key->frames[depth].code = frame_code (f);
                key->frames[depth].lasti = frame_lasti (f);
        }
        key->depth = depth;
}
#else
/* Reads the calling thread's frames (GIL held). Borrowed code pointers:
 * the frames keep them alive while the caller looks. Materialises frame
 * objects: called with automatic collection held off. */
static void
read_stack (PyThreadState *ts, struct stack_key *key, const void **innermost)
{
        (void) ts;
        key->depth = 0;
        PyFrameObject *frame = PyEval_GetFrame ();
        if (innermost)
                *innermost = frame;
        Py_XINCREF (frame);
        while (frame && key->depth < MAX_FRAMES) {
                PyCodeObject *code = PyFrame_GetCode (frame);
                key->frames[key->depth].code = code;
                /* The instruction offset, not the line: computing a line
                 * scans the line table, and only distinct stacks need it. */
                key->frames[key->depth].lasti = frame_object_lasti (frame);
                key->depth++;
                Py_DECREF (code);
                PyFrameObject *back = PyFrame_GetBack (frame);
                Py_DECREF (frame);
                frame = back;
        }
        Py_XDECREF (frame);
}
#endif

#ifdef PYHOST_RAW_FRAMES
/* Frames a site's match may hold, complete or not: at most one shim frame
 * for each complete one, and an incomplete innermost one. */
#define RAW_FRAMES (2 * MAX_FRAMES + 1)

/* f, or the first frame outside it that is not a shim (the frame 3.12
 * and later push where C code calls into Python: never complete, the same
 * wherever it is, so a site's match leaves it out). */
static inline __attribute__ ((always_inline)) raw_frame *
past_shims (raw_frame *f)
{
#if PY_VERSION_HEX >= 0x030C0000
        while (f && f->owner == FRAME_OWNED_BY_CSTACK)
                f = f->previous;
#endif
        return f;
}
#endif

/* What the creation-site check reads for each QObject comes first, in
 * the entry's first cache line (the text and the first six frames'
 * instructions), the key after it. */
struct stack_entry {
        uint32_t text; /* kept.h handle: the channel gets it with a finding */
        bool used;
        bool site_known; /* the text's link, the creation site, is set */
#ifdef PYHOST_RAW_FRAMES
        bool raw_ends;
        int raw_depth;
        /* The thread's frames as they were when the entry last served a
         * site (site_cache), complete or not, but for 3.12's and 3.13's
         * shim frames (past_shims): each one's instruction and code as the
         * frame records them (a pointer, or 3.10's offset), so that
         * same_frames compares them with no arithmetic and no question;
         * from 3.11 on the instructions alone (same_point). The chain
         * ended after raw_depth frames if raw_ends; else the frames beyond
         * do not change the key (it holds MAX_FRAMES already). */
        const void *match_instr[RAW_FRAMES];
        const void *match_code[RAW_FRAMES];
#endif
        struct stack_key key;
} __attribute__ ((aligned (64)));

/* Distinct creation stacks are few; objects are many: the text of each
 * distinct stack is formatted and kept (kept.h) once. Only touched with
 * the GIL held. */
static struct stack_entry *stack_cache;

static uint32_t
hash_key (const struct stack_key *k)
{
        uint64_t h = 1469598103934665603ull;
        for (int i = 0; i < k->depth; i++) {
                h = (h ^ (uintptr_t) k->frames[i].code) * 1099511628211ull;
                h = (h ^ (uint64_t) k->frames[i].lasti) * 1099511628211ull;
        }
        return (uint32_t) (h ^ (h >> 32));
}

static bool
same_stack (const struct stack_key *a, const struct stack_key *b)
{
        if (a->depth != b->depth)
                return false;
        for (int i = 0; i < a->depth; i++)
                if (a->frames[i].code != b->frames[i].code || a->frames[i].lasti != b->frames[i].lasti)
                        return false;
        return true;
}

/* Reading frames may materialise frame objects, and formatting a stack
 * reads Python strings (which may allocate): inside a Qt hook an
 * allocation must not start a collection (its destructions would run
 * inside the hook, unreported). Automatic collection is held off while
 * the calling thread, holding the GIL, reads its own state: no other
 * thread can observe the switch. */
struct quiet {
        int gc_was_enabled;
        PyObject *et, *ev, *tb;
};

static void
quiet_begin (struct quiet *q)
{
        q->gc_was_enabled = PyGC_Disable ();
        PyErr_Fetch (&q->et, &q->ev, &q->tb);
}

static void
quiet_end (struct quiet *q)
{
        PyErr_Restore (q->et, q->ev, q->tb);
        if (q->gc_was_enabled)
                PyGC_Enable ();
}

/* The kept text of a stack read by read_stack, or 0: cached, so that
 * only a stack not seen before is formatted (automatic collection held
 * off meanwhile). Its cache entry in *entry if it has one (entries stay
 * where they are for the life of the process). */
static uint32_t
stack_id (const struct stack_key *key, struct stack_entry **entry)
{
        *entry = NULL;
        if (key->depth == 0)
                return 0;
        if (!stack_cache)
        {
                /* Zero pages, aligned to the entries' cache lines, touched
                 * only where entries are made. */
                void *m = mmap (NULL, STACK_BUCKETS * sizeof *stack_cache, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                stack_cache = m == MAP_FAILED ? NULL : m;
        }
        struct stack_entry *e = NULL;
        if (stack_cache) {
                uint32_t h = hash_key (key);
                for (uint32_t i = 0; i < 64; i++) {
                        struct stack_entry *c = &stack_cache[(h + i) & (STACK_BUCKETS - 1)];
                        if (!c->used || same_stack (&c->key, key)) {
                                e = c;
                                break;
                        }
                }
                if (e && e->used) {
                        *entry = e;
                        return e->text;
                }
        }
        struct quiet q;
        quiet_begin (&q);
        char text[4096];
        size_t used = 0;
        text[0] = '\0';
        for (int i = 0; i < key->depth; i++)
                format_frame (key->frames[i].code, PyCode_Addr2Line (key->frames[i].code, key->frames[i].lasti),
                              text, sizeof text, &used);
        uint32_t id = kept_add (text);
        if (e) {
                for (int i = 0; i < key->depth; i++)
                        Py_INCREF (key->frames[i].code);
                e->key = *key;
                e->text = id;
                e->used = true;
                e->site_known = false;
                *entry = e;
        }
        quiet_end (&q);
        return id;
}

/* The kept text of the calling thread's Python stack, or 0 (GIL held). */
static uint32_t
stack_text (void)
{
        struct stack_key key;
#ifdef PYHOST_RAW_FRAMES
        read_stack (UNCHECKED_THREAD_STATE (), &key, NULL);
#else
        struct quiet q;
        quiet_begin (&q);
        read_stack (NULL, &key, NULL);
        quiet_end (&q);
#endif
        struct stack_entry *e;
        return stack_id (&key, &e);
}

#ifdef PYHOST_RAW_FRAMES
/* Creation sites, by innermost frame (code object, instruction):
 * the stack cache entry last seen there. An object made at the same site
 * from the same callers (the common case: a loop) is matched frame by
 * frame against that entry, without building and hashing a key. Only
 * touched with the GIL held. */
#define SITE_BUCKETS 4096u
static const struct stack_entry *site_cache[SITE_BUCKETS];

static uint32_t
site_hash (const PyCodeObject *code, const void *instr)
{
        uint64_t h = ((uintptr_t) code >> 4) ^ ((uint64_t) (uintptr_t) instr << 20);
        return (uint32_t) ((h * 0x9e3779b97f4a7c15ull) >> 52) & (SITE_BUCKETS - 1);
}

/* Is the frame at this code object's instruction? From 3.11 on, the
 * instruction a frame records points into its code object's own bytecode
 * (co_code_adaptive is part of the object), so it names the code object
 * too: one comparison per frame. 3.10 records an offset. */
static inline __attribute__ ((always_inline)) bool
same_point (raw_frame *f, const void *code, const void *instr)
{
#if PY_VERSION_HEX >= 0x030B0000
        (void) code;
        return frame_instr (f) == instr;
#else
        return frame_code (f) == code && frame_instr (f) == instr;
#endif
}

/* Are the frames from f outwards those the entry matched, f having
 * matched the innermost one already? On every QObject made at a known
 * site. The same frames, complete or not, read as read_stack reads them,
 * make the same key. */
static inline bool
same_frames (const struct stack_entry *e, raw_frame *f)
{
        for (int i = 1; i < e->raw_depth; i++) {
                f = past_shims (frame_previous (f));
                if (!f || !same_point (f, e->match_code[i], e->match_instr[i]))
                        return false;
        }
        return !e->raw_ends || past_shims (frame_previous (f)) == NULL;
}

/* The frames from top outwards into e's match, made site's entry, if top
 * is complete and there are not too many frames before the key is. */
static void
serve_site (struct stack_entry *e, raw_frame *top, const struct stack_entry **site)
{
        if (frame_incomplete (top))
                return; /* the fast path takes the innermost frame for complete */
        int n = 0, complete = 0;
        raw_frame *f = top;
        for (; f && n < RAW_FRAMES; f = past_shims (frame_previous (f))) {
                if (complete == MAX_FRAMES)
                        break;
                e->match_code[n] = frame_code (f);
                e->match_instr[n] = frame_instr (f);
                n++;
                if (!frame_incomplete (f))
                        complete++;
        }
        if (f && complete < MAX_FRAMES)
                return; /* too many incomplete frames: not served */
        e->raw_depth = n;
        e->raw_ends = f == NULL;
        *site = e;
}
#endif


/* --- creation sites ---------------------------------------------------
 *
 * The site of an object is the call that made it: the innermost frame
 * outside the object's own construction. `return Probe(n)` runs
 * Probe.__init__, whose `super().__init__()` builds the QObject: the
 * frames from the innermost one calling an `__init__` outwards, as long
 * as their first argument is that frame's (the object: its subclasses'
 * __init__ through super(), mixins, helpers they call on it), are its
 * construction; the next frame is the site. An innermost frame calling
 * anything else (`QTimer()`, also in another object's __init__) is the
 * site itself. Worked out once per distinct stack (the cache's entry);
 * the site is a kept string linked to the stack's (kept.h). */

#if PY_VERSION_HEX >= 0x030B0000
/* The name of co_names[i], or NULL. */
static PyObject *
code_name (PyCodeObject *code, unsigned i)
{
        return i < (unsigned) PyTuple_GET_SIZE (code->co_names) ? PyTuple_GET_ITEM (code->co_names, i) : NULL;
}

/* Does the instruction at unit i (bytecode as PyCode_GetCode gives it:
 * opcode and argument bytes, no specialisation) load an attribute
 * `__init__`? */
static bool
loads_init (PyCodeObject *code, const unsigned char *units, int i)
{
        unsigned op = units[2 * i], arg = units[2 * i + 1];
        for (int j = i - 1, shift = 8; j >= 0 && units[2 * j] == EXTENDED_ARG; j--, shift += 8)
                arg |= (unsigned) units[2 * j + 1] << shift;
        PyObject *name = NULL;
#ifdef LOAD_METHOD
        if (op == LOAD_METHOD)
                name = code_name (code, arg);
#endif
#if PY_VERSION_HEX >= 0x030C0000
        if (op == LOAD_ATTR)
                name = code_name (code, arg >> 1);
        if (op == LOAD_SUPER_ATTR) /* super().__init__ from 3.12 */
                name = code_name (code, arg >> 2);
#else
        if (op == LOAD_ATTR)
                name = code_name (code, arg);
#endif
        return name && PyUnicode_Check (name) && PyUnicode_CompareWithASCIIString (name, "__init__") == 0;
}

/* Is the call at byte offset lasti a call of an `__init__` (super()'s,
 * a base class's)? Told from the source positions of the instructions
 * (3.11+): the callable is the expression that starts where the call
 * starts and ends before it does; its last instruction is the first such
 * one before the call. False when positions are off (-X
 * no_debug_ranges): the innermost frame is the site then. */
static bool
calls_init (PyCodeObject *code, int lasti)
{
        int line, col, end_line, end_col;
        if (lasti < 0 || !PyCode_Addr2Location (code, lasti, &line, &col, &end_line, &end_col) || col < 0)
                return false;
        PyObject *bytes = PyCode_GetCode (code);
        if (!bytes) {
                PyErr_Clear ();
                return false;
        }
        const unsigned char *units = (const unsigned char *) PyBytes_AS_STRING (bytes);
        bool init = false;
        for (int i = lasti / 2 - 1; i >= 0; i--) {
                int l, c, el, ec;
                /* CPython 3.13 pushes the call's NULL after the callable,
                 * with the callable's positions. */
                if (units[2 * i] == CACHE || units[2 * i] == EXTENDED_ARG || units[2 * i] == PUSH_NULL ||
                    !PyCode_Addr2Location (code, 2 * i, &l, &c, &el, &ec) || l < 0 || c < 0)
                        continue;
                if (l < line || (l == line && c < col))
                        break; /* before the call's expression */
                if (l != line || c != col || el > end_line || (el == end_line && ec >= end_col))
                        continue; /* an argument, or the call itself */
                init = loads_init (code, units, i);
                break;
        }
        Py_DECREF (bytes);
        return init;
}
#else
/* CPython 3.10 keeps no source positions of instructions: the innermost
 * frame is the site (its name alone cannot tell `super().__init__()` from
 * `self.label = QLabel()` in another object's __init__). */
static bool
calls_init (PyCodeObject *code, int lasti)
{
        (void) code;
        (void) lasti;
        return false;
}
#endif

/* Is it a frame of the user's code, one that format_frame writes? */
static bool
is_user_code (PyCodeObject *code)
{
        const char *file = PyUnicode_AsUTF8 (code->co_filename);
        bool user = file && PyUnicode_AsUTF8 (code_qualname (code)) && is_user_file (file);
        PyErr_Clear ();
        return user;
}

#ifdef PYHOST_RAW_FRAMES
/* A frame's first argument (self), through its cell if a closure uses
 * it; NULL if it has none. Borrowed. */
static PyObject *
first_argument (raw_frame *f)
{
        PyCodeObject *code = frame_code (f);
        if (code->co_argcount < 1)
                return NULL;
        return frame_first_local (f);
}

/* The creation site of the object whose constructor runs under the
 * innermost frame: the number of lines of its stack's text before the
 * site's, -1 if its stack has none. GIL held, automatic collection held
 * off. */
static int
creation_site (raw_frame *innermost)
{
        raw_frame *f = innermost;
        PyObject *self = calls_init (frame_code (f), frame_lasti (f)) ? first_argument (f) : NULL;
        int depth = 0, lines = 0;
        for (; self && f && depth < MAX_FRAMES && first_argument (f) == self; f = outer_frame (f), depth++)
                lines += is_user_code (frame_code (f));
        return f && depth < MAX_FRAMES ? lines : -1;
}
#else
/* The same through frame objects: the first argument's value needs
 * PyFrame_GetVar (3.12); earlier versions keep the innermost frame. */
static PyObject *
first_argument (PyFrameObject *frame, PyCodeObject *code)
{
#if PY_VERSION_HEX >= 0x030C0000
        if (code->co_argcount < 1)
                return NULL;
        PyObject *names = PyCode_GetVarnames (code);
        PyObject *v = names && PyTuple_GET_SIZE (names) ? PyFrame_GetVar (frame, PyTuple_GET_ITEM (names, 0)) : NULL;
        Py_XDECREF (names);
        Py_XDECREF (v); /* the frame's local keeps it alive */
        PyErr_Clear ();
        return v;
#else
        (void) frame;
        (void) code;
        return NULL;
#endif
}

static int
creation_site (void)
{
        PyFrameObject *frame = PyEval_GetFrame ();
        Py_XINCREF (frame);
        PyObject *self = NULL;
        int depth = 0, lines = 0;
        for (; frame && depth < MAX_FRAMES; depth++) {
                PyCodeObject *code = PyFrame_GetCode (frame);
                if (depth == 0)
                        self = calls_init (code, frame_object_lasti (frame)) ? first_argument (frame, code) : NULL;
                bool constructing = self && first_argument (frame, code) == self;
                lines += constructing && is_user_code (code);
                Py_DECREF (code);
                if (!constructing)
                        break;
                PyFrameObject *back = PyFrame_GetBack (frame);
                Py_DECREF (frame);
                frame = back;
        }
        bool found = frame && depth < MAX_FRAMES;
        Py_XDECREF (frame);
        PyErr_Clear ();
        return found ? lines : -1;
}
#endif

/* The stack (kept) made an object whose creation site is its line
 * number `site` (-1: none). */
static void
link_site (uint32_t stack, struct stack_entry *e, int site)
{
        if (site >= 0)
                kept_set_site (stack, (unsigned) site);
        if (e)
                e->site_known = true;
}

#ifdef PYHOST_RAW_FRAMES
/* pthread_self(), without the call: glibc on x86-64 makes a thread's
 * pthread_t the address of its thread control block, which the thread
 * pointer holds. */
static inline unsigned long
this_pthread (void)
{
#if defined(__x86_64__) && defined(__GLIBC__)
        return (unsigned long) __builtin_thread_pointer ();
#else
        return (unsigned long) pthread_self ();
#endif
}

/* Does this thread hold the GIL? PyGILState_Check() without its
 * thread-specific-data lookup, on every QObject made: ts, the thread state
 * that holds the GIL (3.10 and 3.11: the runtime's current one; 3.12 and
 * later: this thread's attached one, NULL while it has released the GIL),
 * is this thread's. */
static inline bool
holds_gil (PyThreadState *ts)
{
#if PY_VERSION_HEX >= 0x030C0000
        return ts != NULL;
#else
        return ts && ts->thread_id == this_pthread ();
#endif
}

/* Inside a Python call that released the GIL (a blocking binding call,
 * QThreadPool.start(), making objects in C++): this thread's own frames
 * cannot change before it takes the GIL back. Where the call is, without
 * its text: once it has returned, its objects are complete and any thread
 * holding the GIL may name them. */
static __attribute__ ((noinline, cold)) void
capture_without_gil (struct probe_frame_point *at)
{
        PyThreadState *own = PyGILState_GetThisThreadState ();
        raw_frame *f = own ? innermost_frame (own) : NULL;
        if (f) {
                at->frame = f;
                at->code = frame_code (f);
                at->instr = frame_instr (f);
        }
}

/* A creation stack the site cache did not match: read, interned, its
 * creation site worked out if it is new, and the entry made the site's. */
static __attribute__ ((noinline, cold)) uint32_t
capture_new_site (PyThreadState *ts, raw_frame *top, raw_frame *innermost, const struct stack_entry **site)
{
        struct stack_key key;
        struct stack_entry *e;
        read_stack (ts, &key, NULL);
        uint32_t stack = stack_id (&key, &e);
        if (!e || !e->site_known) {
                struct quiet q;
                quiet_begin (&q);
                int site_line = creation_site (innermost);
                quiet_end (&q);
                link_site (stack, e, site_line);
        }
        if (e)
                serve_site (e, top, site);
        return stack;
}
#endif

/* No creation stack, no frame. */
static inline void
capture_nothing (uint32_t *stack, struct probe_frame_point *at)
{
        *stack = 0;
        at->frame = NULL;
        at->code = NULL;
        at->instr = NULL;
}

void
pyhost_capture_creation (uint32_t *stack, struct probe_frame_point *at)
{
        /* Only a thread that already holds the GIL runs Python code now;
         * a hook never waits for it. */
        if (atomic_load (&finalizing)) {
                capture_nothing (stack, at);
                return;
        }
#ifdef PYHOST_RAW_FRAMES
        PyThreadState *ts = UNCHECKED_THREAD_STATE ();
        if (!holds_gil (ts)) {
                capture_nothing (stack, at);
                capture_without_gil (at);
                return;
        }
        /* The site is the innermost frame as it is, complete or not (the
         * hook runs in a call it makes: nearly always complete). */
        raw_frame *top = top_frame (ts);
        if (!top) {
                capture_nothing (stack, at);
                return;
        }
        const void *code = frame_code (top), *instr = frame_instr (top);
        const struct stack_entry **site = &site_cache[site_hash (code, instr)];
        const struct stack_entry *e = *site;
        if (e && same_point (top, e->match_code[0], e->match_instr[0]) && same_frames (e, top)) {
                at->frame = top;
                at->code = code;
                at->instr = instr;
                *stack = e->text;
                return;
        }
        raw_frame *innermost = innermost_frame (ts);
        if (!innermost) {
                capture_nothing (stack, at);
                return;
        }
        at->frame = innermost;
        at->code = frame_code (innermost);
        at->instr = frame_instr (innermost);
        *stack = capture_new_site (ts, top, innermost, site);
#else
        capture_nothing (stack, at);
        if (!PyGILState_Check ())
                return;
        struct stack_key key;
        struct stack_entry *e;
        const void *innermost;
        struct quiet q;
        quiet_begin (&q);
        /* The frame objects it materialises live as long as their frames
         * run. */
        read_stack (NULL, &key, &innermost);
        quiet_end (&q);
        *stack = stack_id (&key, &e);
        if (!e || !e->site_known) {
                quiet_begin (&q);
                int site = creation_site ();
                quiet_end (&q);
                link_site (*stack, e, site);
        }
        if (innermost) {
                at->frame = innermost;
                at->code = key.frames[0].code;
                at->instr = (const void *) (intptr_t) key.frames[0].lasti;
        }
#endif
}

/* The thread state of a native thread id: CPython 3.11 keeps the id in it;
 * on 3.10, the Python threads the run recorded (bootstrap.py) map it to
 * threading.get_ident(), which the thread state keeps. */
static PyThreadState *
thread_state_of (pid_t tid)
{
#if PY_VERSION_HEX >= 0x030B0000
        uint64_t want = (uint64_t) tid;
#define THREAD_STATE_KEY(ts) ((uint64_t) (ts)->native_thread_id)
#else
        uint64_t want = 0;
        uint32_t n = atomic_load (&channel->n_threads);
        for (uint32_t i = 0; i < n && i < CHANNEL_MAX_THREADS && !want; i++)
                if (channel->threads[i].tid == tid)
                        want = atomic_load (&channel->threads[i].ident);
        if (!want)
                return NULL;
#define THREAD_STATE_KEY(ts) ((uint64_t) (ts)->thread_id)
#endif
        PyThreadState *ts = PyInterpreterState_ThreadHead (PyInterpreterState_Get ());
        while (ts && THREAD_STATE_KEY (ts) != want)
                ts = PyThreadState_Next (ts);
#undef THREAD_STATE_KEY
        return ts;
}

size_t
pyhost_stack_points (pid_t tid, struct probe_frame_point *out, size_t max)
{
        if (atomic_load (&finalizing))
                return probe_thread_gone;
        PyThreadState *ts = thread_state_of (tid);
        if (!ts)
                return probe_thread_gone;
        /* Another thread's frames, read as sys._current_frames() does: it
         * holds no GIL, so it cannot change them now. */
        size_t n = 0;
#ifdef PYHOST_RAW_FRAMES
        for (raw_frame *f = innermost_frame (ts); f && n < max; f = outer_frame (f), n++) {
                out[n].frame = f;
                out[n].code = frame_code (f);
                out[n].instr = frame_instr (f);
        }
#else
        struct quiet q;
        quiet_begin (&q);
        PyFrameObject *frame = PyThreadState_GetFrame (ts);
        while (frame && n < max) {
                PyCodeObject *code = PyFrame_GetCode (frame);
                out[n].frame = frame;
                out[n].code = code;
                out[n].instr = (const void *) (intptr_t) frame_object_lasti (frame);
                Py_DECREF (code);
                n++;
                PyFrameObject *back = PyFrame_GetBack (frame);
                Py_DECREF (frame);
                frame = back;
        }
        Py_XDECREF (frame);
        quiet_end (&q);
#endif
        return n;
}

/* Python's name for the calling thread, as the thread recorded it when it
 * started (bootstrap.py), read without running Python code. */
static uint32_t
python_thread_name (void)
{
        if (cached_thread_name)
                return cached_thread_name;
        const char *name = channel_thread_name (channel, PyThread_get_thread_ident ());
        if (name)
                cached_thread_name = channel_intern (channel, name);
        else if (pyhost_is_main_thread ())
                cached_thread_name = channel_intern (channel, "MainThread");
        return cached_thread_name;
}

void
pyhost_describe_thread (struct probe_thread_info *info, bool want_stack)
{
        info->gc_generation = gc_generation;
        info->gc_trigger = gc_trigger;
        info->name = 0;
        info->stack = 0;
        /* While the interpreter is finalized (daemon threads still run
         * until they next need the GIL), what the thread was before. */
        if (atomic_load (&finalizing)) {
                /* A thread Python started recorded its name in the channel
                 * as it started (read without Python): it runs Python,
                 * even if no hook saw it before (a daemon thread dropping
                 * references while atexit handlers run). */
                info->name = python_thread_name ();
                info->has_python = known_python || info->name != 0;
                return;
        }
        info->has_python = PyGILState_GetThisThreadState () != NULL;
        if (!info->has_python)
                return;
        info->holds_gil = PyGILState_Check ();
        known_python = true;
        info->name = python_thread_name ();
        if (!want_stack)
                return;
        if (PyGILState_Check ())
                info->stack = stack_text ();
        else if (gc_generation >= 0)
                /* A binding that releases the GIL around C++ destructors
                 * (PySide6): the stack has not changed since the
                 * collection started in this thread. */
                info->stack = gc_start_stack;
}

bool
pyhost_collecting_elsewhere (void)
{
        return atomic_load (&collections_running) > (gc_generation >= 0 ? 1u : 0u);
}

void
pyhost_collect_by_thresholds (void)
{
        PyObject *gc = PyImport_ImportModule ("gc");
        PyObject *count = gc ? PyObject_CallMethod (gc, "get_count", NULL) : NULL;
        PyObject *threshold = gc ? PyObject_CallMethod (gc, "get_threshold", NULL) : NULL;
        int c[3], t[3];
        if (count && threshold && PyArg_ParseTuple (count, "iii", &c[0], &c[1], &c[2]) &&
            PyArg_ParseTuple (threshold, "iii", &t[0], &t[1], &t[2])) {
                enum collect_origin saved = collect_origin;
                collect_origin = COLLECT_TOOL;
                for (int gen = 0; gen < 3 && c[gen] > t[gen]; gen++) {
                        PyObject *r = PyObject_CallFunction (original_collect, "i", gen);
                        Py_XDECREF (r);
                }
                collect_origin = saved;
        }
        Py_XDECREF (threshold);
        Py_XDECREF (count);
        Py_XDECREF (gc);
        if (PyErr_Occurred ())
                PyErr_Print ();
}
