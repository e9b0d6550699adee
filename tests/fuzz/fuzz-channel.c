/* SPDX-License-Identifier: MIT */
/* libFuzzer target: what the supervisor reads from the findings channel.
 * The child writes that memory and may corrupt it at any instant (it is the
 * app that crashes): the reader must stay in bounds whatever it holds. The
 * input overwrites the header, the groups, the strings, the thread table
 * and the dump, then the report is built from it. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "supervisor/result.h"

static struct channel *ch;

static void
fill (void *dst, size_t dst_size, const uint8_t **data, size_t *size, size_t take)
{
        if (take > dst_size)
                take = dst_size;
        if (take > *size)
                take = *size;
        memcpy (dst, *data, take);
        *data += take;
        *size -= take;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
        if (!ch)
                ch = channel_create ();
        /* Reset only what the input can reach (the area is large). */
        size_t header = offsetof (struct channel, strings);
        memset (ch, 0, header);
        memset (ch->strings, 0, 4096);
        memset (ch->groups, 0, 8 * sizeof ch->groups[0]);
        fill (ch, header, &data, &size, 256);
        fill (ch->strings, CHANNEL_STRINGS_SIZE, &data, &size, 512);
        fill (ch->groups, sizeof ch->groups, &data, &size, 8 * sizeof ch->groups[0]);
        fill (ch->threads, sizeof ch->threads, &data, &size, 4 * sizeof ch->threads[0]);
        fill (ch->dump.text, sizeof ch->dump.text, &data, &size, size);
        atomic_store (&ch->dump.length, (uint32_t) atomic_load (&ch->dump.length));

        struct options opts = { .script = "app.py", .duration = 5, .hang_timeout = 10 };
        /* Both readings: as after a hang (the dump is diagnosed) and not. */
        for (int hang = 0; hang < 2; hang++) {
                struct supervision sup = { .exited = true, .hang = hang, .stderr_tail = strdup ("") };
                struct run_result r;
                result_build (&r, &opts, 1, ch, &sup, NULL);
                result_free (&r);
        }
        return 0;
}
