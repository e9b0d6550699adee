/* SPDX-License-Identifier: MIT */
/* follow.h: what the run's follow directory holds, for the supervisor,
 * the runner and the exec shim (qgc-follow.so) alike.
 *
 * The supervisor makes one private directory per run (on a tmpfs) and
 * names it in the environment (FOLLOW_ENV); the shim, preloaded into the
 * runner and inherited by every process of the run, starts each exec of
 * the run's interpreter as a runner in child mode instead, and leaves a
 * record for every process of the run it cannot check. Everything here is
 * a file in that directory:
 *
 *   exec        NUL-separated words: the runner library, the interpreter
 *               it runs in, the host that loads it there (common/host.h),
 *               then the shared options of a child runner's command line
 *               (common/runner-args.h)
 *   c<pid>-<ns> a checked process's channel (common/channel.h)
 *   u<pid>-<ns> an unchecked process: "pid\nppid\nreason\n" then its
 *               argv, NUL-separated
 */
#pragma once

#define FOLLOW_ENV "QGC_FOLLOW"
#define FOLLOW_EXEC_FILE "exec"
#define FOLLOW_CHANNEL_PREFIX 'c'
#define FOLLOW_UNCHECKED_PREFIX 'u'
#define FOLLOW_SHIM_NAME "qgc-follow.so"

/* Why a process is not checked (the record's reason line). */
#define FOLLOW_REASON_OTHER_PYTHON "another Python interpreter than the run's"
#define FOLLOW_REASON_QT_PROGRAM "a program that is not Python and loads Qt"
#define FOLLOW_REASON_ENVIRONMENT "the run's interpreter, with an environment too large to add the runner to"
