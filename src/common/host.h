/* SPDX-License-Identifier: MIT */
/* host.h: how a runner starts inside the interpreter's own program.
 *
 * The runner is a library (qgc-check-runner[-3.X].so), not a program: the
 * supervisor, and the exec shim for a child of the run, exec the venv's
 * interpreter itself (its python3, the very file `python3 app.py` runs)
 * with the host (qgc-host.so) preloaded and HOST_RUNNER_ENV naming the
 * runner library. The host replaces that process's main: it loads the
 * runner, whose C API calls bind to the interpreter's own exported
 * functions, and calls HOST_RUNNER_ENTRY with the process's argv
 * (common/runner-args.h). So the script runs on the interpreter's code as
 * its build made it (Debian links python3 with link-time and
 * profile-guided optimisation; its libpython3.X.a and .so are not).
 *
 * The host needs libc only and does nothing in a process that does not
 * carry CPython's C API or whose environment does not name a runner (a
 * debugger's or valgrind's launcher that inherits the preload, say). In
 * the runner it removes itself and HOST_RUNNER_ENV from the environment
 * before the script starts, so that the script's own children inherit
 * neither.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define HOST_RUNNER_ENV "QGC_RUNNER"
#define HOST_RUNNER_ENTRY "qgc_runner_main"
#define HOST_SHIM_NAME "qgc-host.so"

/* A LD_PRELOAD list (words separated by spaces or colons, as ld.so reads
 * them) without the host, colon-separated, into out (size bytes; words
 * that do not fit are left out). libc only, no allocation: also for the
 * exec shim in a vfork child. Returns the length written. */
static inline size_t
host_preload_without_host (const char *preload, char *out, size_t size)
{
        size_t n = 0, name_len = strlen (HOST_SHIM_NAME);
        for (const char *p = preload; size && *p;) {
                size_t word = strcspn (p, " :");
                const char *base = p + word;
                while (base > p && base[-1] != '/')
                        base--;
                bool host = (size_t) (p + word - base) == name_len && memcmp (base, HOST_SHIM_NAME, name_len) == 0;
                if (word && !host && n + word + 1 < size) {
                        if (n)
                                out[n++] = ':';
                        memcpy (out + n, p, word);
                        n += word;
                }
                p += word;
                if (*p)
                        p++;
        }
        if (size)
                out[n] = '\0';
        return n;
}

/* The runner library's entry: argv is the runner's command line, argv[0]
 * the interpreter. Returns the process's exit status (it usually exits
 * itself, as Python's main does). */
typedef int (*host_runner_entry) (int argc, char **argv);
