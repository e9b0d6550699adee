/* SPDX-License-Identifier: MIT */
/* shim.c: qgc-follow.so, in every process of a run: its interpreter exec'd as a child runner. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/follow.h"
#include "common/host.h"

/* Every exec path below may run in a vfork child (Python's
 * _posixsubprocess, posix_spawn): no malloc, no lock, no stdio, stack
 * buffers only, and nothing written to memory the parent reads. All
 * state is set up once, by the constructor. */

#define MAX_WORDS 64
#define MAX_ARGS 4096
#define MAX_ENV 4096

typedef int (*execve_fn) (const char *, char *const[], char *const[]);
typedef int (*spawn_fn) (pid_t *, const char *, const posix_spawn_file_actions_t *,
                         const posix_spawnattr_t *, char *const[], char *const[]);

static bool active;
static char dir[PATH_MAX];
static char words_buf[16384];
static char *words[MAX_WORDS]; /* runner, interpreter, host, shared options */
static size_t n_words;
static dev_t python_dev;
static ino_t python_ino;
static char env_follow[PATH_MAX + 16];     /* "QGC_FOLLOW=dir" */
static char env_preload[PATH_MAX * 2 + 16]; /* "LD_PRELOAD=..." as inherited */
static char shim_path[PATH_MAX];
static char env_runner[PATH_MAX + 16]; /* "QGC_RUNNER=runner" */
static execve_fn real_execve;
static int (*real_execvpe) (const char *, char *const[], char *const[]);
static spawn_fn real_posix_spawn, real_posix_spawnp;

extern char **environ;

static bool
starts_with (const char *s, const char *prefix)
{
        return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* The run's words from the follow directory's exec file. */
static bool
read_words (void)
{
        char path[PATH_MAX + 16];
        if ((size_t) snprintf (path, sizeof path, "%s/%s", dir, FOLLOW_EXEC_FILE) >= sizeof path)
                return false;
        int fd = open (path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t len = read (fd, words_buf, sizeof words_buf - 1);
        close (fd);
        if (len <= 0)
                return false;
        words_buf[len] = '\0';
        for (char *p = words_buf; p < words_buf + len && n_words < MAX_WORDS - 1; p += strlen (p) + 1)
                words[n_words++] = p;
        return n_words >= 3;
}

/* --- records of processes that cannot be checked -------------------- */

static size_t
put_text (char *buf, size_t at, size_t size, const char *s)
{
        size_t len = strlen (s);
        if (at + len > size)
                len = at < size ? size - at : 0;
        memcpy (buf + at, s, len);
        return at + len;
}

static size_t
put_number (char *buf, size_t at, size_t size, uint64_t v)
{
        char digits[24];
        int d = 0;
        do
                digits[d++] = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        while (d > 0 && at < size)
                buf[at++] = digits[--d];
        return at;
}

/* "u<pid>-<ns>" in the follow directory: system calls only. */
static void
record_unchecked (pid_t pid, pid_t ppid, const char *reason, char *const argv[])
{
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        char path[PATH_MAX + 64];
        size_t n = put_text (path, 0, sizeof path - 1, dir);
        n = put_text (path, n, sizeof path - 1, "/u");
        n = put_number (path, n, sizeof path - 1, (uint64_t) pid);
        n = put_text (path, n, sizeof path - 1, "-");
        n = put_number (path, n, sizeof path - 1, (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
        path[n] = '\0';
        char text[8192];
        size_t t = put_number (text, 0, sizeof text, (uint64_t) pid);
        t = put_text (text, t, sizeof text, "\n");
        t = put_number (text, t, sizeof text, (uint64_t) ppid);
        t = put_text (text, t, sizeof text, "\n");
        t = put_text (text, t, sizeof text, reason);
        t = put_text (text, t, sizeof text, "\n");
        for (size_t i = 0; argv && argv[i] && t < sizeof text; i++) {
                t = put_text (text, t, sizeof text - 1, argv[i]);
                text[t++] = '\0';
        }
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        for (size_t done = 0; done < t;) {
                ssize_t w = write (fd, text + done, t - done);
                if (w <= 0)
                        break;
                done += (size_t) w;
        }
        close (fd);
}

/* --- the environment every process of the run keeps ------------------ */

/* envp with QGC_FOLLOW and the shim in LD_PRELOAD, whatever the caller
 * removed (subprocess with env={...}); preload is the caller's buffer for
 * a LD_PRELOAD that lost the shim. For a child runner (runner), the host
 * is preloaded first and the runner named for it (common/host.h). An
 * environment too large for out is passed on as it is. */
static char *const *
ensure_env (char *const envp[], char **out, size_t max, char *preload, size_t preload_size, bool runner)
{
        size_t count = 0;
        while (envp && envp[count])
                count++;
        if (count + 4 > max)
                return envp;
        size_t n = 0;
        bool follow = false, has_preload = false;
        for (size_t i = 0; i < count; i++) {
                const char *e = envp[i];
                if (starts_with (e, FOLLOW_ENV "=")) {
                        out[n++] = env_follow;
                        follow = true;
                } else if (runner && starts_with (e, HOST_RUNNER_ENV "=")) {
                        continue; /* named below */
                } else if (starts_with (e, "LD_PRELOAD=")) {
                        has_preload = true;
                        if (strstr (e, shim_path) && !runner) {
                                out[n++] = (char *) e;
                        } else {
                                size_t p = put_text (preload, 0, preload_size - 1, "LD_PRELOAD=");
                                if (runner) {
                                        p = put_text (preload, p, preload_size - 1, words[2]);
                                        p = put_text (preload, p, preload_size - 1, ":");
                                }
                                if (!strstr (e, shim_path)) {
                                        p = put_text (preload, p, preload_size - 1, shim_path);
                                        p = put_text (preload, p, preload_size - 1, ":");
                                }
                                p = put_text (preload, p, preload_size - 1, e + strlen ("LD_PRELOAD="));
                                preload[p] = '\0';
                                out[n++] = preload;
                        }
                } else {
                        out[n++] = (char *) e;
                }
        }
        if (!follow)
                out[n++] = env_follow;
        if (!has_preload && runner) {
                size_t p = put_text (preload, 0, preload_size - 1, "LD_PRELOAD=");
                p = put_text (preload, p, preload_size - 1, words[2]);
                p = put_text (preload, p, preload_size - 1, ":");
                p = put_text (preload, p, preload_size - 1, env_preload + strlen ("LD_PRELOAD="));
                preload[p] = '\0';
                out[n++] = preload;
        } else if (!has_preload) {
                out[n++] = env_preload;
        }
        if (runner)
                out[n++] = env_runner;
        out[n] = NULL;
        return out;
}

/* --- which programs are followed ------------------------------------- */

enum target { TARGET_OTHER, TARGET_RUN_PYTHON, TARGET_OTHER_PYTHON };

static enum target
classify (const char *path)
{
        struct stat st;
        if (stat (path, &st) < 0 || !S_ISREG (st.st_mode))
                return TARGET_OTHER;
        if (st.st_dev == python_dev && st.st_ino == python_ino)
                return TARGET_RUN_PYTHON;
        const char *base = strrchr (path, '/');
        base = base ? base + 1 : path;
        if ((starts_with (base, "python") || starts_with (base, "pypy")) && access (path, X_OK) == 0)
                return TARGET_OTHER_PYTHON;
        return TARGET_OTHER;
}

/* The child runner's command line for `path argv[1:]`, into out: the
 * interpreter path runs it, its main made the runner's by the host. */
static bool
child_argv (const char *path, char *const argv[], char **out, size_t max)
{
        size_t n = 0;
        out[n++] = (char *) path;
        for (size_t i = 3; i < n_words; i++)
                out[n++] = words[i];
        out[n++] = (char *) "--child";
        out[n++] = (char *) "--python";
        out[n++] = (char *) path;
        out[n++] = (char *) "--";
        for (size_t i = 1; argv && argv[0] && argv[i]; i++) {
                if (n >= max - 1)
                        return false;
                out[n++] = argv[i];
        }
        out[n] = NULL;
        return true;
}

/* An exec of path (no PATH search) as the run sees it: the run's
 * interpreter as a child runner, another one recorded as unchecked. */
static int
follow_execve (const char *path, char *const argv[], char *const envp[])
{
        char *env_buf[MAX_ENV];
        char preload[PATH_MAX * 3];
        enum target t = classify (path);
        if (t == TARGET_RUN_PYTHON) {
                char *args[MAX_ARGS];
                char *const *runner_env = ensure_env (envp, env_buf, MAX_ENV, preload, sizeof preload, true);
                /* Without the host and the runner's name the interpreter
                 * would read the runner's command line as its own. */
                if (runner_env == envp)
                        record_unchecked (getpid (), getppid (), FOLLOW_REASON_ENVIRONMENT, argv);
                else if (child_argv (path, argv, args, MAX_ARGS))
                        return real_execve (path, args, runner_env);
        }
        char *const *env = ensure_env (envp, env_buf, MAX_ENV, preload, sizeof preload, false);
        if (t == TARGET_OTHER_PYTHON) {
                record_unchecked (getpid (), getppid (), FOLLOW_REASON_OTHER_PYTHON, argv);
        }
        return real_execve (path, argv, env);
}

static int
follow_spawn (spawn_fn spawn, pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
              const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
        char *env_buf[MAX_ENV];
        char preload[PATH_MAX * 3];
        enum target t = strchr (path, '/') ? classify (path) : TARGET_OTHER;
        bool unfollowed = false;
        if (t == TARGET_RUN_PYTHON) {
                char *args[MAX_ARGS];
                char *const *runner_env = ensure_env (envp, env_buf, MAX_ENV, preload, sizeof preload, true);
                if (runner_env == envp)
                        unfollowed = true;
                else if (child_argv (path, argv, args, MAX_ARGS))
                        return real_posix_spawn (pid, path, actions, attr, args, runner_env);
        }
        char *const *env = ensure_env (envp, env_buf, MAX_ENV, preload, sizeof preload, false);
        pid_t child;
        int error = spawn (&child, path, actions, attr, argv, env);
        if (error == 0 && t == TARGET_OTHER_PYTHON)
                record_unchecked (child, getpid (), FOLLOW_REASON_OTHER_PYTHON, argv);
        if (error == 0 && unfollowed)
                record_unchecked (child, getpid (), FOLLOW_REASON_ENVIRONMENT, argv);
        if (error == 0 && pid)
                *pid = child;
        return error;
}

/* The first match of file on PATH, as execvp would run it, into buf;
 * NULL when none (execvp's own search then fails as it would). */
static const char *
search_path (const char *file, char *buf, size_t size)
{
        if (strchr (file, '/'))
                return file;
        const char *path = getenv ("PATH");
        if (!path)
                path = "/bin:/usr/bin";
        for (const char *p = path;; p++) {
                const char *end = strchr (p, ':');
                size_t len = end ? (size_t) (end - p) : strlen (p);
                size_t n = put_text (buf, 0, size - 1, len ? "" : ".");
                if (len && len < size - 1) {
                        memcpy (buf, p, len);
                        n = len;
                }
                n = put_text (buf, n, size - 1, "/");
                n = put_text (buf, n, size - 1, file);
                buf[n] = '\0';
                if (access (buf, X_OK) == 0)
                        return buf;
                if (!end)
                        return NULL;
                p = end;
        }
}

/* --- the interposed entry points ------------------------------------- */

/* glibc's own callers use hidden aliases: each public entry is wrapped. */
__attribute__ ((visibility ("default"))) int
execve (const char *path, char *const argv[], char *const envp[])
{
        if (!active)
                return real_execve (path, argv, envp);
        return follow_execve (path, argv, envp);
}

__attribute__ ((visibility ("default"))) int
execv (const char *path, char *const argv[])
{
        return execve (path, argv, environ);
}

__attribute__ ((visibility ("default"))) int
execvpe (const char *file, char *const argv[], char *const envp[])
{
        char buf[PATH_MAX];
        const char *found = active && *file ? search_path (file, buf, sizeof buf) : NULL;
        if (found && classify (found) != TARGET_OTHER)
                return follow_execve (found, argv, envp);
        if (!active)
                return real_execvpe (file, argv, envp);
        char *env_buf[MAX_ENV];
        char preload[PATH_MAX * 3];
        return real_execvpe (file, argv, ensure_env (envp, env_buf, MAX_ENV, preload, sizeof preload, false));
}

__attribute__ ((visibility ("default"))) int
execvp (const char *file, char *const argv[])
{
        return execvpe (file, argv, environ);
}

/* The variadic ones: their arguments into an array on the stack. */
#define COLLECT_ARGS(first, last_arg, args)                              \
        char *args[MAX_ARGS];                                           \
        size_t n_##args = 0;                                            \
        args[n_##args++] = (char *) (first);                            \
        va_list ap;                                                     \
        va_start (ap, last_arg);                                        \
        while (n_##args < MAX_ARGS - 1 && (args[n_##args] = va_arg (ap, char *)) != NULL) \
                n_##args++;                                             \
        args[n_##args] = NULL;

__attribute__ ((visibility ("default"))) int
execl (const char *path, const char *arg, ...)
{
        COLLECT_ARGS (arg, arg, args);
        va_end (ap);
        return execve (path, args, environ);
}

__attribute__ ((visibility ("default"))) int
execlp (const char *file, const char *arg, ...)
{
        COLLECT_ARGS (arg, arg, args);
        va_end (ap);
        return execvpe (file, args, environ);
}

__attribute__ ((visibility ("default"))) int
execle (const char *path, const char *arg, ...)
{
        COLLECT_ARGS (arg, arg, args);
        char *const *envp = va_arg (ap, char *const *);
        va_end (ap);
        return execve (path, args, envp);
}

__attribute__ ((visibility ("default"))) int
posix_spawn (pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
             const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
        if (!active)
                return real_posix_spawn (pid, path, actions, attr, argv, envp);
        return follow_spawn (real_posix_spawn, pid, path, actions, attr, argv, envp);
}

__attribute__ ((visibility ("default"))) int
posix_spawnp (pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
              const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
        if (!active)
                return real_posix_spawnp (pid, file, actions, attr, argv, envp);
        char buf[PATH_MAX];
        const char *found = search_path (file, buf, sizeof buf);
        if (found && classify (found) != TARGET_OTHER)
                return follow_spawn (real_posix_spawn, pid, found, actions, attr, argv, envp);
        return follow_spawn (real_posix_spawnp, pid, file, actions, attr, argv, envp);
}

/* --- start-up ---------------------------------------------------------- */

static int
find_qtcore (struct dl_phdr_info *info, size_t size, void *data)
{
        const char *base = info->dlpi_name ? strrchr (info->dlpi_name, '/') : NULL;
        base = base ? base + 1 : info->dlpi_name;
        return base && (starts_with (base, "libQt6Core.") || starts_with (base, "libQt5Core.") ||
                        starts_with (base, "libQtCore.")) ? 1 : 0;
}

/* A program of the run that links Qt but is not a runner (which loads Qt
 * later, through the binding): it cannot be checked; say so. */
static void
record_if_qt_program (void)
{
        if (!dl_iterate_phdr (find_qtcore, NULL))
                return;
        char cmdline[8192];
        char *argv[256];
        int fd = open ("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
        ssize_t len = fd >= 0 ? read (fd, cmdline, sizeof cmdline - 1) : -1;
        if (fd >= 0)
                close (fd);
        size_t n = 0;
        for (ssize_t at = 0; len > 0 && at < len && n < 255; at += (ssize_t) strlen (cmdline + at) + 1) {
                cmdline[len] = '\0';
                argv[n++] = cmdline + at;
        }
        argv[n] = NULL;
        record_unchecked (getpid (), getppid (), FOLLOW_REASON_QT_PROGRAM, argv);
}

__attribute__ ((constructor)) static void
shim_start (void)
{
        real_execve = (execve_fn) dlsym (RTLD_NEXT, "execve");
        real_execvpe = (int (*) (const char *, char *const[], char *const[])) dlsym (RTLD_NEXT, "execvpe");
        real_posix_spawn = (spawn_fn) dlsym (RTLD_NEXT, "posix_spawn");
        real_posix_spawnp = (spawn_fn) dlsym (RTLD_NEXT, "posix_spawnp");
        const char *d = getenv (FOLLOW_ENV);
        const char *preload = getenv ("LD_PRELOAD");
        Dl_info self;
        if (!d || !*d || strlen (d) >= sizeof dir || !preload || !real_execve || !real_execvpe ||
            !real_posix_spawn || !real_posix_spawnp || !dladdr ((void *) shim_start, &self) ||
            !self.dli_fname || strlen (self.dli_fname) >= sizeof shim_path)
                return;
        strcpy (dir, d);
        strcpy (shim_path, self.dli_fname);
        snprintf (env_follow, sizeof env_follow, "%s=%s", FOLLOW_ENV, dir);
        /* As inherited, without the host, which preloads itself into
         * the runner only (common/host.h). */
        size_t n = put_text (env_preload, 0, sizeof env_preload - 1, "LD_PRELOAD=");
        host_preload_without_host (preload, env_preload + n, sizeof env_preload - n);
        struct stat st;
        if (!read_words () || stat (words[1], &st) < 0)
                return;
        python_dev = st.st_dev;
        python_ino = st.st_ino;
        snprintf (env_runner, sizeof env_runner, "%s=%s", HOST_RUNNER_ENV, words[0]);
        active = true;
        record_if_qt_program ();
}
