/* SPDX-License-Identifier: MIT */
/* processes.h: every process of a run, checked or not.
 *
 * Before the run: the follow directory (common/follow.h), private to the
 * run, on a tmpfs, with the words the exec shim needs. During it: the
 * children's heartbeats (a hang) and, on a stop, their stacks. After it: each
 * checked child's channel merged into the main one (common/channel.h,
 * channel_merge: exact counts, each group naming the process it was first
 * seen in) and the list of every process, with how it ended and its own
 * stats; then the directory is removed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/channel.h"

struct run_process {
        int pid;
        int ppid;
        char **argv;              /* NULL-terminated, valid UTF-8 is the renderer's job */
        const char *xdist_worker; /* "" when none */
        bool checked;
        const char *reason;       /* unchecked: why, else NULL */
        const char *origin;       /* checked: "main", "exec" or "fork" */
        const char *outcome;      /* "returned", "exit", "exception", "cannot-run",
                                   * "crash", "killed" (ended before its runner did,
                                   * by a signal not its own crash), NULL: unknown */
        int exit_status;          /* -1 unknown */
        int crash_signal;         /* 0 unless it crashed */
        const char *binding;      /* the Qt binding it loaded, "" none */
        const char *running_test; /* the test it ran last, "" none */
        const char *stacks;       /* a child's stacks (malloc'd, valid UTF-8, threads
                                   * named): a stop asked every child for them, or it
                                   * crashed or hung; NULL: none */
        const char *error;        /* checked: its runner's own error (a probe that
                                   * could not load, a Qt 5 binding), or NULL */
        uint64_t objects_created, objects_destroyed, collections, collections_off_gui;
        uint64_t findings;        /* occurrences recorded in it */
        struct channel *channel;  /* its channel (checked), mapped until processes_free */
        int64_t started_ns;       /* CLOCK_MONOTONIC: the list is in this order */
};

struct run_processes {
        struct run_process *list; /* [0] is the main process */
        size_t n;
        size_t n_unchecked;
        size_t first_crash;       /* index of the first child that crashed, 0: none */
};

/* Makes the run's follow directory (mode 700: /dev/shm, $XDG_RUNTIME_DIR
 * or $TMPDIR with 256 MiB free, else /tmp); its path into dir. False with
 * a message in error. */
bool processes_make_dir (char *dir, size_t dir_size, char *error, size_t error_size);

/* Its exec file: words[0..n) NUL-separated (common/follow.h). False with
 * a message in error, and the directory removed. */
bool processes_write_exec (const char *dir, char *const *words, size_t n, char *error, size_t error_size);

/* During the run: the checked children's channels, mapped as their files
 * appear in dir (NULL: --no-follow, and every call does nothing). */
struct processes_watch {
        const char *dir;
        struct channel **channels;
        char **names;      /* their files, already seen */
        bool *asked;       /* asked for their stacks by processes_ask_stacks */
        size_t n, cap;
        int64_t scanned_ns;
};

/* A child (looked at twice a second at most) whose GUI event loop has not
 * turned for timeout_ns while it runs (beats before resumed_ns, when the
 * run was continued after a stop, count from then): its pid, its channel
 * in *hung; 0 when none. */
pid_t processes_find_hang (struct processes_watch *w, int64_t now, int64_t timeout_ns, int64_t resumed_ns,
                           struct channel **hung);

/* A stop: every checked child still running is asked (sig) for its
 * stacks, as the main runner is. */
void processes_ask_stacks (struct processes_watch *w, int sig);

/* The stacks asked for have all come, or their process has ended. */
bool processes_stacks_done (struct processes_watch *w);

/* Unmaps what the watch mapped. */
void processes_watch_end (struct processes_watch *w);

/* After the run, every process of it killed: the main process's entry
 * from main (its stats before the merge), each child's channel and record
 * read from dir (NULL: --no-follow), the children's groups and stats
 * counted into main. */
void processes_collect (struct run_processes *out, struct channel *main, const char *dir);

/* Removes the directory and what is left in it. */
void processes_remove (const char *dir);

void processes_free (struct run_processes *p);
