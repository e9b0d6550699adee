/* SPDX-License-Identifier: MIT */
/* supervisor.c: the parent process (see supervisor.h). */
#include "config.h"

#include "supervisor/supervisor.h"
#include "common/dump-format.h"
#include "common/runner-args.h"
#include "common/signals.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/options.h"
#include "common/follow.h"
#include "common/host.h"
#include "supervisor/processes.h"

#define TICK_MS 50
#define STDERR_TAIL_SIZE 4096
#define TERM_GRACE_NS 2000000000LL
#define DUMP_WAIT_NS 3000000000LL

struct watch {
        const struct supervisor_config *config;
        struct channel *ch;
        pid_t child;
        /* What a run holds, released by release_run on every path; -1,
         * NULL and false: not held (or handed on). */
        int channel_fd;       /* the channel's memfd, until the runner has it */
        int signal_fd;
        int stderr_fd;        /* the read end of the app's stderr */
        int stderr_write;     /* its write end, the runner's stderr, until fork */
        bool signals_blocked;
        sigset_t saved_mask;  /* the signal mask as supervisor_run found it */
        struct sigaction saved_sigpipe;
        bool ttou_ignored;    /* SIGTTOU, while the runner's group holds the terminal:
                               * given back by finish_run */
        struct sigaction saved_ttou;
        /* The runner's command line and environment, built before fork:
         * the child only execs. */
        char **runner_argv;
        struct runner_args_text runner_text;
        char **runner_env;
        char *env_strings[3]; /* QGC_RUNNER=..., LD_PRELOAD=..., QGC_FOLLOW=... (owned) */
        char follow_dir[4096]; /* the run's follow directory, "" when none */
        struct processes_watch kids; /* the checked children, for their heartbeats */
        struct channel *dump_ch; /* whose stacks are awaited: a hung child's, else the runner's */
        struct supervision *sup;
        int64_t start_ns;
        int64_t kill_at_ns;   /* SIGKILL the group at this time, 0 = not yet */
        int64_t dump_asked_ns;
        bool stop_after_dump; /* the stacks are for a stop, not a hang: then SIGTERM */
        bool terminal;        /* the runner's group holds the terminal (stdin) */
        struct termios termios; /* the terminal as the run found it */
        int64_t stopped_ns;   /* the runner is stopped since then, 0 = running */
        int64_t resumed_ns;   /* it last continued after a stop */
        int64_t paused_ns;    /* time the whole run spent suspended (Ctrl-Z) */
        bool seen[CHANNEL_MAX_GROUPS];
        bool progress_shown;
        int64_t progress_ns;
        char tail[STDERR_TAIL_SIZE];
        size_t tail_len;
};

static void
write_all (int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write (fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                buf += n;
                len -= (size_t) n;
        }
}

static void
clear_progress (struct watch *w)
{
        if (w->progress_shown) {
                write_all (STDERR_FILENO, "\r\033[K", 4);
                w->progress_shown = false;
        }
}

/* One line, redrawn at most four times a second, only on a terminal. */
static void
draw_progress (struct watch *w, int64_t now)
{
        if (!w->config->progress || now - w->progress_ns < 250000000)
                return;
        w->progress_ns = now;
        struct channel *ch = w->ch;
        int64_t from = atomic_load (&ch->app_ns);
        double elapsed = from ? (now - from) / 1e9 : 0;
        uint64_t findings = 0;
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++)
                if (atomic_load_explicit (&ch->groups[i].state, memory_order_acquire) == SLOT_PUBLISHED)
                        findings += atomic_load (&ch->groups[i].count);
        char line[256];
        int n;
        if (w->config->opts->duration > 0)
                n = snprintf (line, sizeof line, "\r\033[Kqgc-check: %.1f/%.1f s", elapsed,
                              w->config->opts->duration);
        else
                n = snprintf (line, sizeof line, "\r\033[Kqgc-check: %.1f s", elapsed);
        n += snprintf (line + n, sizeof line - (size_t) n,
                       ", %llu objects, %llu collections in workers, %llu findings",
                       (unsigned long long) channel_objects (ch, true),
                       (unsigned long long) atomic_load (&ch->stats.collections_off_gui),
                       (unsigned long long) findings);
        write_all (STDERR_FILENO, line, (size_t) n);
        w->progress_shown = true;
}

/* Relays the app's stderr and keeps its last bytes for the report. */
static void
relay_stderr (struct watch *w)
{
        char buf[65536];
        for (;;) {
                ssize_t n = read (w->stderr_fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0) {
                                close (w->stderr_fd);
                                w->stderr_fd = -1;
                        }
                        return;
                }
                clear_progress (w);
                write_all (STDERR_FILENO, buf, (size_t) n);
                size_t len = (size_t) n;
                const char *src = buf;
                if (len >= STDERR_TAIL_SIZE) {
                        src += len - STDERR_TAIL_SIZE;
                        len = STDERR_TAIL_SIZE;
                        w->tail_len = 0;
                }
                if (w->tail_len + len > STDERR_TAIL_SIZE) {
                        size_t drop = w->tail_len + len - STDERR_TAIL_SIZE;
                        memmove (w->tail, w->tail + drop, w->tail_len - drop);
                        w->tail_len -= drop;
                }
                memcpy (w->tail + w->tail_len, src, len);
                w->tail_len += len;
        }
}

static void
kill_group (struct watch *w, int sig)
{
        if (w->child > 0) {
                kill (-w->child, sig);
                kill (w->child, sig);
        }
}

/* Sends sig to every child of the supervisor. Orphans of the run are our
 * children: the supervisor is a subreaper. */
static void
signal_children (pid_t self, int sig)
{
        DIR *dir = opendir ("/proc");
        if (!dir)
                return;
        struct dirent *d;
        while ((d = readdir (dir))) {
                pid_t pid = (pid_t) atoi (d->d_name);
                if (pid <= 0)
                        continue;
                char path[64], buf[512];
                snprintf (path, sizeof path, "/proc/%d/stat", pid);
                FILE *f = fopen (path, "r");
                if (!f)
                        continue;
                size_t len = fread (buf, 1, sizeof buf - 1, f);
                fclose (f);
                buf[len] = '\0';
                const char *close_paren = strrchr (buf, ')');
                int ppid = 0;
                if (close_paren && sscanf (close_paren + 2, "%*c %d", &ppid) == 1 && ppid == self)
                        kill (pid, sig);
        }
        closedir (dir);
}

/* Everything the run started dies: the process group, then every
 * descendant that left it (setsid, double fork). Killing a process hands
 * its own children to us, so this goes on, one generation per pass,
 * until we have no child left at all. */
static void
kill_run (pid_t child, pid_t self)
{
        kill (-child, SIGKILL);
        int64_t give_up = channel_now_ns () + 10000000000LL;
        for (;;) {
                signal_children (self, SIGKILL);
                pid_t pid;
                while ((pid = waitpid (-1, NULL, WNOHANG)) > 0)
                        ;
                if (pid < 0 && errno == ECHILD)
                        return;
                if (channel_now_ns () > give_up) {
                        fprintf (stderr, "qgc-check: a process of the run does not die of SIGKILL "
                                         "(stuck in the kernel?); leaving it behind\n");
                        return;
                }
                /* Killed children are not reapable at once; do not spin. */
                nanosleep (&(struct timespec) { .tv_nsec = 1000000 }, NULL);
        }
}

/* While the runner holds the terminal, a change of its foreground group
 * would stop the supervisor (SIGTTOU): shells ignore it around the call. */
static void
set_foreground (pid_t pgrp)
{
        struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
        sigaction (SIGTTOU, &ignore, &old);
        tcsetpgrp (STDIN_FILENO, pgrp);
        sigaction (SIGTTOU, &old, NULL);
}

static void
emit_new_findings (struct watch *w)
{
        if (!w->config->events)
                return;
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++) {
                struct channel_group *g = &w->ch->groups[i];
                if (w->seen[i] || atomic_load_explicit (&g->state, memory_order_acquire) != SLOT_PUBLISHED)
                        continue;
                w->seen[i] = true;
                struct result_finding f;
                struct run_result texts = { 0 }; /* holds the strings made valid */
                result_finding_from_group (&f, w->ch, g);
                /* The children's groups come in at the end of the run, named
                 * by their process. */
                if (f.process_index < w->sup->processes.n)
                        f.process = &w->sup->processes.list[f.process_index];
                result_describe (&texts, &f);
                report_events_finding (w->config->events, &f);
                result_free (&texts);
        }
}

static void
start_stopping (struct watch *w, int64_t now, int sig)
{
        if (w->kill_at_ns)
                return;
        w->sup->killed_by_us = true;
        kill_group (w, sig);
        /* A stopped runner only acts on SIGTERM once it runs again. */
        kill_group (w, SIGCONT);
        w->kill_at_ns = now + TERM_GRACE_NS;
}

/* A run stopped before it ended by itself (interrupted, or over the limit):
 * every thread's stacks first, so that the report says where the app was
 * (a suite waiting forever in a nested event loop), then SIGTERM. A
 * runner that is stopped, or cannot answer yet, is stopped at once; so is
 * one asked twice (a second Ctrl-C). */
static void
stop_with_stacks (struct watch *w, int64_t now)
{
        if (w->kill_at_ns)
                return;
        if (w->dump_asked_ns || w->stopped_ns || !atomic_load (&w->ch->dump_ready) ||
            atomic_load (&w->ch->phase) == PHASE_DONE) {
                start_stopping (w, now, SIGTERM);
                return;
        }
        w->sup->killed_by_us = true;
        w->stop_after_dump = true;
        w->dump_asked_ns = now;
        kill (w->child, QGC_SIGNAL_DUMP);
        processes_ask_stacks (&w->kids, QGC_SIGNAL_DUMP);
}

/* A checked child whose GUI event loop stalled: the run's hang, with that
 * child's stacks. */
static bool
check_kids (struct watch *w, int64_t now)
{
        struct channel *hung;
        pid_t pid = processes_find_hang (&w->kids, now, (int64_t) (w->config->opts->hang_timeout * 1e9),
                                         w->resumed_ns, &hung);
        if (!pid)
                return false;
        w->sup->hang = true;
        w->sup->hang_pid = pid;
        w->sup->killed_by_us = true;
        w->dump_asked_ns = now;
        w->dump_ch = hung;
        kill (pid, QGC_SIGNAL_DUMP);
        if (w->config->events)
                report_events_note (w->config->events, "hang", (now - atomic_load (&hung->heartbeat_ns)) / 1e9);
        return true;
}

static void
check_progress (struct watch *w, int64_t now)
{
        const struct options *opts = w->config->opts;
        struct channel *ch = w->ch;
        if (w->kill_at_ns || w->dump_asked_ns)
                return;

        /* Hang: the GUI thread is inside an event loop that stopped
         * turning. Ask the runner for every thread's stacks first. A
         * runner that is stopped (SIGSTOP) is not hung, and its beats
         * count again from when it continued. */
        int64_t beat = atomic_load (&ch->heartbeat_ns);
        if (beat && beat < w->resumed_ns)
                beat = w->resumed_ns;
        if (beat && !w->stopped_ns && atomic_load (&ch->loop_level) > 0 &&
            atomic_load (&ch->phase) < PHASE_TEARDOWN &&
            now - beat > (int64_t) (opts->hang_timeout * 1e9)) {
                w->sup->hang = true;
                w->sup->hang_pid = w->child;
                w->sup->killed_by_us = true;
                w->dump_asked_ns = now;
                kill (w->child, QGC_SIGNAL_DUMP);
                if (w->config->events)
                        report_events_note (w->config->events, "hang", (now - beat) / 1e9);
                return;
        }
        if (!w->stopped_ns && check_kids (w, now))
                return;

        /* The script outlived its duration plus grace without ending
         * (e.g. it blocks in Python with no event loop): stop it. Time
         * the whole run spent suspended (Ctrl-Z) does not count. */
        if (opts->duration > 0) {
                int64_t from = atomic_load (&ch->app_ns);
                if (!from)
                        from = w->start_ns;
                double grace = opts->hang_timeout + 5.0;
                if (now - from - w->paused_ns > (int64_t) ((opts->duration + grace) * 1e9)) {
                        w->sup->over_limit = true;
                        stop_with_stacks (w, now);
                }
        }
}

static bool
stdin_is_foreground (void)
{
        return isatty (STDIN_FILENO) && tcgetpgrp (STDIN_FILENO) == getpgrp ();
}

/* The runner was stopped by a job-control signal. As a shell job, the run
 * stops with it (the shell sees qgc-check stopped) and goes on when it is
 * continued, the terminal handed back to the runner when qgc-check is in
 * the foreground again. A runner that must read or set up a terminal it
 * cannot have would stay stopped forever: that run ends here, and is not
 * clean (nothing after the stop was checked). */
static void
runner_stopped (struct watch *w, int sig, int64_t now)
{
        w->stopped_ns = now;
        if (w->kill_at_ns || w->dump_asked_ns)
                return; /* already ending; SIGKILL acts on stopped processes */
        bool needs_terminal = sig == SIGTTIN || sig == SIGTTOU;
        if (sig == SIGSTOP)
                return; /* someone paused it (kill -STOP): wait for SIGCONT */
        if (sig == SIGTSTP || (isatty (STDIN_FILENO) && !stdin_is_foreground ())) {
                if (w->terminal)
                        set_foreground (getpgrp ());
                clear_progress (w);
                int64_t before = channel_now_ns ();
                /* Discarded by the kernel when our process group is orphaned
                 * (no job control above us): then we go on at once. */
                struct sigaction stop = { .sa_handler = SIG_DFL }, old;
                sigaction (sig, &stop, &old);
                kill (getpid (), sig);
                sigaction (sig, &old, NULL);
                w->paused_ns += channel_now_ns () - before;
        }
        w->terminal = stdin_is_foreground ();
        if (w->terminal)
                set_foreground (w->child);
        if (needs_terminal && !w->terminal) {
                w->sup->stop_signal = sig;
                w->sup->killed_by_us = true;
                kill_group (w, SIGKILL);
                w->kill_at_ns = now;
                return;
        }
        kill_group (w, SIGCONT);
}

static bool
dump_finished (struct channel *ch)
{
        uint32_t len = atomic_load (&ch->dump.length);
        if (len > CHANNEL_DUMP_SIZE)
                return true;
        return dump_complete (ch->dump.text, len);
}

static void
handle_signal (struct watch *w, const struct signalfd_siginfo *si, int64_t now)
{
        switch (si->ssi_signo) {
        case SIGINT:
        case SIGTERM:
        case SIGHUP:
                if (!w->sup->interrupt_signal)
                        w->sup->interrupt_signal = (int) si->ssi_signo == SIGHUP ? SIGTERM : (int) si->ssi_signo;
                stop_with_stacks (w, now);
                break;
        default:
                break;
        }
}

/* Reaps the runner (and orphans re-parented to us), and sees it stop and
 * continue. True once the runner has ended. */
static bool
reap (struct watch *w, int64_t now)
{
        bool runner_done = false;
        for (;;) {
                int status;
                pid_t pid = waitpid (-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
                if (pid <= 0)
                        break;
                if (pid != w->child)
                        continue;
                if (WIFSTOPPED (status)) {
                        runner_stopped (w, WSTOPSIG (status), now);
                        continue;
                }
                if (WIFCONTINUED (status)) {
                        w->stopped_ns = 0;
                        w->resumed_ns = now;
                        continue;
                }
                runner_done = true;
                if (WIFEXITED (status)) {
                        w->sup->exited = true;
                        w->sup->exit_code = WEXITSTATUS (status);
                } else if (WIFSIGNALED (status)) {
                        w->sup->term_signal = WTERMSIG (status);
                        /* Ctrl-C at the terminal reaches the runner's group
                         * only, while it holds the terminal: the user's
                         * interrupt, not a crash. */
                        /* So is a script ended by an uncaught KeyboardInterrupt:
                         * the runner, done, dies of SIGINT as python3 does. */
                        bool runner_done_itself = atomic_load (&w->ch->phase) == PHASE_DONE;
                        if ((w->terminal || runner_done_itself) && WTERMSIG (status) == SIGINT &&
                            !w->sup->killed_by_us && !w->sup->interrupt_signal)
                                w->sup->interrupt_signal = SIGINT;
                }
        }
        return runner_done;
}

/* The follow directory's exec file: the runner, the interpreter it
 * stands in for, its host, and the options every runner of the run
 * shares. */
static bool
write_follow_exec (struct watch *w, const struct runner_args *args)
{
        struct runner_args_text text;
        char *words[64] = { (char *) w->config->runner_path, (char *) w->config->python_executable,
                            (char *) w->config->host_path };
        size_t n = runner_args_build_shared (args, &text, words + 3, 61);
        char error[512];
        return n > 0 && processes_write_exec (w->follow_dir, words, n + 3, error, sizeof error);
}

/* The runner's environment: ours, with the runner named for the host, the
 * host and the shim preloaded (before what the user preloads) and the
 * follow directory named. The host removes itself and the runner's name
 * before the script starts (common/host.h). Colons separate the preloads,
 * as ld.so reads them and as valgrind's --trace-children rewrites them. */
static bool
build_runner_env (struct watch *w)
{
        extern char **environ;
        const char *preload = getenv ("LD_PRELOAD");
        const char *follow = w->config->follow_path;
        if (asprintf (&w->env_strings[0], "%s=%s", HOST_RUNNER_ENV, w->config->runner_path) < 0 ||
            asprintf (&w->env_strings[1], "LD_PRELOAD=%s%s%s%s%s", w->config->host_path,
                      follow ? ":" : "", follow ? follow : "", preload && *preload ? ":" : "",
                      preload ? preload : "") < 0 ||
            (w->follow_dir[0] && asprintf (&w->env_strings[2], "%s=%s", FOLLOW_ENV, w->follow_dir) < 0)) {
                w->env_strings[0] = w->env_strings[1] = w->env_strings[2] = NULL;
                return false;
        }
        size_t n = 0;
        while (environ[n])
                n++;
        w->runner_env = calloc (n + 4, sizeof *w->runner_env);
        if (!w->runner_env)
                return false;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (strncmp (environ[i], FOLLOW_ENV "=", strlen (FOLLOW_ENV) + 1) != 0 &&
                    strncmp (environ[i], HOST_RUNNER_ENV "=", strlen (HOST_RUNNER_ENV) + 1) != 0 &&
                    strncmp (environ[i], "LD_PRELOAD=", 11) != 0)
                        w->runner_env[k++] = environ[i];
        for (size_t i = 0; i < 3; i++)
                if (w->env_strings[i])
                        w->runner_env[k++] = w->env_strings[i];
        return true;
}

/* The runner's private command line (common/runner-args.h), into storage
 * of the watch's: built before fork, so that the child allocates nothing. */
static bool
build_runner_argv (struct watch *w)
{
        const struct supervisor_config *config = w->config;
        const struct options *o = config->opts;
        struct runner_args args = {
                .channel_fd = w->channel_fd, .seed = config->seed, .threads = o->threads,
                .stress_mode = o->stress_mode, .duration = o->duration,
                .probe_path = config->probe_path, .python_executable = config->python_executable,
                .mitigate = o->mitigate, .strict = o->strict, .module = o->module,
                .script = o->script, .script_argc = o->script_argc, .script_argv = o->script_argv,
                .follow_dir = w->follow_dir[0] ? w->follow_dir : NULL,
        };
        if (args.follow_dir && !write_follow_exec (w, &args))
                return false;
        size_t length = runner_args_argv_length (&args);
        w->runner_argv = calloc (length, sizeof *w->runner_argv);
        /* argv[0] is the interpreter, as the host runs it: the loader
         * names the main program by argv[0], and the crash handler reads
         * function names from that file. */
        return w->runner_argv &&
               runner_args_build (&args, config->python_executable, &w->runner_text, w->runner_argv, length);
}

static _Noreturn void
exec_runner (const struct watch *w)
{
        /* The one descriptor of ours the runner gets; it maps and closes it. */
        fcntl (w->channel_fd, F_SETFD, 0);
        execve (w->config->python_executable, w->runner_argv, w->runner_env);
        char msg[CHANNEL_TEXT_SIZE];
        snprintf (msg, sizeof msg, "cannot start the interpreter '%s': %s; recreate the venv, or "
                  "reinstall qgc-check", w->config->python_executable, strerror (errno));
        channel_set_error (w->ch, msg);
        fprintf (stderr, "qgc-check: %s\n", msg);
        _exit (127);
}

static _Noreturn void
child_start (const struct watch *w, pid_t parent, bool terminal)
{
        setpgid (0, 0);
        /* Both sides set the group and the foreground, as a shell does: the
         * app may read the terminal before the parent has run. */
        if (terminal)
                set_foreground (getpid ());
        /* If qgc-check dies, the app dies with it. */
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
                _exit (127);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        if (w->stderr_write != STDERR_FILENO) {
                dup2 (w->stderr_write, STDERR_FILENO);
                close (w->stderr_write);
        }
        exec_runner (w);
}

/* Everything a run needs before it forks; what it acquires is in w, for
 * release_run, whether it succeeds or not. */
static bool
prepare_run (struct watch *w, char *error, size_t error_size)
{
        w->ch = channel_create_shared (&w->channel_fd);
        if (!w->ch) {
                snprintf (error, error_size, "cannot create the shared findings area: %s",
                          strerror (errno));
                return false;
        }
        if (w->config->follow_path &&
            !processes_make_dir (w->follow_dir, sizeof w->follow_dir, error, error_size))
                return false;
        if (w->follow_dir[0])
                w->kids.dir = w->follow_dir;
        if (!build_runner_env (w)) {
                snprintf (error, error_size, "out of memory");
                return false;
        }
        if (!build_runner_argv (w)) {
                snprintf (error, error_size, "out of memory, or cannot write the run's directory '%s'",
                          w->follow_dir);
                return false;
        }
        int pipefd[2];
        if (pipe2 (pipefd, O_CLOEXEC) < 0) {
                snprintf (error, error_size, "cannot create a pipe: %s", strerror (errno));
                return false;
        }
        w->stderr_fd = pipefd[0];
        w->stderr_write = pipefd[1];
        sigset_t mask;
        sigemptyset (&mask);
        sigaddset (&mask, SIGCHLD);
        sigaddset (&mask, SIGINT);
        sigaddset (&mask, SIGTERM);
        sigaddset (&mask, SIGHUP);
        sigprocmask (SIG_BLOCK, &mask, &w->saved_mask);
        sigaction (SIGPIPE, &(struct sigaction) { .sa_handler = SIG_IGN }, &w->saved_sigpipe);
        w->signals_blocked = true;
        w->signal_fd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (w->signal_fd < 0) {
                snprintf (error, error_size, "cannot create a signalfd: %s", strerror (errno));
                return false;
        }
        return true;
}

/* Forks the runner; in the parent, takes the terminal for its group. */
static bool
start_runner (struct watch *w, char *error, size_t error_size)
{
        prctl (PR_SET_CHILD_SUBREAPER, 1);
        /* A script reading the terminal (input(), breakpoint()) reads it as
         * under python3: its group is the terminal's foreground while it
         * runs. Only when qgc-check itself is in the foreground. */
        bool terminal = stdin_is_foreground ();
        if (terminal && tcgetattr (STDIN_FILENO, &w->termios) < 0)
                terminal = false;

        fflush (NULL);
        pid_t parent = getpid ();
        pid_t child = fork ();
        if (child < 0) {
                snprintf (error, error_size, "cannot fork: %s", strerror (errno));
                return false;
        }
        if (child == 0) {
                close (w->signal_fd);
                close (w->stderr_fd);
                signal (SIGPIPE, SIG_DFL);
                child_start (w, parent, terminal);
        }
        close (w->channel_fd); /* the mapping stays */
        w->channel_fd = -1;
        setpgid (child, child);
        /* Our own output (progress, the app's relayed stderr) must not stop
         * us while the runner's group holds the terminal (stty tostop). */
        if (terminal) {
                set_foreground (child);
                sigaction (SIGTTOU, &(struct sigaction) { .sa_handler = SIG_IGN }, &w->saved_ttou);
                w->ttou_ignored = true;
        }
        w->sup->runner_pid = child;
        close (w->stderr_write);
        w->stderr_write = -1;
        fcntl (w->stderr_fd, F_SETFL, O_NONBLOCK);
        w->child = child;
        w->start_ns = channel_now_ns ();
        w->terminal = terminal;
        if (w->config->events)
                report_events_start (w->config->events, w->config->opts, w->config->seed, child);
        return true;
}

/* Until the runner has ended: relays its stderr, answers signals, reaps,
 * streams findings, and stops the run when it must. */
static void
watch_run (struct watch *w)
{
        for (;;) {
                struct pollfd fds[2] = { { w->signal_fd, POLLIN, 0 }, { w->stderr_fd, POLLIN, 0 } };
                int n = poll (fds, w->stderr_fd >= 0 ? 2 : 1, TICK_MS);
                int64_t now = channel_now_ns ();
                if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP)))
                        relay_stderr (w);
                if (n > 0 && (fds[0].revents & POLLIN)) {
                        struct signalfd_siginfo si;
                        while (read (w->signal_fd, &si, sizeof si) == sizeof si)
                                handle_signal (w, &si, now);
                }
                bool done = reap (w, now);
                emit_new_findings (w);
                if (done)
                        return;
                draw_progress (w, now);
                check_progress (w, now);
                if (w->dump_asked_ns && !w->kill_at_ns &&
                    ((dump_finished (w->dump_ch ? w->dump_ch : w->ch) &&
                      (!w->stop_after_dump || processes_stacks_done (&w->kids))) ||
                     now - w->dump_asked_ns > DUMP_WAIT_NS)) {
                        if (w->stop_after_dump) {
                                start_stopping (w, now, SIGTERM);
                        } else {
                                kill_group (w, SIGKILL);
                                w->kill_at_ns = now;
                        }
                }
                if (w->kill_at_ns && now >= w->kill_at_ns)
                        kill_group (w, SIGKILL);
        }
}

/* The runner has ended: nothing of the run survives, the terminal is
 * qgc-check's again, and the last of its output is in. */
static void
finish_run (struct watch *w)
{
        clear_progress (w);
        /* No process of the run survives it. */
        kill_run (w->child, getpid ());
        /* The terminal back to qgc-check's group, as the app left it, or
         * as it was if the app could not restore it (killed mid-getpass). */
        if (w->terminal) {
                set_foreground (getpgrp ());
                if (!w->sup->exited)
                        tcsetattr (STDIN_FILENO, TCSADRAIN, &w->termios);
        }
        if (w->ttou_ignored) {
                sigaction (SIGTTOU, &w->saved_ttou, NULL);
                w->ttou_ignored = false;
        }
        if (w->stderr_fd >= 0) {
                relay_stderr (w);
                close (w->stderr_fd);
                w->stderr_fd = -1;
        }
        /* Every process of the run has ended: their channels and records
         * are complete, and the children's findings are counted in. */
        processes_collect (&w->sup->processes, w->ch, w->follow_dir[0] ? w->follow_dir : NULL);
        emit_new_findings (w);
        w->sup->elapsed_s = (channel_now_ns () - w->start_ns) / 1e9;
        w->sup->stderr_tail = strndup (w->tail, w->tail_len);
}

/* The one way out of a run, whether it ran or failed on the way. A run
 * that ran hands its channel to the caller, and leaves its signals blocked
 * and SIGPIPE ignored: a Ctrl-C after the runner ended waits for the next
 * run (--repeat) instead of killing qgc-check before its reports are
 * written. A run that failed leaves the process as it found it. */
static void
release_run (struct watch *w, bool ran)
{
        int fds[] = { w->channel_fd, w->signal_fd, w->stderr_fd, w->stderr_write };
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
                if (fds[i] >= 0)
                        close (fds[i]);
        if (!ran && w->signals_blocked) {
                sigaction (SIGPIPE, &w->saved_sigpipe, NULL);
                sigprocmask (SIG_SETMASK, &w->saved_mask, NULL);
        }
        channel_destroy (w->ch);
        processes_watch_end (&w->kids);
        if (w->follow_dir[0])
                processes_remove (w->follow_dir);
        free (w->runner_argv);
        free (w->runner_env);
        free (w->env_strings[0]);
        free (w->env_strings[1]);
        free (w->env_strings[2]);
        free (w);
}

bool
supervisor_run (const struct supervisor_config *config, struct channel **channel_out,
                struct supervision *sup, char *error, size_t error_size)
{
        memset (sup, 0, sizeof *sup);
        sup->python_executable = config->python_executable;
        sup->python_version = config->python_version;
        struct watch *w = calloc (1, sizeof *w);
        if (!w) {
                snprintf (error, error_size, "out of memory");
                return false;
        }
        w->config = config;
        w->sup = sup;
        w->channel_fd = w->signal_fd = w->stderr_fd = w->stderr_write = -1;
        bool ran = prepare_run (w, error, error_size) && start_runner (w, error, error_size);
        if (ran) {
                watch_run (w);
                finish_run (w);
                *channel_out = w->ch;
                w->ch = NULL; /* the caller's now */
        }
        release_run (w, ran);
        return ran;
}
