/* SPDX-License-Identifier: MIT */
/* kept.c: the runner's own store of strings (see kept.h). */
#include "config.h"

#include "runner/kept.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Records sit in chunks that never move, so that a reader finds one by
 * its handle without the lock: a chunk's pointer and the count are
 * published (release) after the record is filled. */
#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS (1u << 14) /* 64 Mi strings */

struct record {
        const char *text;
        uint32_t hash;
        _Atomic uint32_t site;       /* its site's line: offset + 1, 0: none */
        _Atomic uint32_t channel_id; /* 0: not in the channel yet */
        _Atomic uint32_t site_id;    /* the site line's, the same way */
};

static struct record *_Atomic chunks[MAX_CHUNKS];
static _Atomic uint32_t count; /* records in use; handle = index + 1 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Writers only (under the lock): handles by hash, open addressing,
 * doubled when half full. */
static uint32_t *table;
static uint32_t table_size;

static uint32_t
hash_text (const char *s, size_t len)
{
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < len; i++) /* FNV-1a */
                h = (h ^ (unsigned char) s[i]) * 16777619u;
        return h;
}

static struct record *
record_of (uint32_t handle)
{
        if (handle == 0 || handle > atomic_load_explicit (&count, memory_order_acquire))
                return NULL;
        uint32_t i = handle - 1;
        struct record *chunk = atomic_load_explicit (&chunks[i >> CHUNK_BITS], memory_order_acquire);
        return chunk ? &chunk[i & (CHUNK_SIZE - 1)] : NULL;
}

static bool
grow_table (void)
{
        uint32_t size = table_size ? table_size * 2 : 1u << 12;
        uint32_t *bigger = calloc (size, sizeof *bigger);
        if (!bigger)
                return false;
        for (uint32_t i = 0; i < table_size; i++) {
                uint32_t h = table[i];
                if (!h)
                        continue;
                uint32_t at = record_of (h)->hash & (size - 1);
                while (bigger[at])
                        at = (at + 1) & (size - 1);
                bigger[at] = h;
        }
        free (table);
        table = bigger;
        table_size = size;
        return true;
}

/* Under the lock: a new record for s, its handle, or 0. */
static uint32_t
append (const char *s, size_t len, uint32_t hash)
{
        uint32_t i = atomic_load (&count);
        if ((i >> CHUNK_BITS) >= MAX_CHUNKS)
                return 0;
        struct record *chunk = atomic_load (&chunks[i >> CHUNK_BITS]);
        if (!chunk) {
                chunk = calloc (CHUNK_SIZE, sizeof *chunk);
                if (!chunk)
                        return 0;
                atomic_store_explicit (&chunks[i >> CHUNK_BITS], chunk, memory_order_release);
        }
        char *copy = malloc (len + 1);
        if (!copy)
                return 0;
        memcpy (copy, s, len + 1);
        struct record *r = &chunk[i & (CHUNK_SIZE - 1)];
        r->text = copy;
        r->hash = hash;
        atomic_store (&r->site, 0);
        atomic_store (&r->channel_id, 0);
        atomic_store (&r->site_id, 0);
        atomic_store_explicit (&count, i + 1, memory_order_release);
        return i + 1;
}

uint32_t
kept_add (const char *s)
{
        if (!s || !*s)
                return 0;
        size_t len = strlen (s);
        uint32_t hash = hash_text (s, len);
        uint32_t handle = 0;
        pthread_mutex_lock (&lock);
        if ((atomic_load (&count) + 1) * 2 > table_size && !grow_table ())
                goto out;
        uint32_t at = hash & (table_size - 1);
        for (; table[at]; at = (at + 1) & (table_size - 1)) {
                const struct record *r = record_of (table[at]);
                if (r->hash == hash && strcmp (r->text, s) == 0) {
                        handle = table[at];
                        goto out;
                }
        }
        handle = append (s, len, hash);
        if (handle)
                table[at] = handle;
out:
        pthread_mutex_unlock (&lock);
        return handle;
}

const char *
kept_text (uint32_t handle)
{
        const struct record *r = record_of (handle);
        return r ? r->text : NULL;
}

void
kept_set_site (uint32_t handle, unsigned line)
{
        struct record *r = record_of (handle);
        if (!r)
                return;
        const char *p = r->text;
        for (; line > 0 && (p = strchr (p, '\n')) && p[1]; line--)
                p++;
        uint32_t none = 0;
        if (line == 0 && p)
                atomic_compare_exchange_strong (&r->site, &none, (uint32_t) (p - r->text) + 1);
}

uint32_t
kept_in_channel (struct channel *ch, uint32_t handle, bool add)
{
        struct record *r = record_of (handle);
        if (!r)
                return 0;
        uint32_t id = atomic_load_explicit (&r->channel_id, memory_order_acquire);
        if (id)
                return id;
        if (!add)
                return channel_find_string (ch, r->text);
        /* Two threads may copy it at once: the channel interns it once. */
        id = channel_intern_finding (ch, r->text);
        atomic_store_explicit (&r->channel_id, id, memory_order_release);
        return id;
}

uint32_t
kept_site_in_channel (struct channel *ch, uint32_t handle, bool add)
{
        struct record *r = record_of (handle);
        uint32_t site = r ? atomic_load (&r->site) : 0;
        if (!site)
                return 0;
        uint32_t id = atomic_load_explicit (&r->site_id, memory_order_acquire);
        if (id)
                return id;
        char line[4096];
        const char *from = r->text + site - 1, *eol = strchr (from, '\n');
        size_t len = eol ? (size_t) (eol - from) + 1 : strlen (from);
        if (len >= sizeof line)
                return 0;
        memcpy (line, from, len);
        line[len] = '\0';
        if (!add)
                return channel_find_string (ch, line);
        id = channel_intern_finding (ch, line);
        atomic_store_explicit (&r->site_id, id, memory_order_release);
        return id;
}

void
kept_channel_replaced (void)
{
        uint32_t n = atomic_load (&count);
        for (uint32_t h = 1; h <= n; h++) {
                atomic_store (&record_of (h)->channel_id, 0);
                atomic_store (&record_of (h)->site_id, 0);
        }
}

void
kept_forked_child (void)
{
        pthread_mutex_init (&lock, NULL);
}
