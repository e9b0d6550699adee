/* SPDX-License-Identifier: MIT */
/* host.c: qgc-host.so, preloaded into the interpreter program: its main becomes the runner's (see common/host.h). */
#include "config.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/host.h"

/* glibc's __libc_start_main as on x86-64, arm64 and the other ports with
 * the generic signature; PowerPC's differs. */
#if defined(__powerpc__) || defined(__powerpc64__)
#error "qgc-host.so interposes the generic __libc_start_main; PowerPC's has another signature"
#endif

typedef int (*main_fn) (int, char **, char **);
typedef int (*start_fn) (main_fn, int, char **, void (*) (void), void (*) (void), void (*) (void), void *);

static char runner[4096];

/* LD_PRELOAD without this library. */
static void
remove_self_from_preload (void)
{
        const char *preload = getenv ("LD_PRELOAD");
        if (!preload)
                return;
        size_t len = strlen (preload);
        char *kept = malloc (len + 1);
        if (!kept)
                return;
        if (host_preload_without_host (preload, kept, len + 1))
                setenv ("LD_PRELOAD", kept, 1);
        else
                unsetenv ("LD_PRELOAD");
        free (kept);
}

static int
runner_main (int argc, char **argv, char **envp)
{
        (void) envp;
        /* RTLD_GLOBAL is not needed: the runner's references to the C API
         * bind to the interpreter's program (or its libpython), already
         * in the global scope. */
        void *handle = dlopen (runner, RTLD_NOW | RTLD_LOCAL);
        host_runner_entry entry = handle ? (host_runner_entry) dlsym (handle, HOST_RUNNER_ENTRY) : NULL;
        if (!entry) {
                fprintf (stderr, "qgc-check: cannot load its runner '%s' into %s: %s; that python3 is not the "
                                 "Python this qgc-check was built for (the venv's interpreter changed?): pip "
                                 "install qgc-check into the venv again (or recreate the venv)\n",
                         runner, argv[0], dlerror ());
                return 127;
        }
        return entry (argc, argv);
}

__attribute__ ((visibility ("default"))) int
__libc_start_main (main_fn main, int argc, char **argv, void (*init) (void), void (*fini) (void),
                   void (*rtld_fini) (void), void *stack_end)
{
        start_fn real = (start_fn) dlsym (RTLD_NEXT, "__libc_start_main");
        const char *name = getenv (HOST_RUNNER_ENV);
        /* Only in the interpreter the environment names a runner for: a
         * program without CPython's C API keeps its own main. */
        if (name && *name && dlsym (RTLD_DEFAULT, "Py_InitializeFromConfig")) {
                if (strlen (name) >= sizeof runner) {
                        fprintf (stderr, "qgc-check: the path of its runner is longer than %zu bytes; install it "
                                         "under a shorter path\n", sizeof runner - 1);
                        _exit (127);
                }
                strcpy (runner, name);
                unsetenv (HOST_RUNNER_ENV);
                remove_self_from_preload ();
                main = runner_main;
        }
        return real (main, argc, argv, init, fini, rtld_fini, stack_end);
}
