/* SPDX-License-Identifier: MIT */
/* channel.c: the shared findings area (see channel.h for the contract). */
#include "config.h"

#include "common/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHANNEL_MAGIC 0x31434751u /* "QGC1" */
#define INTERN_BUCKETS (1u << 19)
/* Buckets strings in general may fill: the rest stay for a finding's. */
#define INTERN_GENERAL_BUCKETS (INTERN_BUCKETS / 2)

int64_t
channel_now_ns (void)
{
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct channel *
channel_create_shared (int *fd_out)
{
        int fd = memfd_create ("qgc-check-channel", MFD_CLOEXEC);
        if (fd < 0)
                return NULL;
        if (ftruncate (fd, sizeof (struct channel)) < 0) {
                int saved = errno;
                close (fd);
                errno = saved;
                return NULL;
        }
        struct channel *ch = mmap (NULL, sizeof (struct channel),
                                   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (ch == MAP_FAILED) {
                int saved = errno;
                close (fd);
                errno = saved;
                return NULL;
        }
        ch->magic = CHANNEL_MAGIC;
        ch->size = sizeof (struct channel);
        atomic_store (&ch->strings_used, 1); /* id 0 is "" */
        atomic_store (&ch->running_test_half, 2);
        *fd_out = fd;
        return ch;
}

struct channel *
channel_create (void)
{
        int fd;
        struct channel *ch = channel_create_shared (&fd);
        if (ch)
                close (fd); /* the mapping keeps the memory */
        return ch;
}

struct channel *
channel_attach (int fd)
{
        struct stat st;
        if (fstat (fd, &st) < 0 || st.st_size != (off_t) sizeof (struct channel)) {
                errno = EINVAL;
                return NULL;
        }
        struct channel *ch = mmap (NULL, sizeof (struct channel), PROT_READ | PROT_WRITE,
                                   MAP_SHARED, fd, 0);
        int saved = errno;
        /* The mapping keeps the memory; the descriptor is not needed, so
         * nothing the script does to its descriptors can reach it. */
        close (fd);
        if (ch == MAP_FAILED) {
                errno = saved;
                return NULL;
        }
        if (ch->magic != CHANNEL_MAGIC || ch->size != sizeof (struct channel)) {
                munmap (ch, sizeof *ch);
                errno = EINVAL;
                return NULL;
        }
        return ch;
}

void
channel_destroy (struct channel *ch)
{
        if (ch)
                munmap (ch, sizeof *ch);
}

/* Writer-side state lives in the runner process only. */
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;

void
channel_forked_child (void)
{
        /* Another thread of the parent may have held it at fork(): in the
         * child, whose only thread is the caller, nobody will release it. */
        pthread_mutex_init (&writer_lock, NULL);
}
static uint32_t *intern_table; /* bucket -> string id, 0 = empty */

static uint32_t
hash_bytes (const void *data, size_t len, uint32_t h)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) /* FNV-1a */
                h = (h ^ p[i]) * 16777619u;
        return h;
}

/* Strings in the table, for INTERN_GENERAL_BUCKETS (under the lock). */
static uint32_t intern_count;

enum intern_mode { INTERN_GENERAL, INTERN_FINDING, INTERN_FIND };

/* Under the lock: the id of s, interned if mode allows and there is room. */
static uint32_t
intern_locked (struct channel *ch, const char *s, size_t len, uint32_t h, enum intern_mode mode)
{
        uint32_t limit = mode == INTERN_GENERAL ? CHANNEL_STRINGS_GENERAL : CHANNEL_STRINGS_SIZE;
        for (uint32_t i = 0; i < INTERN_BUCKETS; i++) {
                uint32_t *bucket = &intern_table[(h + i) & (INTERN_BUCKETS - 1)];
                if (*bucket == 0) {
                        uint32_t used = atomic_load (&ch->strings_used);
                        if (mode == INTERN_FIND)
                                return 0;
                        if (used + len + 1 > limit ||
                            (mode == INTERN_GENERAL && intern_count >= INTERN_GENERAL_BUCKETS))
                                return 0;
                        memcpy (ch->strings + used, s, len + 1);
                        atomic_store_explicit (&ch->strings_used, used + len + 1,
                                               memory_order_release);
                        intern_count++;
                        return *bucket = used;
                }
                if (strcmp (ch->strings + *bucket, s) == 0)
                        return *bucket;
        }
        return 0; /* every bucket taken */
}

static uint32_t
intern (struct channel *ch, const char *s, enum intern_mode mode)
{
        if (!s || !*s)
                return 0;
        size_t len = strlen (s);
        uint32_t h = hash_bytes (s, len, 2166136261u);
        uint32_t id = 0;

        pthread_mutex_lock (&writer_lock);
        if (!intern_table)
                intern_table = calloc (INTERN_BUCKETS, sizeof *intern_table);
        if (intern_table)
                id = intern_locked (ch, s, len, h, mode);
        pthread_mutex_unlock (&writer_lock);
        if (id == 0 && mode != INTERN_FIND)
                atomic_fetch_add (mode == INTERN_GENERAL ? &ch->stats.strings_dropped
                                                         : &ch->stats.finding_strings_dropped, 1);
        return id;
}

uint32_t
channel_intern (struct channel *ch, const char *s)
{
        return intern (ch, s, INTERN_GENERAL);
}

uint32_t
channel_intern_finding (struct channel *ch, const char *s)
{
        return intern (ch, s, INTERN_FINDING);
}

uint32_t
channel_find_string (struct channel *ch, const char *s)
{
        return intern (ch, s, INTERN_FIND);
}

void
channel_set_running_test (struct channel *ch, const char *test)
{
        if (!test) {
                atomic_store (&ch->running_test_half, 2);
                return;
        }
        uint32_t half = atomic_load (&ch->running_test_half) == 0 ? 1 : 0;
        char *to = ch->running_test[half];
        size_t n = strlen (test);
        if (n >= CHANNEL_TEST_SIZE)
                n = CHANNEL_TEST_SIZE - 1;
        memcpy (to, test, n);
        to[n] = '\0';
        atomic_store_explicit (&ch->running_test_half, half, memory_order_release);
}

const char *
channel_running_test (const struct channel *ch)
{
        uint32_t half = atomic_load_explicit (&((struct channel *) ch)->running_test_half, memory_order_acquire);
        if (half > 1)
                return NULL;
        const char *t = ch->running_test[half];
        return memchr (t, '\0', CHANNEL_TEST_SIZE) && *t ? t : NULL;
}

/* Room kept for the coarser groups (see enum group_merge): a group by
 * class while fewer than MAX - 8 groups exist, a group by kind always. */
#define CLASS_GROUPS_FROM (CHANNEL_MAX_GROUPS - 512)
#define KIND_GROUPS_FROM (CHANNEL_MAX_GROUPS - 8)

static bool
same_key (const struct finding *a, const struct finding *b, uint32_t merged)
{
        if (merged == MERGE_KIND)
                return a->kind == b->kind;
        if (merged == MERGE_CLASS)
                return a->kind == b->kind && a->qt_class == b->qt_class;
        /* The finalization stack, object name, parents and collection
         * generation vary between occurrences of the same problem; the
         * first occurrence is kept as the example. What decides the fix
         * (the collection's trigger, the owner's event loop) is kept apart. */
        return a->kind == b->kind && a->cause == b->cause && a->qt_class == b->qt_class &&
               a->py_class == b->py_class && a->owner_thread == b->owner_thread &&
               a->finalizing_thread == b->finalizing_thread &&
               a->message == b->message && a->creation_stack == b->creation_stack &&
               a->creation_site == b->creation_site &&
               a->test == b->test && a->creation_test == b->creation_test &&
               a->evidence == b->evidence && a->origin == b->origin &&
               a->class_library == b->class_library && a->during_teardown == b->during_teardown &&
               a->gc_trigger == b->gc_trigger && a->owner_event_loop == b->owner_event_loop;
}

static uint32_t
hash_key (const struct finding *f, uint32_t merged)
{
        if (merged == MERGE_KIND)
                return hash_bytes (&f->kind, sizeof f->kind, 2166136261u ^ 2);
        if (merged == MERGE_CLASS) {
                uint32_t key[] = { f->kind, f->qt_class };
                return hash_bytes (key, sizeof key, 2166136261u ^ 1);
        }
        uint32_t key[] = { f->kind, f->cause, f->qt_class, f->py_class, f->owner_thread,
                           f->finalizing_thread, f->message, f->creation_stack, f->creation_site, f->test,
                           f->creation_test, f->evidence, f->origin, f->class_library, f->during_teardown,
                           f->gc_trigger, f->owner_event_loop };
        return hash_bytes (key, sizeof key, 2166136261u);
}

/* Occurrences of one finding counted at once: one as it happens, or a
 * whole group of another process's channel (channel_merge). */
struct occurrences {
        uint64_t count;
        uint64_t children;
        double first_seen_s;
        uint32_t native_stack;
        uint32_t process;
        uint32_t object_name; /* the (first) objectName among them */
        bool names_vary;      /* they had other names too */
};

/* Counts f into its group at the given merge level; false when the group
 * does not exist and the level may not open a new one. */
static bool
add_at_level (struct channel *ch, const struct finding *f, uint32_t merged, const struct occurrences *o)
{
        uint32_t h = hash_key (f, merged);
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++) {
                struct channel_group *g = &ch->groups[(h + i) % CHANNEL_MAX_GROUPS];
                uint32_t state = atomic_load_explicit (&g->state, memory_order_relaxed);
                if (state == SLOT_PUBLISHED) {
                        if (g->hash == h && g->merged == merged && same_key (&g->finding, f, merged)) {
                                atomic_fetch_add (&g->count, o->count);
                                atomic_fetch_add (&g->children, o->children);
                                if (o->names_vary || o->object_name != g->finding.object_name)
                                        atomic_store (&g->names_vary, 1);
                                if (o->process != g->process)
                                        g->other_processes++;
                                return true;
                        }
                        continue;
                }
                uint32_t n = atomic_load (&ch->n_groups);
                if (n >= (merged == MERGE_NONE    ? CLASS_GROUPS_FROM
                          : merged == MERGE_CLASS ? KIND_GROUPS_FROM
                                                  : CHANNEL_MAX_GROUPS))
                        return false;
                g->hash = h;
                g->merged = merged;
                g->finding = *f;
                g->first_seen_s = o->first_seen_s;
                g->process = o->process;
                atomic_store (&g->native_stack, o->native_stack);
                atomic_store (&g->count, o->count);
                atomic_store (&g->children, o->children);
                atomic_store (&g->names_vary, o->names_vary);
                atomic_store (&ch->n_groups, n + 1);
                atomic_store_explicit (&g->state, SLOT_PUBLISHED, memory_order_release);
                return true;
        }
        return false;
}

/* At f's own level or a coarser one: never dropped. */
static void
add_occurrences (struct channel *ch, const struct finding *f, uint32_t level, const struct occurrences *o)
{
        if (add_at_level (ch, f, level, o))
                return;
        if (level == MERGE_NONE)
                atomic_fetch_add (&ch->stats.merged, o->count);
        if (!(level < MERGE_CLASS && add_at_level (ch, f, MERGE_CLASS, o)) &&
            !add_at_level (ch, f, MERGE_KIND, o))
                atomic_fetch_add (&ch->stats.dropped, o->count); /* more kinds than room: cannot happen */
}

bool
channel_groups_full (struct channel *ch)
{
        return atomic_load (&ch->n_groups) >= CLASS_GROUPS_FROM;
}

bool
channel_has_group (struct channel *ch, const struct finding *f)
{
        uint32_t h = hash_key (f, MERGE_NONE);
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++) {
                struct channel_group *g = &ch->groups[(h + i) % CHANNEL_MAX_GROUPS];
                if (atomic_load_explicit (&g->state, memory_order_acquire) != SLOT_PUBLISHED)
                        return false;
                if (g->hash == h && g->merged == MERGE_NONE && same_key (&g->finding, f, MERGE_NONE))
                        return true;
        }
        return false;
}

void
channel_add_finding (struct channel *ch, const struct finding *f)
{
        struct occurrences one = {
                .count = 1,
                .children = f->children,
                .first_seen_s = (channel_now_ns () - atomic_load (&ch->start_ns)) / 1e9,
                .object_name = f->object_name,
        };
        pthread_mutex_lock (&writer_lock);
        add_occurrences (ch, f, MERGE_NONE, &one);
        pthread_mutex_unlock (&writer_lock);
}

void
channel_describe_native_stacks (struct channel *ch, uint32_t (*describe) (const uint64_t *frames, size_t n))
{
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++) {
                struct channel_group *g = &ch->groups[i];
                if (atomic_load_explicit (&g->state, memory_order_acquire) != SLOT_PUBLISHED ||
                    atomic_load_explicit (&g->native_stack, memory_order_relaxed) != 0 ||
                    !g->finding.native_frames[0])
                        continue;
                size_t n = 0;
                while (n < FINDING_NATIVE_FRAMES && g->finding.native_frames[n])
                        n++;
                uint32_t id = describe (g->finding.native_frames, n);
                /* A group with nothing to say is not asked again. */
                atomic_store_explicit (&g->native_stack, id ? id : UINT32_MAX, memory_order_release);
        }
}

void
channel_add_thread (struct channel *ch, uint64_t ident, int32_t tid, const char *name)
{
        uint32_t i = atomic_fetch_add (&ch->n_threads, 1);
        if (i >= CHANNEL_MAX_THREADS)
                return;
        struct channel_thread *t = &ch->threads[i];
        t->tid = tid;
        snprintf (t->name, sizeof t->name, "%s", name);
        atomic_store_explicit (&t->ident, ident, memory_order_release);
}

struct channel_object_counts *
channel_claim_object_counts (struct channel *ch)
{
        uint32_t i = atomic_fetch_add (&ch->n_object_counts, 1);
        return i < CHANNEL_OBJECT_COUNTS ? &ch->object_counts[i] : NULL;
}

uint64_t
channel_objects (const struct channel *ch, bool created)
{
        struct channel *c = (struct channel *) ch;
        uint64_t n = atomic_load (created ? &c->stats.objects_created : &c->stats.objects_destroyed);
        uint32_t used = atomic_load (&c->n_object_counts);
        for (uint32_t i = 0; i < used && i < CHANNEL_OBJECT_COUNTS; i++)
                n += atomic_load_explicit (created ? &c->object_counts[i].created : &c->object_counts[i].destroyed,
                                           memory_order_relaxed);
        return n;
}

const char *
channel_thread_name (const struct channel *ch, uint64_t ident)
{
        uint32_t n = atomic_load (&((struct channel *) ch)->n_threads);
        if (n > CHANNEL_MAX_THREADS)
                n = CHANNEL_MAX_THREADS;
        /* The newest entry wins: identifiers are reused after a thread ends. */
        for (uint32_t i = n; i-- > 0;) {
                const struct channel_thread *t = &ch->threads[i];
                if (atomic_load_explicit (&((struct channel_thread *) t)->ident, memory_order_acquire) == ident &&
                    memchr (t->name, '\0', sizeof t->name))
                        return t->name;
        }
        return NULL;
}

void
channel_set_error (struct channel *ch, const char *msg)
{
        uint32_t expected = 0;
        if (!atomic_compare_exchange_strong (&ch->error_set, &expected, 1))
                return;
        size_t len = strlen (msg);
        if (len >= sizeof ch->error)
                len = sizeof ch->error - 1;
        memcpy (ch->error, msg, len);
        ch->error[len] = '\0';
        atomic_store (&ch->error_set, 2);
}

void
channel_dump_append (struct channel *ch, const char *text, size_t len)
{
        uint32_t at = atomic_fetch_add (&ch->dump.length, (uint32_t) len);
        if (at >= CHANNEL_DUMP_SIZE)
                return;
        if (len > CHANNEL_DUMP_SIZE - at)
                len = CHANNEL_DUMP_SIZE - at;
        memcpy (ch->dump.text + at, text, len);
}

const char *
channel_string (const struct channel *ch, uint32_t id)
{
        uint32_t used = atomic_load_explicit (&((struct channel *) ch)->strings_used,
                                              memory_order_acquire);
        if (id == 0 || id >= used || id >= CHANNEL_STRINGS_SIZE)
                return "";
        /* A torn or corrupted area must not make the reader run off. */
        if (memchr (ch->strings + id, '\0', used - id) == NULL)
                return "";
        return ch->strings + id;
}

size_t
channel_groups (struct channel *ch, struct channel_group **out, size_t max)
{
        size_t n = 0;
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS && n < max; i++) {
                struct channel_group *g = &ch->groups[i];
                if (atomic_load_explicit (&g->state, memory_order_acquire) == SLOT_PUBLISHED)
                        out[n++] = g;
        }
        return n;
}

void
channel_record_lateness (struct channel *ch, int64_t late_ns)
{
        if (late_ns < 0)
                late_ns = 0;
        int64_t ms = late_ns / 1000000;
        if (ms >= CHANNEL_LATENESS_BUCKETS)
                ms = CHANNEL_LATENESS_BUCKETS - 1;
        atomic_fetch_add (&ch->stats.loop_late_ms[ms], 1);
        atomic_fetch_add (&ch->stats.loop_ticks, 1);
        if (late_ns > atomic_load (&ch->stats.loop_late_max_ns))
                atomic_store (&ch->stats.loop_late_max_ns, late_ns);
}

double
channel_lateness_percentile (const struct channel *ch, double p)
{
        struct channel *c = (struct channel *) ch;
        uint64_t total = 0;
        for (int i = 0; i < CHANNEL_LATENESS_BUCKETS; i++)
                total += atomic_load (&c->stats.loop_late_ms[i]);
        if (!total)
                return 0;
        /* The smallest bucket holding at least p of the samples; its upper
         * edge (the last bucket: the maximum seen). */
        uint64_t need = (uint64_t) (p * (double) total + 0.999999);
        if (need < 1)
                need = 1;
        uint64_t seen = 0;
        for (int i = 0; i < CHANNEL_LATENESS_BUCKETS; i++) {
                seen += atomic_load (&c->stats.loop_late_ms[i]);
                if (seen >= need) {
                        double max_ms = atomic_load (&c->stats.loop_late_max_ns) / 1e6;
                        return i + 1 < max_ms ? (double) (i + 1) : max_ms;
                }
        }
        return atomic_load (&c->stats.loop_late_max_ns) / 1e6;
}

/* --- a run of many processes: one channel file each ------------------ */

static void
channel_init (struct channel *ch)
{
        ch->magic = CHANNEL_MAGIC;
        ch->size = sizeof (struct channel);
        atomic_store (&ch->strings_used, 1); /* id 0 is "" */
        atomic_store (&ch->running_test_half, 2);
}

/* A new, empty file for a channel in dir: "c<pid>-<ns>", never reused.
 * System calls only (also called in a forked child). */
static int
create_channel_file (const char *dir)
{
        char path[4096], digits[24];
        size_t n = 0, len = strlen (dir);
        if (len + 64 > sizeof path)
                return -1;
        memcpy (path, dir, len);
        n = len;
        path[n++] = '/';
        path[n++] = 'c';
        const uint64_t parts[] = { (uint64_t) getpid (), (uint64_t) channel_now_ns () };
        for (int p = 0; p < 2; p++) {
                int d = 0;
                uint64_t v = parts[p];
                do
                        digits[d++] = (char) ('0' + v % 10);
                while ((v /= 10) > 0);
                while (d > 0)
                        path[n++] = digits[--d];
                path[n++] = p == 0 ? '-' : '\0';
        }
        int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 && ftruncate (fd, sizeof (struct channel)) < 0) {
                close (fd);
                unlink (path);
                return -1;
        }
        return fd;
}

struct channel *
channel_create_file (const char *dir)
{
        int fd = create_channel_file (dir);
        if (fd < 0)
                return NULL;
        struct channel *ch = mmap (NULL, sizeof (struct channel), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        int saved = errno;
        close (fd);
        if (ch == MAP_FAILED) {
                errno = saved;
                return NULL;
        }
        channel_init (ch);
        return ch;
}

bool
channel_fork_file (struct channel *ch, const char *dir)
{
        /* The parent's identity, kept: the fork runs the parent's program. */
        static struct channel_process identity;
        static char binding[sizeof ch->binding];
        int fd = create_channel_file (dir);
        if (fd < 0)
                return false;
        identity = ch->process;
        memcpy (binding, ch->binding, sizeof binding);
        void *at = mmap (ch, sizeof (struct channel), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        close (fd);
        if (at == MAP_FAILED)
                return false;
        channel_init (ch);
        ch->process = identity;
        ch->process.origin = PROCESS_FORK;
        ch->process.ppid = (int32_t) getppid ();
        atomic_store (&ch->runner_pid, getpid ());
        atomic_store (&ch->start_ns, channel_now_ns ());
        atomic_store (&ch->phase, PHASE_SCRIPT);
        /* The interned strings are the parent's: this area starts empty. */
        if (intern_table)
                memset (intern_table, 0, INTERN_BUCKETS * sizeof *intern_table);
        intern_count = 0;
        return true;
}

struct channel *
channel_open_file (const char *path)
{
        int fd = open (path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        return channel_attach (fd);
}

/* The strings already in ch, known to this process's intern table, so
 * that interning one of them again gives its id. */
static void
reindex_strings (struct channel *ch)
{
        uint32_t used = atomic_load (&ch->strings_used);
        if (used > CHANNEL_STRINGS_SIZE)
                used = CHANNEL_STRINGS_SIZE;
        for (uint32_t at = 1; at < used;) {
                const char *s = ch->strings + at;
                size_t len = strnlen (s, used - at);
                if (len == 0 || len == used - at)
                        break;
                uint32_t h = hash_bytes (s, len, 2166136261u);
                for (uint32_t i = 0; i < INTERN_BUCKETS; i++) {
                        uint32_t *bucket = &intern_table[(h + i) & (INTERN_BUCKETS - 1)];
                        if (*bucket == 0) {
                                *bucket = at;
                                intern_count++;
                        }
                        if (*bucket == at || strcmp (ch->strings + *bucket, s) == 0)
                                break;
                }
                at += (uint32_t) len + 1;
        }
}

/* A string of from's, as an id of into's. */
static uint32_t
intern_from (struct channel *into, const struct channel *from, uint32_t id)
{
        return id ? channel_intern_finding (into, channel_string (from, id)) : 0;
}

/* The finding of one of from's groups, its strings ids of into's. */
static struct finding
translate_finding (struct channel *into, const struct channel *from, const struct finding *f)
{
        struct finding t = *f;
        uint32_t *ids[] = { &t.qt_class, &t.py_class, &t.object_name, &t.owner_thread,
                            &t.finalizing_thread, &t.message, &t.creation_stack, &t.creation_site,
                            &t.finalization_stack, &t.test, &t.creation_test, &t.class_library,
                            &t.parents };
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
                *ids[i] = intern_from (into, from, *ids[i]);
        /* Its own process's GUI thread, whose loop ran or not there. */
        if (t.owner_event_loop == LOOP_GUI)
                t.owner_event_loop = atomic_load (&((struct channel *) from)->script_loop_ran) ? LOOP_RUNS : LOOP_NONE;
        return t;
}

static void
merge_stats (struct channel_stats *into, const struct channel_stats *from)
{
        _Atomic uint64_t *to[] = { &into->collections,
                                   &into->collections_off_gui, &into->merged, &into->deferred_by_binding,
                                   &into->strings_dropped, &into->finding_strings_dropped,
                                   &into->guarded_faults,
                                   &into->collections_automatic, &into->collections_automatic_off_gui,
                                   &into->collections_automatic_app,
                                   &into->collections_automatic_app_off_gui };
        const _Atomic uint64_t *src[] = { &from->collections, &from->collections_off_gui, &from->merged,
                                          &from->deferred_by_binding, &from->strings_dropped,
                                          &from->finding_strings_dropped,
                                          &from->guarded_faults, &from->collections_automatic,
                                          &from->collections_automatic_off_gui,
                                          &from->collections_automatic_app,
                                          &from->collections_automatic_app_off_gui };
        for (size_t i = 0; i < sizeof to / sizeof to[0]; i++)
                atomic_fetch_add (to[i], atomic_load (src[i]));
}

void
channel_merge (struct channel *into, const struct channel *from, uint32_t process)
{
        pthread_mutex_lock (&writer_lock);
        if (!intern_table)
                intern_table = calloc (INTERN_BUCKETS, sizeof *intern_table);
        pthread_mutex_unlock (&writer_lock);
        if (!intern_table)
                return;
        /* The supervisor merges into one main channel per run; a later
         * run's may be mapped at the same address, but started later. */
        static const struct channel *indexed;
        static int64_t indexed_start_ns;
        if (indexed != into || indexed_start_ns != atomic_load (&into->start_ns)) {
                memset (intern_table, 0, INTERN_BUCKETS * sizeof *intern_table);
                intern_count = 0;
                reindex_strings (into);
                indexed = into;
                indexed_start_ns = atomic_load (&into->start_ns);
        }
        /* Times are since each runner's start: made the main one's. */
        double shift = (atomic_load (&((struct channel *) from)->start_ns) -
                        atomic_load (&into->start_ns)) / 1e9;
        for (uint32_t i = 0; i < CHANNEL_MAX_GROUPS; i++) {
                struct channel_group *g = (struct channel_group *) &from->groups[i];
                if (atomic_load_explicit (&g->state, memory_order_acquire) != SLOT_PUBLISHED)
                        continue;
                struct finding f = translate_finding (into, from, &g->finding);
                uint32_t stack = atomic_load (&g->native_stack);
                struct occurrences o = {
                        .count = atomic_load (&g->count),
                        .children = atomic_load (&g->children),
                        .first_seen_s = g->first_seen_s + shift,
                        .native_stack = stack == UINT32_MAX ? stack : intern_from (into, from, stack),
                        .process = process,
                        .object_name = f.object_name,
                        .names_vary = atomic_load (&g->names_vary) != 0,
                };
                add_occurrences (into, &f, g->merged, &o);
        }
        merge_stats (&into->stats, &from->stats);
        atomic_fetch_add (&into->stats.objects_created, channel_objects (from, true));
        atomic_fetch_add (&into->stats.objects_destroyed, channel_objects (from, false));
}
