/* main.c: the qgc-check-runner executable (see runner.h).
 *
 * The supervisor execs it in the child it forked, so that the app inherits
 * nothing of the supervisor but the findings channel's descriptor (mapped
 * and closed at once) and its standard streams. Its command line is
 * private to qgc-check and written by supervisor.c:
 *
 *   qgc-check-runner --channel-fd N --seed N --threads N --stress MODE
 *                    --duration S --probe PATH --python PATH
 *                    [--mitigate] [--strict] [--module] -- SCRIPT [ARGS...]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/channel.h"
#include "supervisor/options.h"
#include "runner/runner.h"

enum {
        OPT_CHANNEL_FD = 256,
        OPT_SEED,
        OPT_THREADS,
        OPT_STRESS,
        OPT_DURATION,
        OPT_PROBE,
        OPT_PYTHON,
        OPT_MITIGATE,
        OPT_STRICT,
        OPT_MODULE,
};

static _Noreturn void
usage_error (const char *what)
{
        fprintf (stderr, "qgc-check-runner: %s; it is started by qgc-check, not by hand\n", what);
        exit (2);
}

static unsigned long
number (const char *s, const char *name)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul (s, &end, 10);
        if (errno || !*s || *end)
                usage_error (name);
        return v;
}

int
main (int argc, char **argv)
{
        static const struct option longopts[] = {
                { "channel-fd", required_argument, NULL, OPT_CHANNEL_FD },
                { "seed", required_argument, NULL, OPT_SEED },
                { "threads", required_argument, NULL, OPT_THREADS },
                { "stress", required_argument, NULL, OPT_STRESS },
                { "duration", required_argument, NULL, OPT_DURATION },
                { "probe", required_argument, NULL, OPT_PROBE },
                { "python", required_argument, NULL, OPT_PYTHON },
                { "mitigate", no_argument, NULL, OPT_MITIGATE },
                { "strict", no_argument, NULL, OPT_STRICT },
                { "module", no_argument, NULL, OPT_MODULE },
                { NULL, 0, NULL, 0 },
        };
        struct options opts = { 0 };
        struct runner_config rc = { .opts = &opts };
        int fd = -1;
        int c;
        /* "+": stop at the first operand, as the script's own arguments
         * may look like options. */
        while ((c = getopt_long (argc, argv, "+", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_CHANNEL_FD: fd = (int) number (optarg, "bad --channel-fd"); break;
                case OPT_SEED: rc.seed = (uint32_t) number (optarg, "bad --seed"); break;
                case OPT_THREADS: opts.threads = (unsigned) number (optarg, "bad --threads"); break;
                case OPT_STRESS:
                        if (strcmp (optarg, "alloc") == 0)
                                opts.stress_mode = STRESS_ALLOC;
                        else if (strcmp (optarg, "burst") == 0)
                                opts.stress_mode = STRESS_BURST;
                        else
                                usage_error ("bad --stress");
                        break;
                case OPT_DURATION: {
                        char *end;
                        opts.duration = strtod (optarg, &end);
                        if (*end || opts.duration < 0)
                                usage_error ("bad --duration");
                        break;
                }
                case OPT_PROBE: rc.probe_path = optarg; break;
                case OPT_PYTHON: rc.python_executable = optarg; break;
                case OPT_MITIGATE: opts.mitigate = true; break;
                case OPT_STRICT: opts.strict = true; break;
                case OPT_MODULE: opts.module = true; break;
                default: usage_error ("bad arguments");
                }
        }
        if (fd < 0 || !rc.probe_path || !rc.python_executable || optind >= argc)
                usage_error ("missing arguments");
        opts.script = argv[optind];
        opts.script_argc = argc - optind - 1;
        opts.script_argv = argv + optind + 1;
        rc.channel = channel_attach (fd);
        if (!rc.channel) {
                fprintf (stderr, "qgc-check-runner: cannot map the findings channel (descriptor %d): %s; "
                                 "reinstall qgc-check (its two programs must come from one build)\n",
                         fd, strerror (errno));
                return 127;
        }
        runner_main (&rc);
}
