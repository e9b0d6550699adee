/* SPDX-License-Identifier: MIT */
/* processes.c: the run's processes, their channels and records (see processes.h). */
#include "config.h"

#include "supervisor/processes.h"
#include "common/dump-format.h"
#include "common/follow.h"
#include "supervisor/diagnosis.h"
#include "supervisor/result-text.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static bool
write_file (const char *path, const char *data, size_t len)
{
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return false;
        bool ok = write (fd, data, len) == (ssize_t) len;
        return close (fd) == 0 && ok;
}

/* Room for the pages a run's children write into their channels: a
 * write into a mapped page of a full tmpfs is a SIGBUS, not an error. */
#define FOLLOW_MIN_FREE (256ull << 20)

static bool
has_room (const char *base)
{
        struct statvfs st;
        return statvfs (base, &st) == 0 && (unsigned long long) st.f_bavail * st.f_frsize >= FOLLOW_MIN_FREE;
}

bool
processes_make_dir (char *dir, size_t dir_size, char *error, size_t error_size)
{
        /* On a tmpfs: a child's channel is memory, as the main one. The
         * last one, /tmp, whatever its room. */
        const char *bases[] = { "/dev/shm", getenv ("XDG_RUNTIME_DIR"), getenv ("TMPDIR"), "/tmp" };
        size_t n = sizeof bases / sizeof bases[0];
        bool made = false;
        for (size_t i = 0; !made && i < n; i++) {
                if (!bases[i] || !*bases[i] || (i + 1 < n && !has_room (bases[i])) ||
                    (size_t) snprintf (dir, dir_size, "%s/qgc-check-XXXXXX", bases[i]) >= dir_size)
                        continue;
                made = mkdtemp (dir) != NULL;
        }
        if (!made) {
                snprintf (error, error_size, "cannot make a directory for the run's processes "
                                             "(/dev/shm, $XDG_RUNTIME_DIR, /tmp): %s; "
                                             "or run with --no-follow", strerror (errno));
                return false;
        }
        return true;
}

bool
processes_write_exec (const char *dir, char *const *words, size_t n, char *error, size_t error_size)
{
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        for (size_t i = 0; out && i < n; i++)
                fwrite (words[i], 1, strlen (words[i]) + 1, out);
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, FOLLOW_EXEC_FILE);
        bool ok = out && fclose (out) == 0 && write_file (path, text, size);
        free (text);
        if (!ok) {
                snprintf (error, error_size, "cannot write '%s': %s", path, strerror (errno));
                processes_remove (dir);
        }
        return ok;
}

void
processes_remove (const char *dir)
{
        DIR *d = opendir (dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir (d)))
                if (e->d_name[0] != '.')
                        unlinkat (dirfd (d), e->d_name, 0);
        closedir (d);
        rmdir (dir);
}

/* "a\0b\0" (len bytes) as a NULL-terminated array of copies. */
static char **
split_words (const char *text, size_t len)
{
        size_t n = 0;
        for (size_t at = 0; at < len; at += strnlen (text + at, len - at) + 1)
                n++;
        char **argv = calloc (n + 1, sizeof *argv);
        size_t i = 0;
        for (size_t at = 0; argv && at < len; at += strnlen (text + at, len - at) + 1)
                argv[i++] = strndup (text + at, len - at);
        return argv;
}

static uint64_t
occurrences (struct channel *ch)
{
        uint64_t total = 0;
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++)
                if (atomic_load_explicit (&ch->groups[i].state, memory_order_acquire) == SLOT_PUBLISHED)
                        total += atomic_load (&ch->groups[i].count);
        return total;
}

/* A child's stacks, its threads named (the main process's are the run's). */
static void
read_stacks (struct run_process *p, struct channel *ch)
{
        uint32_t len = atomic_load (&ch->dump.length);
        if (len > CHANNEL_DUMP_SIZE)
                len = CHANNEL_DUMP_SIZE;
        if (!len || ch->process.origin == PROCESS_MAIN)
                return;
        char *raw = strndup (ch->dump.text, len);
        p->stacks = raw ? dump_annotate (raw, ch) : NULL;
        free (raw);
        result_text_make_valid (&p->stacks);
}

/* What a checked process's channel says of it. */
static void
read_checked (struct run_process *p, struct channel *ch)
{
        static const char *const origins[] = { "main", "exec", "fork" };
        struct channel_process *id = &ch->process;
        p->checked = true;
        p->channel = ch;
        p->pid = atomic_load (&ch->runner_pid);
        p->ppid = id->ppid;
        p->origin = id->origin <= PROCESS_FORK ? origins[id->origin] : "exec";
        p->argv = split_words (id->argv, id->argv_length < sizeof id->argv ? id->argv_length : sizeof id->argv);
        id->xdist_worker[sizeof id->xdist_worker - 1] = '\0';
        p->xdist_worker = id->xdist_worker;
        ch->binding[sizeof ch->binding - 1] = '\0';
        ch->qt_version[sizeof ch->qt_version - 1] = '\0';
        ch->qtcore_path[sizeof ch->qtcore_path - 1] = '\0';
        p->binding = ch->binding;
        const char *running = channel_running_test (ch);
        p->running_test = running ? running : "";
        ch->error[sizeof ch->error - 1] = '\0';
        p->error = atomic_load (&ch->error_set) == 2 ? ch->error : NULL;
        p->crash_signal = atomic_load (&ch->crash_signal);
        uint32_t outcome = atomic_load (&ch->outcome);
        p->exit_status = -1;
        if (p->crash_signal) {
                p->outcome = "crash";
        } else if (atomic_load (&ch->phase) == PHASE_DONE || outcome != OUTCOME_NONE) {
                p->outcome = script_outcome_name (outcome);
                p->exit_status = atomic_load (&ch->script_status);
        } else {
                /* Its runner never got to say: a signal that was not its
                 * own crash (a pool's terminate(), the end of the run). */
                p->outcome = "killed";
        }
        read_stacks (p, ch);
        p->objects_created = channel_objects (ch, true);
        p->objects_destroyed = channel_objects (ch, false);
        p->collections = atomic_load (&ch->stats.collections);
        p->collections_off_gui = atomic_load (&ch->stats.collections_off_gui);
        p->findings = occurrences (ch);
}

/* An unchecked process's record: "pid\nppid\nreason\n" then argv. */
static bool
read_unchecked (struct run_process *p, const char *path)
{
        char text[8192];
        int fd = open (path, O_RDONLY | O_CLOEXEC);
        ssize_t len = fd >= 0 ? read (fd, text, sizeof text - 1) : -1;
        if (fd >= 0)
                close (fd);
        if (len <= 0)
                return false;
        text[len] = '\0';
        char *reason = NULL, *end = NULL;
        p->pid = (int) strtol (text, &end, 10);
        if (*end != '\n')
                return false;
        p->ppid = (int) strtol (end + 1, &end, 10);
        if (*end != '\n' || !(reason = end + 1) || !(end = strchr (reason, '\n')))
                return false;
        *end = '\0';
        p->reason = strdup (reason);
        p->argv = split_words (end + 1, (size_t) (text + len - (end + 1)));
        p->xdist_worker = p->binding = p->running_test = "";
        p->exit_status = -1;
        return p->reason && p->argv;
}

static struct run_process *
add_process (struct run_processes *out, size_t *cap)
{
        if (out->n == *cap) {
                size_t grown = *cap ? *cap * 2 : 16;
                struct run_process *list = realloc (out->list, grown * sizeof *list);
                if (!list)
                        return NULL;
                out->list = list;
                *cap = grown;
        }
        struct run_process *p = &out->list[out->n];
        memset (p, 0, sizeof *p);
        return p;
}

/* A process forked before Qt that never loaded it, or a fork that went on
 * to exec another program, left an empty channel: not worth a line. */
static bool
worth_listing (struct channel *ch)
{
        return ch->process.origin != PROCESS_FORK || ch->binding[0] || atomic_load (&ch->crash_signal) ||
               atomic_load (&ch->n_groups);
}

static void
free_process (struct run_process *p)
{
        free ((char *) p->stacks);
        for (size_t j = 0; p->argv && p->argv[j]; j++)
                free (p->argv[j]);
        free (p->argv);
        free ((char *) p->reason);
}

/* The unchecked record just read (out->list[out->n]) into the list: one
 * process exec'd through several programs that cannot be checked (a
 * pyenv shim script, then the interpreter it runs) is listed once, as
 * the last of them. */
static void
keep_unchecked (struct run_processes *out)
{
        struct run_process *p = &out->list[out->n];
        for (size_t i = 1; i < out->n; i++) {
                struct run_process *q = &out->list[i];
                if (q->checked || q->pid != p->pid)
                        continue;
                if (q->started_ns > p->started_ns) {
                        free_process (p);
                } else {
                        free_process (q);
                        *q = *p;
                }
                return;
        }
        out->n++;
        out->n_unchecked++;
}

/* One entry of the follow directory, into the list (or not). */
static void
read_entry (struct run_processes *out, size_t *cap, int dir_fd, const char *name)
{
        char path[320];
        if (name[0] != FOLLOW_CHANNEL_PREFIX && name[0] != FOLLOW_UNCHECKED_PREFIX)
                return;
        snprintf (path, sizeof path, "/proc/self/fd/%d/%s", dir_fd, name);
        const char *dash = strchr (name, '-');
        struct run_process *p = add_process (out, cap);
        if (!p)
                return;
        if (name[0] == FOLLOW_UNCHECKED_PREFIX) {
                if (!read_unchecked (p, path))
                        return;
                p->started_ns = dash ? strtoll (dash + 1, NULL, 10) : 0;
                keep_unchecked (out);
                return;
        }
        struct channel *ch = channel_open_file (path);
        if (!ch)
                return;
        if (!worth_listing (ch)) {
                channel_destroy (ch);
                return;
        }
        read_checked (p, ch);
        p->started_ns = atomic_load (&ch->start_ns);
        out->n++;
}

static int
by_start (const void *a, const void *b)
{
        const struct run_process *x = a, *y = b;
        return (x->started_ns > y->started_ns) - (x->started_ns < y->started_ns);
}

/* An unchecked program that went on to exec the run's interpreter (a
 * wrapper script named python3) became a checked process: not listed. */
static void
drop_superseded (struct run_processes *out)
{
        size_t kept = 1;
        for (size_t i = 1; i < out->n; i++) {
                struct run_process *p = &out->list[i];
                bool superseded = false;
                for (size_t j = 1; !p->checked && !superseded && j < out->n; j++)
                        superseded = out->list[j].checked && out->list[j].pid == p->pid &&
                                     out->list[j].started_ns > p->started_ns;
                if (superseded) {
                        free_process (p);
                        out->n_unchecked--;
                        continue;
                }
                out->list[kept++] = *p;
        }
        out->n = kept;
}

void
processes_collect (struct run_processes *out, struct channel *main, const char *dir)
{
        memset (out, 0, sizeof *out);
        size_t cap = 0;
        struct run_process *first = add_process (out, &cap);
        if (!first)
                return;
        read_checked (first, main); /* its own stats: before the children's are counted in */
        out->n = 1;
        DIR *d = dir ? opendir (dir) : NULL;
        struct dirent *e;
        while (d && (e = readdir (d)))
                read_entry (out, &cap, dirfd (d), e->d_name);
        if (d)
                closedir (d);
        qsort (out->list + 1, out->n - 1, sizeof *out->list, by_start);
        drop_superseded (out);
        for (size_t i = 1; i < out->n; i++) {
                struct run_process *p = &out->list[i];
                if (p->checked)
                        channel_merge (main, p->channel, (uint32_t) i);
                if (p->crash_signal && !out->first_crash)
                        out->first_crash = i;
        }
}

void
processes_free (struct run_processes *p)
{
        for (size_t i = 0; p->list && i < p->n; i++) {
                struct run_process *e = &p->list[i];
                free_process (e);
                if (i > 0)
                        channel_destroy (e->channel); /* the main one is the caller's */
        }
        free (p->list);
        memset (p, 0, sizeof *p);
}

/* --- during the run -------------------------------------------------- */

static bool
grow_watch (struct processes_watch *w)
{
        size_t cap = w->cap ? w->cap * 2 : 16;
        struct channel **channels = realloc (w->channels, cap * sizeof *channels);
        if (channels)
                w->channels = channels;
        char **names = channels ? realloc (w->names, cap * sizeof *names) : NULL;
        if (names)
                w->names = names;
        bool *asked = names ? realloc (w->asked, cap * sizeof *asked) : NULL;
        if (!asked)
                return false;
        w->asked = asked;
        w->cap = cap;
        return true;
}

/* Maps the children's channels that appeared since the last look. */
static void
scan (struct processes_watch *w)
{
        DIR *d = opendir (w->dir);
        struct dirent *e;
        while (d && (e = readdir (d))) {
                if (e->d_name[0] != FOLLOW_CHANNEL_PREFIX)
                        continue;
                bool known = false;
                for (size_t i = 0; !known && i < w->n; i++)
                        known = strcmp (w->names[i], e->d_name) == 0;
                if (known || (w->n == w->cap && !grow_watch (w)))
                        continue;
                char path[4400];
                snprintf (path, sizeof path, "%s/%s", w->dir, e->d_name);
                struct channel *ch = channel_open_file (path);
                char *name = ch ? strdup (e->d_name) : NULL;
                if (!name) {
                        channel_destroy (ch);
                        continue;
                }
                w->channels[w->n] = ch;
                w->asked[w->n] = false;
                w->names[w->n++] = name;
        }
        if (d)
                closedir (d);
}

/* A process that still runs (not a zombie its parent has not reaped). */
static bool
running (pid_t pid)
{
        char path[64], buf[256];
        snprintf (path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen (path, "r");
        size_t len = f ? fread (buf, 1, sizeof buf - 1, f) : 0;
        if (f)
                fclose (f);
        buf[len] = '\0';
        const char *paren = strrchr (buf, ')');
        return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

pid_t
processes_find_hang (struct processes_watch *w, int64_t now, int64_t timeout_ns, int64_t resumed_ns,
                     struct channel **hung)
{
        if (!w->dir || now - w->scanned_ns < 500000000)
                return 0;
        w->scanned_ns = now;
        scan (w);
        for (size_t i = 0; i < w->n; i++) {
                struct channel *ch = w->channels[i];
                int64_t beat = atomic_load (&ch->heartbeat_ns);
                pid_t pid = atomic_load (&ch->runner_pid);
                if (beat && beat < resumed_ns)
                        beat = resumed_ns;
                if (!beat || !pid || atomic_load (&ch->loop_level) <= 0 ||
                    atomic_load (&ch->phase) >= PHASE_TEARDOWN || atomic_load (&ch->crash_signal) ||
                    now - beat <= timeout_ns || !running (pid))
                        continue;
                *hung = ch;
                return pid;
        }
        return 0;
}

void
processes_ask_stacks (struct processes_watch *w, int sig)
{
        if (!w->dir)
                return;
        scan (w);
        for (size_t i = 0; i < w->n; i++) {
                struct channel *ch = w->channels[i];
                pid_t pid = atomic_load (&ch->runner_pid);
                w->asked[i] = pid && atomic_load (&ch->dump_ready) && atomic_load (&ch->phase) < PHASE_DONE &&
                              !atomic_load (&ch->crash_signal) && running (pid);
                if (w->asked[i])
                        kill (pid, sig);
        }
}

bool
processes_stacks_done (struct processes_watch *w)
{
        for (size_t i = 0; i < w->n; i++) {
                struct channel *ch = w->channels[i];
                uint32_t len = atomic_load (&ch->dump.length);
                bool done = len > CHANNEL_DUMP_SIZE || dump_complete (ch->dump.text, len);
                if (w->asked[i] && !done && running (atomic_load (&ch->runner_pid)))
                        return false;
        }
        return true;
}

void
processes_watch_end (struct processes_watch *w)
{
        for (size_t i = 0; i < w->n; i++) {
                channel_destroy (w->channels[i]);
                free (w->names[i]);
        }
        free (w->channels);
        free (w->names);
        free (w->asked);
        memset (w, 0, sizeof *w);
}
