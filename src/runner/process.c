/* SPDX-License-Identifier: MIT */
/* process.c: who writes a channel (see process.h). */
#include "config.h"

#include "runner/process.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
append_word (struct channel_process *p, const char *word)
{
        size_t len = strlen (word) + 1;
        if (p->argv_length + len > sizeof p->argv)
                return; /* a cut word would read as another argument */
        memcpy (p->argv + p->argv_length, word, len);
        p->argv_length += (uint32_t) len;
}

void
process_identify (struct channel *ch, enum channel_origin origin, const char *program, int argc,
                  char *const *argv)
{
        struct channel_process *p = &ch->process;
        p->origin = origin;
        p->ppid = (int32_t) getppid ();
        p->argv_length = 0;
        append_word (p, program);
        for (int i = 0; i < argc; i++)
                append_word (p, argv[i]);
}

void
process_identify_append (struct channel *ch, const char *word)
{
        append_word (&ch->process, word);
}

void
process_set_worker (struct channel *ch, const char *worker)
{
        snprintf (ch->process.xdist_worker, sizeof ch->process.xdist_worker, "%s", worker);
}
