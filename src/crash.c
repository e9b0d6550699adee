/* crash.c: crash and hang dumps into the channel (see crash.h). */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "crash.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_NATIVE_FRAMES 48

static struct channel *channel;
static pid_t main_tid;
static atomic_int threads_dumped;
static atomic_bool dumping;
static atomic_bool released;

typedef const char *(*dump_threads_fn) (int fd, PyInterpreterState *interp,
                                        PyThreadState *current);
static dump_threads_fn dump_threads;
/* Where _Py_DumpTracebackThreads is not exported (CPython 3.13 hides it),
 * faulthandler reaches it for us: registered for a private signal on a
 * descriptor of ours, it writes every thread's traceback when we raise
 * that signal. At dump time a fresh memfd is put under that descriptor
 * number, so a script that closed or reused it loses nothing. */
static int faulthandler_fd = -1;

static int
faulthandler_signal (void)
{
        return SIGRTMIN + 6;
}

static const int crash_signals[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };

int
crash_dump_signal (void)
{
        return SIGRTMIN + 4;
}

static int
thread_signal (void)
{
        return SIGRTMIN + 5;
}

static pid_t
gettid_raw (void)
{
        return (pid_t) syscall (SYS_gettid);
}

/* Small async-signal-safe formatting into a buffer. */
struct out {
        char *buf;
        size_t size, used;
};

static void
put (struct out *o, const char *s)
{
        size_t n = strlen (s);
        if (n > o->size - o->used)
                n = o->size - o->used;
        memcpy (o->buf + o->used, s, n);
        o->used += n;
}

static void
put_num (struct out *o, unsigned long long v, int base)
{
        char tmp[32];
        int i = 0;
        do {
                tmp[i++] = "0123456789abcdef"[v % (unsigned) base];
                v /= (unsigned) base;
        } while (v && i < (int) sizeof tmp);
        char s[36];
        int j = 0;
        if (base == 16) {
                s[j++] = '0';
                s[j++] = 'x';
        }
        while (i)
                s[j++] = tmp[--i];
        s[j] = '\0';
        put (o, s);
}

/* The Python traceback of every thread, as faulthandler prints it, into
 * a fresh memfd (the script may have closed every descriptor), then into
 * the channel. */
/* A descriptor no script can have closed: a new memfd (async-signal-safe). */
static int
new_dump_fd (void)
{
        return (int) syscall (SYS_memfd_create, "qgc-check-dump", 0);
}

static void
dump_python_threads (void)
{
        if (!dump_threads && faulthandler_fd < 0)
                return;
        int fd = new_dump_fd ();
        if (fd < 0)
                return;
        const char *err = NULL;
        if (dump_threads) {
                err = dump_threads (fd, PyInterpreterState_Main (), PyGILState_GetThisThreadState ());
        } else if (dup2 (fd, faulthandler_fd) == faulthandler_fd) {
                raise (faulthandler_signal ()); /* handled here and now, in this thread */
        }
        off_t len = lseek (fd, 0, SEEK_CUR);
        if (len > 0) {
                char *text = mmap (NULL, (size_t) len, PROT_READ, MAP_SHARED, fd, 0);
                if (text != MAP_FAILED) {
                        channel_dump_append (channel, "@python\n", 8);
                        channel_dump_append (channel, text, (size_t) len);
                        munmap (text, (size_t) len);
                }
        }
        if (err) {
                channel_dump_append (channel, err, strlen (err));
                channel_dump_append (channel, "\n", 1);
        }
        close (fd);
}

/* One section per thread:
 *   @thread TID IDENT gil=yes|no main=yes|no crashed=yes|no name=COMM
 *   #0 function+0x12 (0xADDR)
 */
static void
dump_native_thread (bool crashed)
{
        char buf[8192];
        struct out o = { buf, sizeof buf, 0 };
        char comm[17] = "";
        prctl (PR_GET_NAME, comm, 0, 0, 0);
        pid_t tid = gettid_raw ();
        put (&o, "@thread ");
        put_num (&o, (unsigned long long) tid, 10);
        put (&o, " ");
        put_num (&o, (unsigned long long) pthread_self (), 16);
        put (&o, PyGILState_GetThisThreadState () && PyGILState_Check () ? " gil=yes" : " gil=no");
        put (&o, tid == main_tid ? " main=yes" : " main=no");
        put (&o, crashed ? " crashed=yes" : " crashed=no");
        put (&o, " name=");
        put (&o, comm);
        put (&o, "\n");

        unw_context_t context;
        unw_cursor_t cursor;
        if (unw_getcontext (&context) == 0 && unw_init_local (&cursor, &context) == 0) {
                for (int i = 0; i < MAX_NATIVE_FRAMES && unw_step (&cursor) > 0; i++) {
                        unw_word_t ip = 0, off = 0;
                        char name[256];
                        unw_get_reg (&cursor, UNW_REG_IP, &ip);
                        put (&o, "#");
                        put_num (&o, (unsigned long long) i, 10);
                        put (&o, " ");
                        if (unw_get_proc_name (&cursor, name, sizeof name, &off) == 0) {
                                put (&o, name);
                                put (&o, "+");
                                put_num (&o, (unsigned long long) off, 16);
                        } else {
                                put (&o, "??");
                        }
                        Dl_info dl;
                        if (dladdr ((void *) ip, &dl) && dl.dli_fname) {
                                const char *base = strrchr (dl.dli_fname, '/');
                                put (&o, " in ");
                                put (&o, base ? base + 1 : dl.dli_fname);
                        }
                        put (&o, "\n");
                }
        }
        channel_dump_append (channel, buf, o.used);
}

/* Every other thread, asked by the dumping one: write its own native
 * frames, then stay parked until the Python stacks have been read, so
 * that no thread changes its frames while they are walked. */
static void
thread_handler (int sig)
{
        int saved = errno;
        dump_native_thread (false);
        atomic_fetch_add (&threads_dumped, 1);
        for (int i = 0; i < 2000 && !atomic_load (&released); i++) {
                struct timespec t = { 0, 1000000 };
                nanosleep (&t, NULL);
        }
        errno = saved;
}

/* Parks every other thread of the process; returns how many answered. */
static int
park_other_threads (void)
{
        int asked = 0;
        DIR *dir = opendir ("/proc/self/task"); /* not signal-safe, but the process is dying or stuck */
        if (dir) {
                struct dirent *d;
                pid_t self = gettid_raw ();
                while ((d = readdir (dir))) {
                        pid_t tid = (pid_t) atoi (d->d_name);
                        if (tid <= 0 || tid == self)
                                continue;
                        if (syscall (SYS_tgkill, getpid (), tid, thread_signal ()) == 0)
                                asked++;
                }
                closedir (dir);
        }
        for (int i = 0; i < 200 && atomic_load (&threads_dumped) < asked; i++) {
                struct timespec t = { 0, 5000000 };
                nanosleep (&t, NULL);
        }
        return asked;
}

static void
dump_everything (bool crashed)
{
        dump_native_thread (crashed);
        park_other_threads ();
        dump_python_threads ();
        channel_dump_append (channel, "@end\n", 5);
        atomic_store (&released, true);
}

/* Hang: the supervisor asks; stacks of every thread, then it kills us. */
static void
dump_handler (int sig)
{
        int saved = errno;
        if (!atomic_exchange (&dumping, true))
                dump_everything (false);
        errno = saved;
}

static void
crash_handler (int sig, siginfo_t *info, void *ucontext)
{
        if (!atomic_exchange (&dumping, true)) {
                atomic_store (&channel->crash_signal, sig);
                dump_everything (true);
        }
        /* Die of the first signal, as the app would have: a fault inside
         * the dump must not rename the crash. */
        int first = atomic_load (&channel->crash_signal);
        if (first && first != sig) {
                signal (first, SIG_DFL);
                raise (first);
        }
        signal (sig, SIG_DFL);
        raise (sig);
}

/* GIL held. */
static void
register_faulthandler (void)
{
        int memfd = new_dump_fd ();
        if (memfd < 0)
                return;
        /* A high number, out of the way of the script's own descriptors. */
        int fd = fcntl (memfd, F_DUPFD_CLOEXEC, 512);
        if (fd < 0)
                fd = fcntl (memfd, F_DUPFD_CLOEXEC, 3);
        close (memfd);
        if (fd < 0)
                return;
        PyObject *module = PyImport_ImportModule ("faulthandler");
        PyObject *r = module ? PyObject_CallMethod (module, "register", "iiii", faulthandler_signal (),
                                                    fd, 1, 0)
                             : NULL;
        if (r)
                faulthandler_fd = fd;
        else
                close (fd);
        Py_XDECREF (r);
        Py_XDECREF (module);
        PyErr_Clear ();
}

void
crash_install (struct channel *ch)
{
        channel = ch;
        main_tid = gettid_raw ();
        dump_threads = (dump_threads_fn) dlsym (RTLD_DEFAULT, "_Py_DumpTracebackThreads");
        if (!dump_threads)
                register_faulthandler ();

        /* The handlers run on an alternate stack: a stack overflow must
         * still produce a report. */
        static char altstack[1 << 16];
        stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
        sigaltstack (&ss, NULL);

        struct sigaction sa = { 0 };
        sa.sa_sigaction = crash_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset (&sa.sa_mask);
        for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
                sigaction (crash_signals[i], &sa, NULL);

        struct sigaction dump = { 0 };
        dump.sa_handler = dump_handler;
        dump.sa_flags = SA_RESTART;
        sigemptyset (&dump.sa_mask);
        sigaction (crash_dump_signal (), &dump, NULL);
        dump.sa_handler = thread_handler;
        sigaction (thread_signal (), &dump, NULL);
}
