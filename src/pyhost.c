/* pyhost.c: Python-side facts for the probe (see pyhost.h). */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "pyhost.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 16
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
static _Thread_local bool explicit_collect;
static _Thread_local uint32_t cached_thread_name;

bool
pyhost_is_main_thread (void)
{
        return PyThread_get_thread_ident () == main_ident;
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
                gc_generation = gen ? (int) PyLong_AsLong (gen) : 2;
                gc_trigger = explicit_collect ? GC_TRIGGER_EXPLICIT : GC_TRIGGER_AUTOMATIC;
                atomic_fetch_add (&channel->stats.collections, 1);
                bool off_gui = !pyhost_is_main_thread ();
                if (off_gui)
                        atomic_fetch_add (&channel->stats.collections_off_gui, 1);
                if (!explicit_collect) {
                        atomic_fetch_add (&channel->stats.collections_automatic, 1);
                        if (off_gui)
                                atomic_fetch_add (&channel->stats.collections_automatic_off_gui, 1);
                }
                if (resolver)
                        resolver ();
        } else {
                gc_generation = -1;
                gc_trigger = GC_TRIGGER_NONE;
        }
        Py_RETURN_NONE;
}

/* gc.collect() wrapper: tells explicit collections from automatic ones. */
static PyObject *
collect_wrapper (PyObject *self, PyObject *args, PyObject *kwargs)
{
        bool saved = explicit_collect;
        explicit_collect = true;
        PyObject *r = PyObject_Call (original_collect, args, kwargs);
        explicit_collect = saved;
        return r;
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

/* Appends "file:line: in qualname\n" for one frame; false for a frame
 * that is not the user's. */
static bool
format_frame (PyCodeObject *code, int line, char *buf, size_t size, size_t *used)
{
        const char *file = PyUnicode_AsUTF8 (code->co_filename);
        const char *name = PyUnicode_AsUTF8 (code->co_qualname);
        if (!file || !name) {
                PyErr_Clear ();
                return false;
        }
        if (!is_user_file (file))
                return false;
        int n = snprintf (buf + *used, size - *used, "%s:%d: in %s\n", file, line, name);
        if (n > 0 && (size_t) n < size - *used)
                *used += (size_t) n;
        return true;
}

/* The Python class of `self` in a method frame, or NULL. */
static PyTypeObject *
frame_self_type (PyFrameObject *frame, PyCodeObject *code)
{
        if (code->co_argcount < 1)
                return NULL;
        PyObject *names = PyCode_GetVarnames (code);
        if (!names)
                goto fail;
        bool is_self = PyTuple_GET_SIZE (names) > 0 &&
                       PyUnicode_CompareWithASCIIString (PyTuple_GET_ITEM (names, 0), "self") == 0;
        Py_DECREF (names);
        if (!is_self)
                return NULL;
        PyObject *locals = PyFrame_GetLocals (frame);
        if (!locals)
                goto fail;
        PyObject *self = PyMapping_GetItemString (locals, "self");
        Py_DECREF (locals);
        if (!self)
                goto fail;
        PyTypeObject *type = Py_TYPE (self);
        Py_DECREF (self);
        return type;
fail:
        PyErr_Clear ();
        return NULL;
}

struct stack_key {
        int depth;
        struct {
                PyCodeObject *code;
                int line; /* instruction offset (lasti) until formatted */
        } frames[MAX_FRAMES];
};

struct stack_entry {
        struct stack_key key;
        uint32_t text;
        uint32_t py_class;
        bool used;
};

/* Distinct creation stacks are few; objects are many. Cache the text per
 * (code, line) sequence. Code objects in the cache are kept alive so that
 * their addresses stay unique. Only touched with the GIL held. */
static struct stack_entry *stack_cache;

static uint32_t
hash_key (const struct stack_key *k)
{
        uint64_t h = 1469598103934665603ull;
        for (int i = 0; i < k->depth; i++) {
                h = (h ^ (uintptr_t) k->frames[i].code) * 1099511628211ull;
                h = (h ^ (uint64_t) k->frames[i].line) * 1099511628211ull;
        }
        return (uint32_t) (h ^ (h >> 32));
}

static bool
same_stack (const struct stack_key *a, const struct stack_key *b)
{
        if (a->depth != b->depth)
                return false;
        for (int i = 0; i < a->depth; i++)
                if (a->frames[i].code != b->frames[i].code || a->frames[i].line != b->frames[i].line)
                        return false;
        return true;
}

/* Walks the current thread's frames. Returns the innermost frame (new
 * reference) for the caller to inspect, or NULL. */
static PyFrameObject *
read_stack (struct stack_key *key)
{
        key->depth = 0;
        PyFrameObject *frame = PyEval_GetFrame ();
        if (!frame)
                return NULL;
        Py_INCREF (frame);
        PyFrameObject *innermost = frame;
        Py_INCREF (innermost);
        while (frame && key->depth < MAX_FRAMES) {
                PyCodeObject *code = PyFrame_GetCode (frame);
                key->frames[key->depth].code = code;
                /* The instruction offset, not the line: computing a line
                 * scans the line table, and only distinct stacks need it. */
                key->frames[key->depth].line = PyFrame_GetLasti (frame);
                key->depth++;
                Py_DECREF (code); /* the frame keeps it alive meanwhile */
                PyFrameObject *back = PyFrame_GetBack (frame);
                Py_DECREF (frame);
                frame = back;
        }
        Py_XDECREF (frame);
        return innermost;
}

static void
lookup_stack (uint32_t *stack, uint32_t *py_class)
{
        struct stack_key key;
        PyFrameObject *innermost = read_stack (&key);
        if (!innermost)
                return;
        if (!stack_cache)
                stack_cache = calloc (STACK_BUCKETS, sizeof *stack_cache);
        if (!stack_cache)
                goto out;
        uint32_t h = hash_key (&key);
        struct stack_entry *e = NULL;
        for (uint32_t i = 0; i < 64; i++) {
                e = &stack_cache[(h + i) & (STACK_BUCKETS - 1)];
                if (!e->used || same_stack (&e->key, &key))
                        break;
                e = NULL;
        }
        if (e && e->used) {
                *stack = e->text;
                *py_class = e->py_class;
                goto out;
        }

        char text[4096];
        size_t used = 0;
        text[0] = '\0';
        PyTypeObject *self_type = NULL;
        bool seen_user = false;
        PyFrameObject *frame = innermost;
        Py_INCREF (frame);
        for (int i = 0; i < key.depth && frame; i++) {
                PyCodeObject *code = PyFrame_GetCode (frame);
                bool user = format_frame (code, PyCode_Addr2Line (code, key.frames[i].line), text,
                                          sizeof text, &used);
                /* The wrapper being built is `self` of the innermost
                 * method of the user's code (LegendEntry.__init__). */
                if (user && !seen_user) {
                        seen_user = true;
                        self_type = frame_self_type (frame, code);
                }
                Py_DECREF (code);
                PyFrameObject *back = PyFrame_GetBack (frame);
                Py_DECREF (frame);
                frame = back;
        }
        Py_XDECREF (frame);
        *py_class = 0;
        if (self_type) {
                PyObject *q = PyType_GetQualName (self_type);
                const char *s = q ? PyUnicode_AsUTF8 (q) : NULL;
                if (s)
                        *py_class = channel_intern (channel, s);
                Py_XDECREF (q);
                PyErr_Clear ();
        }
        *stack = channel_intern (channel, text);
        if (e) {
                for (int i = 0; i < key.depth; i++)
                        Py_INCREF (key.frames[i].code);
                e->key = key;
                e->text = *stack;
                e->py_class = *py_class;
                e->used = true;
        }
out:
        Py_DECREF (innermost);
}

/* The hot path: a loop creating objects creates them from the same frame
 * at the same instruction, called from the same caller. A small per-thread
 * cache keyed on (frame, instruction, caller frame, caller instruction)
 * answers without walking the stack; both frames are alive while we look,
 * so the key names this very call chain. */
#define HOT_ENTRIES 16

struct hot_entry {
        PyFrameObject *frame, *back;
        int lasti, back_lasti;
        uint32_t stack, py_class;
};

static _Thread_local struct hot_entry hot[HOT_ENTRIES];

void
pyhost_capture_creation (uint32_t *stack, uint32_t *py_class)
{
        *stack = 0;
        *py_class = 0;
        if (!PyGILState_Check ())
                return;
        PyFrameObject *frame = PyEval_GetFrame ();
        if (!frame)
                return;
        PyFrameObject *back = PyFrame_GetBack (frame);
        struct hot_entry key = { frame, back, PyFrame_GetLasti (frame),
                                 back ? PyFrame_GetLasti (back) : -1, 0, 0 };
        Py_XDECREF (back);
        struct hot_entry *e = &hot[(((uintptr_t) frame >> 4) ^ (uintptr_t) key.lasti) % HOT_ENTRIES];
        if (e->frame == key.frame && e->back == key.back && e->lasti == key.lasti &&
            e->back_lasti == key.back_lasti) {
                *stack = e->stack;
                *py_class = e->py_class;
                return;
        }
        PyObject *et, *ev, *tb;
        PyErr_Fetch (&et, &ev, &tb);
        lookup_stack (stack, py_class);
        PyErr_Restore (et, ev, tb);
        key.stack = *stack;
        key.py_class = *py_class;
        *e = key;
}

/* Python's own name for the calling thread, without creating a dummy
 * Thread object as threading.current_thread() would. */
static uint32_t
python_thread_name (void)
{
        if (cached_thread_name)
                return cached_thread_name;
        uint32_t id = 0;
        static PyObject *module_name;
        if (!module_name)
                module_name = PyUnicode_InternFromString ("threading");
        PyObject *threading = module_name ? PyImport_GetModule (module_name) : NULL;
        PyObject *active = threading ? PyObject_GetAttrString (threading, "_active") : NULL;
        PyObject *ident = PyLong_FromUnsignedLong (PyThread_get_thread_ident ());
        PyObject *thread = (active && ident) ? PyObject_GetItem (active, ident) : NULL;
        PyObject *name = thread ? PyObject_GetAttrString (thread, "name") : NULL;
        const char *s = name ? PyUnicode_AsUTF8 (name) : NULL;
        if (s)
                id = cached_thread_name = channel_intern (channel, s);
        else if (pyhost_is_main_thread ())
                id = channel_intern (channel, "MainThread"); /* threading not imported yet */
        Py_XDECREF (name);
        Py_XDECREF (thread);
        Py_XDECREF (ident);
        Py_XDECREF (active);
        Py_XDECREF (threading);
        PyErr_Clear ();
        return id;
}

static uint32_t
current_stack_text (void)
{
        struct stack_key key;
        PyFrameObject *frame = read_stack (&key);
        if (!frame)
                return 0;
        char text[4096];
        size_t used = 0;
        text[0] = '\0';
        for (int i = 0; i < key.depth; i++)
                format_frame (key.frames[i].code,
                              PyCode_Addr2Line (key.frames[i].code, key.frames[i].line), text,
                              sizeof text, &used);
        Py_DECREF (frame);
        return channel_intern (channel, text);
}

void
pyhost_describe_thread (struct probe_thread_info *info, bool want_stack)
{
        info->gc_generation = gc_generation;
        info->gc_trigger = gc_trigger;
        info->name = 0;
        info->stack = 0;
        info->has_python = PyGILState_GetThisThreadState () != NULL;
        if (!info->has_python)
                return;
        /* Registration (no stack wanted) never waits for the GIL; a finding
         * may, as any Qt callback into Python would. */
        if (!want_stack && !PyGILState_Check ())
                return;
        PyGILState_STATE state = PyGILState_Ensure ();
        PyObject *et, *ev, *tb;
        PyErr_Fetch (&et, &ev, &tb);
        info->name = python_thread_name ();
        if (want_stack)
                info->stack = current_stack_text ();
        PyErr_Restore (et, ev, tb);
        PyGILState_Release (state);
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
                bool saved = explicit_collect;
                explicit_collect = true;
                for (int gen = 0; gen < 3 && c[gen] > t[gen]; gen++) {
                        PyObject *r = PyObject_CallFunction (original_collect, "i", gen);
                        Py_XDECREF (r);
                }
                explicit_collect = saved;
        }
        Py_XDECREF (threshold);
        Py_XDECREF (count);
        Py_XDECREF (gc);
        if (PyErr_Occurred ())
                PyErr_Print ();
}
