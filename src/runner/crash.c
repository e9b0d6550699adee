/* SPDX-License-Identifier: MIT */
/* crash.c: crash and hang dumps into the channel (see crash.h). */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "runner/crash.h"
#include "runner/symbols.h"
#include "common/dump-format.h"
#include "common/signals.h"

#include <setjmp.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_NATIVE_FRAMES 48

static struct channel *channel;
static pid_t main_tid;
static atomic_int threads_dumped;
static atomic_bool dumping;
static atomic_bool released;
static atomic_bool handler_fault_reported;
/* Set while this thread runs one of our handlers (initial-exec TLS of the
 * executable: reading it is safe in a signal handler). */
static __thread bool in_handler;

typedef const char *(*dump_threads_fn) (int fd, PyInterpreterState *interp,
                                        PyThreadState *current);
static dump_threads_fn dump_threads;
/* Where _Py_DumpTracebackThreads is not exported (CPython 3.13 hides it),
 * faulthandler reaches it for us: registered for a private signal on a
 * descriptor of ours, it writes every thread's traceback when we raise
 * that signal. At dump time a fresh memfd is put under that descriptor
 * number, so a script that closed or reused it loses nothing. */
static int faulthandler_fd = -1;

/* The crash signals, each with the action that was there before ours:
 * CPython's faulthandler (PYTHONFAULTHANDLER=1 enables it while the
 * interpreter starts, before crash_install), a handler of a module loaded
 * at start-up, or SIG_DFL. Once the dump is written, that action is put
 * back and the signal raised again: whoever was there first still runs
 * (faulthandler still prints its traceback), and the process still dies
 * of the signal. The dump and thread signals are ours alone: not here. */
struct handler {
        int signum;
        bool installed;
        struct sigaction previous;
};

static struct handler handlers[] = {
        { .signum = SIGSEGV }, { .signum = SIGABRT }, { .signum = SIGBUS },
        { .signum = SIGFPE },  { .signum = SIGILL },
};
#define N_HANDLERS (sizeof handlers / sizeof handlers[0])

/* In a child forked from the runner: its crash is not the run's. */
static atomic_bool forked;
/* One thread runs the previous action (chaining, chaining_here in that
 * thread); chain_returned when it returned without ending the process. */
static atomic_bool chaining;
static atomic_bool chain_returned;
static __thread bool chaining_here;

/* Signal-safe. */
static pid_t
gettid_raw (void)
{
        return (pid_t) syscall (SYS_gettid);
}

/* Signal-safe. Sleeps in steps of step_ms until *flag is set, at most
 * steps times: every wait in a handler is bounded. */
static void
wait_for (atomic_bool *flag, int steps, long step_ms)
{
        for (int i = 0; i < steps && !atomic_load (flag); i++) {
                struct timespec t = { 0, step_ms * 1000000 };
                nanosleep (&t, NULL);
        }
}

/* Signal-safe. A descriptor no script can have closed: a new memfd. */
static int
new_dump_fd (void)
{
        return (int) syscall (SYS_memfd_create, "qgc-check-dump", 0);
}

/* A read the probe or unwind.c knows may fault (an object another thread
 * may be destroying right now, a corrupt stack): a SIGSEGV or SIGBUS there
 * resumes at the guard. */
static _Thread_local sigjmp_buf *fault_guard;

/* Signal-safe. Whether faulthandler still handles its signal: the
 * interpreter's finalization unregisters it (the action is the default
 * again, which would end the process mid-dump). */
static bool
faulthandler_registered (void)
{
        struct sigaction now;
        if (sigaction (QGC_SIGNAL_FAULTHANDLER, NULL, &now) != 0)
                return false;
        if (now.sa_flags & SA_SIGINFO)
                return now.sa_sigaction != NULL;
        return now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN;
}

/* Signal-safe. Writes the tracebacks into fd, reading interpreter state
 * another thread may be tearing down right now (a crash while the
 * interpreter finalizes): a fault there loses the tracebacks, not the
 * report, and is not a crash of ours. */
static const char *
write_tracebacks (int fd)
{
        sigjmp_buf guard;
        sigjmp_buf *outer = fault_guard;
        const char *err = NULL;
        if (sigsetjmp (guard, 1) == 0) {
                fault_guard = &guard;
                if (dump_threads)
                        err = dump_threads (fd, PyInterpreterState_Main (), PyGILState_GetThisThreadState ());
                else if (!faulthandler_registered ())
                        err = "(no Python tracebacks: the interpreter had already shut its fault handler down)";
                else if (dup2 (fd, faulthandler_fd) == faulthandler_fd)
                        raise (QGC_SIGNAL_FAULTHANDLER); /* handled here and now, in this thread */
        } else {
                err = "(reading the Python tracebacks faulted: the interpreter's state was being torn down, or is corrupt; "
                      "what comes before this line was read)";
        }
        fault_guard = outer;
        return err;
}

/* Signal-safe (as faulthandler's own dump). The Python traceback of every
 * thread, as faulthandler prints it, into a fresh memfd (the script may
 * have closed every descriptor), then into the channel. */
static void
dump_python_threads (void)
{
        if (!dump_threads && faulthandler_fd < 0)
                return;
        int fd = new_dump_fd ();
        if (fd < 0)
                return;
        const char *err = write_tracebacks (fd);
        off_t len = lseek (fd, 0, SEEK_CUR);
        /* The section holds the tracebacks, or what stopped them being
         * read, or both. */
        if (len > 0 || err)
                channel_dump_append (channel, DUMP_PYTHON, strlen (DUMP_PYTHON));
        if (len > 0) {
                char *text = mmap (NULL, (size_t) len, PROT_READ, MAP_SHARED, fd, 0);
                if (text != MAP_FAILED) {
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

/* Signal-safe. The program counter the signal interrupted, or 0. */
static uintptr_t
interrupted_pc (const void *ucontext)
{
        const ucontext_t *uc = ucontext;
        if (!uc)
                return 0;
#if defined(__x86_64__)
        return (uintptr_t) uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__i386__)
        return (uintptr_t) uc->uc_mcontext.gregs[REG_EIP];
#elif defined(__aarch64__)
        return (uintptr_t) uc->uc_mcontext.pc;
#else
        return 0;
#endif
}

/* Signal-safe. One frame line (common/dump-format.h); i counts from 0,
 * the innermost. */
static void
put_frame (struct dump_writer *o, struct symbols *elf, int i, unw_word_t ip, bool interrupted)
{
        /* A return address may lie past the end of its call's function
         * (a call to a noreturn one). */
        uintptr_t lookup = interrupted || i == 0 ? ip : ip - 1;
        struct symbol sym;
        bool found = symbols_lookup (elf, lookup, &sym);
        dump_write_frame (o, i, ip, sym.name, sym.offset + (ip - lookup), found ? sym.module : NULL,
                          sym.module_offset + (ip - lookup), interrupted);
}

/* Signal-safe (libunwind with a cache per thread, symbols.h). One section
 * per thread (the format is in common/dump-format.h). */
static void
dump_native_thread (const char *crashed, const siginfo_t *info, const void *ucontext)
{
        char buf[8192];
        struct dump_writer o = { buf, sizeof buf, 0 };
        char comm[17] = "";
        prctl (PR_GET_NAME, comm, 0, 0, 0);
        pid_t tid = gettid_raw ();
        dump_write_thread (&o, &(struct dump_thread) {
                                       .tid = (unsigned long) tid,
                                       .ident = (unsigned long long) pthread_self (),
                                       .gil = PyGILState_GetThisThreadState () && PyGILState_Check (),
                                       .main = tid == main_tid,
                                       .crashed = crashed,
                                       .name = comm,
                                       /* Sent by the kernel: a handler that
                                        * raised it again (faulthandler) gives
                                        * a sender's pid there, not an address. */
                                       .has_fault_addr = info && info->si_code > 0 &&
                                                         (info->si_signo == SIGSEGV ||
                                                          info->si_signo == SIGBUS),
                                       .fault_addr = info ? (uintptr_t) info->si_addr : 0,
                               });

        uintptr_t pc = interrupted_pc (ucontext);
        bool marked = false;
        struct symbols elf = { 0 };
        unw_context_t context;
        unw_cursor_t cursor;
        if (unw_getcontext (&context) == 0 && unw_init_local (&cursor, &context) == 0) {
                for (int i = 0; i < MAX_NATIVE_FRAMES && unw_step (&cursor) > 0; i++) {
                        unw_word_t ip = 0;
                        unw_get_reg (&cursor, UNW_REG_IP, &ip);
                        bool interrupted = !marked && (pc ? ip == pc : unw_is_signal_frame (&cursor) > 0);
                        marked |= interrupted;
                        put_frame (&o, &elf, i, ip, interrupted);
                }
        }
        symbols_close (&elf);
        channel_dump_append (channel, buf, o.used);
}

/* Signal-safe. Every other thread, asked by the dumping one: write its
 * own native frames, then stay parked until the Python stacks have been
 * read, so that no thread changes its frames while they are walked. */
static void
thread_handler (int sig, siginfo_t *info, void *ucontext)
{
        int saved = errno;
        in_handler = true;
        dump_native_thread ("no", NULL, ucontext);
        atomic_fetch_add (&threads_dumped, 1);
        wait_for (&released, 2000, 1);
        in_handler = false;
        errno = saved;
}

/* Signal-safe. Asks one thread to dump its frames and park; true if it
 * was asked. */
static bool
ask_thread (pid_t pid, pid_t self, pid_t tid)
{
        return tid > 0 && tid != self && syscall (SYS_tgkill, pid, tid, QGC_SIGNAL_THREAD) == 0;
}

/* Signal-safe. Parks every other thread of the process; returns how many
 * were asked. Only system calls here: the crash may have happened inside
 * malloc, holding its lock (heap corruption ends that way), so opendir()
 * and anything else that allocates would wait for that lock forever. */
static int
park_other_threads (void)
{
        int asked = 0;
        pid_t pid = getpid (), self = gettid_raw ();
        int dir = (int) syscall (SYS_openat, AT_FDCWD, "/proc/self/task",
                                 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
                /* struct linux_dirent64: ino, off, reclen, type, name. */
                char buf[4096] __attribute__ ((aligned (8)));
                long n;
                while ((n = syscall (SYS_getdents64, dir, buf, sizeof buf)) > 0) {
                        for (long at = 0; at < n;) {
                                unsigned short reclen;
                                memcpy (&reclen, buf + at + 16, sizeof reclen);
                                const char *name = buf + at + 19;
                                pid_t tid = 0;
                                for (const char *c = name; *c >= '0' && *c <= '9'; c++)
                                        tid = tid * 10 + (*c - '0');
                                if (ask_thread (pid, self, tid))
                                        asked++;
                                at += reclen;
                        }
                }
                close (dir);
        } else {
                /* No descriptor left (the script used them all): the
                 * Python threads the runner recorded, the main one first. */
                uint32_t n = atomic_load (&channel->n_threads);
                for (uint32_t i = 0; i < n && i < CHANNEL_MAX_THREADS; i++)
                        if (ask_thread (pid, self, channel->threads[i].tid))
                                asked++;
        }
        for (int i = 0; i < 200 && atomic_load (&threads_dumped) < asked; i++) {
                struct timespec t = { 0, 5000000 };
                nanosleep (&t, NULL);
        }
        return asked;
}

/* Signal-safe. */
static void
dump_everything (bool crashed, const siginfo_t *info, const void *ucontext)
{
        dump_native_thread (crashed ? "yes" : "no", info, ucontext);
        park_other_threads ();
        dump_python_threads ();
        channel_dump_append (channel, DUMP_END, strlen (DUMP_END));
        atomic_store (&released, true);
}

/* Signal-safe. Hang: the supervisor asks; stacks of every thread, then
 * it kills us. */
static void
dump_handler (int sig, siginfo_t *info, void *ucontext)
{
        int saved = errno;
        in_handler = true;
        if (!atomic_exchange (&dumping, true))
                dump_everything (false, NULL, ucontext);
        in_handler = false;
        errno = saved;
}

void
crash_let_dump_finish (void)
{
        if (!channel || in_handler)
                return;
        if (atomic_load (&dumping) || atomic_load (&channel->crash_signal))
                wait_for (&released, 500, 10);
}

void
crash_guard_reads (sigjmp_buf *guard)
{
        fault_guard = guard;
}

/* Signal-safe. A fault in a read the thread guarded (crash_guard_reads)
 * goes back to its sigsetjmp: not a crash, so neither reported nor
 * passed on to the previous handler. Returns only when not guarded. */
static void
resume_at_guard (int sig)
{
        if (!fault_guard || (sig != SIGSEGV && sig != SIGBUS))
                return;
        sigjmp_buf *guard = fault_guard;
        fault_guard = NULL;
        atomic_fetch_add (&channel->stats.guarded_faults, 1);
        siglongjmp (*guard, 1);
}

/* Signal-safe. Writes the crash into the dump, or lets the thread that
 * writes it finish. False for a fault in our own handlers: nothing more
 * may run on top of them, not even the previous handler. */
static bool
report_crash (int sig, const siginfo_t *info, const void *ucontext)
{
        if (in_handler) {
                /* A fault in our own handler (SA_NODEFER lets it in): the
                 * report must say the tool crashed, with where. Once. */
                int32_t none = 0;
                atomic_compare_exchange_strong (&channel->crash_signal, &none, sig);
                if (!atomic_exchange (&handler_fault_reported, true)) {
                        channel_dump_append (channel, "\n", 1);
                        dump_native_thread ("handler", info, ucontext);
                        channel_dump_append (channel, DUMP_END, strlen (DUMP_END));
                }
                return false;
        }
        if (!atomic_exchange (&dumping, true)) {
                in_handler = true;
                atomic_store (&channel->crash_signal, sig);
                dump_everything (true, info, ucontext);
                /* The dump is complete: a fault from here on is in the
                 * previous handler, the app's, not in ours. */
                in_handler = false;
        } else {
                /* Another thread is writing the report (heap corruption
                 * often brings down several): let it finish first. */
                wait_for (&released, 300, 10);
        }
        return true;
}

/* Signal-safe. */
static struct handler *
find_handler (int sig)
{
        for (size_t i = 0; i < N_HANDLERS; i++)
                if (handlers[i].signum == sig)
                        return &handlers[i];
        return NULL;
}

/* Signal-safe. raise() delivered now: sig is blocked here when ours was
 * called by a handler without SA_NODEFER (one that chains by calling). */
static void
raise_unblocked (int sig)
{
        sigset_t set;
        sigemptyset (&set);
        sigaddset (&set, sig);
        pthread_sigmask (SIG_UNBLOCK, &set, NULL);
        raise (sig);
}

/* Signal-safe. Runs the action that was there before ours, as the kernel
 * would have: put back with its own flags and mask (SA_RESETHAND,
 * SA_NODEFER, SA_ONSTACK are its own), then sig raised again. Returns if
 * that handler returns. Nothing to run for SIG_DFL (die_by_default does
 * it) nor for SIG_IGN: a crash the report names must end the process,
 * as it did with our handler alone. */
static void
chain_previous (int sig)
{
        const struct handler *h = find_handler (sig);
        if (!h || !h->installed || h->previous.sa_handler == SIG_DFL ||
            h->previous.sa_handler == SIG_IGN)
                return;
        if (sigaction (sig, &h->previous, NULL) == 0)
                raise_unblocked (sig);
}

/* Signal-safe. The default action of sig, now: the process ends. */
static void
die_by_default (int sig)
{
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigemptyset (&dfl.sa_mask);
        sigaction (sig, &dfl, NULL);
        raise_unblocked (sig);
}

/* Signal-safe. Ends the process with the first crash signal, as the app
 * would have died: a fault inside the dump must not rename the crash.
 * With chain, one thread first runs the previous action of its signal
 * (if that is the first one); the others give it time to finish, as it
 * writes its own report before it ends the process. */
static void
die_of (int sig, bool chain)
{
        int first = atomic_load (&channel->crash_signal);
        if (!first)
                first = sig; /* a hang dump's thread, or a forked child */
        if (chain && !chaining_here) {
                if (first == sig && !atomic_exchange (&chaining, true)) {
                        chaining_here = true;
                        chain_previous (sig);
                        atomic_store (&chain_returned, true);
                } else {
                        wait_for (&chain_returned, 300, 10);
                }
        }
        die_by_default (first);
        if (first != sig)
                die_by_default (sig);
}

/* SIGSEGV, SIGABRT, SIGBUS, SIGFPE and SIGILL, in any thread.
 * Signal-safe: it calls only signal-safe functions. */
static void
crash_handler (int sig, siginfo_t *info, void *ucontext)
{
        resume_at_guard (sig);
        bool chain = true;
        if (!atomic_load (&forked))
                chain = report_crash (sig, info, ucontext);
        die_of (sig, chain);
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
        PyObject *r = module ? PyObject_CallMethod (module, "register", "iiii", QGC_SIGNAL_FAULTHANDLER,
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

/* Each thread's alternate signal stack: a guard page below the stack,
 * so that a handler overflowing it faults instead of writing over memory. */
#define ALT_STACK_SIZE (64u << 10)

static pthread_key_t alt_stack_key;
static pthread_once_t alt_stack_once = PTHREAD_ONCE_INIT;
static __thread bool alt_stack_done;

static size_t
guard_size (void)
{
        long page = sysconf (_SC_PAGESIZE);
        return page > 0 ? (size_t) page : 4096;
}

/* At thread exit: the stack is unused once disabled. */
static void
free_alt_stack (void *mem)
{
        stack_t off = { .ss_flags = SS_DISABLE };
        sigaltstack (&off, NULL);
        munmap (mem, guard_size () + ALT_STACK_SIZE);
}

static void
create_alt_stack_key (void)
{
        if (pthread_key_create (&alt_stack_key, free_alt_stack) != 0)
                alt_stack_key = (pthread_key_t) -1;
}

void
crash_thread_init (void)
{
        if (alt_stack_done)
                return;
        alt_stack_done = true;
        int saved = errno;
        /* A stack the thread already has (set by the app or a library)
         * is left alone. */
        stack_t old;
        if (sigaltstack (NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
                goto out;
        size_t guard = guard_size ();
        char *mem = mmap (NULL, guard + ALT_STACK_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (mem == MAP_FAILED)
                goto out;
        mprotect (mem, guard, PROT_NONE);
        stack_t ss = { .ss_sp = mem + guard, .ss_size = ALT_STACK_SIZE };
        if (sigaltstack (&ss, NULL) != 0) {
                munmap (mem, guard + ALT_STACK_SIZE);
                goto out;
        }
        pthread_once (&alt_stack_once, create_alt_stack_key);
        /* Threads that never exit (the main one) keep theirs. */
        if (alt_stack_key != (pthread_key_t) -1)
                pthread_setspecific (alt_stack_key, mem);
out:
        errno = saved;
}

void
crash_forked_child (void)
{
        atomic_store (&forked, true);
        /* Where ours is the current action, the one before it again, as
         * in a process without us. One installed over ours stays: if it
         * passes the crash on to ours, ours passes it on at once. */
        for (size_t i = 0; i < N_HANDLERS; i++) {
                struct handler *h = &handlers[i];
                struct sigaction now;
                if (h->installed && sigaction (h->signum, NULL, &now) == 0 &&
                    (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == crash_handler)
                        sigaction (h->signum, &h->previous, NULL);
        }
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigemptyset (&dfl.sa_mask);
        sigaction (QGC_SIGNAL_DUMP, &dfl, NULL);
        sigaction (QGC_SIGNAL_THREAD, &dfl, NULL);
}

/* Ours for every crash signal, keeping the action it replaces (see
 * handlers). SA_NODEFER: a fault inside our handler comes back in, to be
 * reported as the tool's (report_crash). */
static void
install_crash_handlers (void)
{
        struct sigaction sa = { 0 };
        sa.sa_sigaction = crash_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset (&sa.sa_mask);
        for (size_t i = 0; i < N_HANDLERS; i++)
                handlers[i].installed = sigaction (handlers[i].signum, &sa, &handlers[i].previous) == 0;
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
         * still produce a report. Other threads get theirs from
         * crash_thread_init when they first run our code. */
        crash_thread_init ();
        install_crash_handlers ();

        /* On the alternate stack too: a thread asked for its frames may be
         * close to the end of its own stack. */
        struct sigaction dump = { 0 };
        dump.sa_sigaction = dump_handler;
        dump.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
        sigemptyset (&dump.sa_mask);
        sigaction (QGC_SIGNAL_DUMP, &dump, NULL);
        dump.sa_sigaction = thread_handler;
        sigaction (QGC_SIGNAL_THREAD, &dump, NULL);
        atomic_store (&ch->dump_ready, 1);
}

void
crash_forked_checked (void)
{
        atomic_store (&forked, false);
        crash_install (channel);
}
