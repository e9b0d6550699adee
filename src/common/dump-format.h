/* SPDX-License-Identifier: MIT */
/* dump-format.h: the crash and hang dump the runner leaves in the
 * channel's dump area, its writer and its one reader.
 *
 * The runner's signal handlers write one section per thread, then
 * faulthandler's Python tracebacks, then an end marker:
 *
 *   @thread TID 0xIDENT gil=yes|no main=yes|no crashed=yes|no|handler[ addr=0xFAULT] name=COMM
 *   #N 0xPC function+0xOFFSET in module+0xMODULE_OFFSET [signal]
 *   ...
 *   @python
 *   Current thread 0x... (most recent call first):
 *     File "...", line N in f
 *   @end
 *
 * Frames are innermost first; "[signal]" marks the frame the signal
 * interrupted (where the thread faulted or stood): the frames before it
 * are the handler's own, those from it on the thread's. A function is named
 * only when the address lies within its symbol's size, else "??"; the
 * module offset says where it is either way. "addr=" is the faulting
 * address of a SIGSEGV or SIGBUS (the crashed thread's). "crashed=handler"
 * is a fault inside the handlers themselves. The supervisor may append
 * " python=NAME" to a header (the thread's Python name, from the channel).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DUMP_THREAD "@thread "
#define DUMP_PYTHON "@python\n"
#define DUMP_END "@end\n"
#define DUMP_PYTHON_NAME " python="

/* Writer side: async-signal-safe (no allocation, no stdio, no locale).
 * Text that does not fit in buf is cut. */
struct dump_writer {
        char *buf;
        size_t size, used;
};

struct dump_thread {
        unsigned long tid;
        unsigned long long ident; /* pthread_self () */
        bool gil, main;
        const char *crashed; /* "yes", "no" or "handler" */
        const char *name;    /* the kernel's name of the thread */
        bool has_fault_addr;
        uintptr_t fault_addr;
};

void dump_put (struct dump_writer *w, const char *s);
void dump_put_num (struct dump_writer *w, unsigned long long v, int base);

/* A section's header line. */
void dump_write_thread (struct dump_writer *w, const struct dump_thread *t);

/* One frame line: name NULL gives "??", module NULL leaves " in" out;
 * module_offset is pc's offset in the module. */
void dump_write_frame (struct dump_writer *w, int index, uintptr_t pc, const char *name, uintptr_t offset,
                       const char *module, uintptr_t module_offset, bool interrupted);

/* Reader side, for the supervisor. One thread's section. */
struct dump_section {
        const char *header; /* its "@thread" line, without the newline */
        size_t header_len;
        const char *body;   /* its frame lines */
        const char *end;    /* where the next marker starts */
};

/* The next section from *cursor (start it at the dump), advancing it. */
bool dump_next_section (const char **cursor, struct dump_section *s);

/* Whether the header holds attribute (e.g. " gil=yes", " crashed=handler"). */
bool dump_section_has (const struct dump_section *s, const char *attribute);

/* The first section whose header holds attribute, or false. */
bool dump_find_section (const char *dump, const char *attribute, struct dump_section *s);

/* The section of thread tid, or false. */
bool dump_find_thread (const char *dump, unsigned long tid, struct dump_section *s);

struct dump_header {
        unsigned long tid;
        char ident[32];
        bool main, gil;
        char crashed[16]; /* "yes", "no" or "handler" */
        char name[128]; /* the Python name the supervisor added, else the kernel's */
        char comm[32];  /* the kernel's name */
        bool python_named; /* name is the Python one */
        bool has_fault_addr;
        unsigned long long fault_addr;
};

void dump_parse_header (const struct dump_section *s, struct dump_header *h);

/* One frame line of a section. */
struct dump_frame {
        const char *line;
        size_t line_len;
        const char *name; /* "??" when unknown; name_len without the offset */
        size_t name_len;
        const char *module; /* base name, or NULL */
        size_t module_len;
        bool interrupted;
        bool has_pc, has_offset, has_module_offset; /* older dumps have none of them */
        unsigned long long pc, offset, module_offset;
};

bool dump_parse_frame (const char *line, size_t n, struct dump_frame *f);

/* The faulthandler tracebacks (after the DUMP_PYTHON line), or NULL. */
const char *dump_python_tracebacks (const char *dump);

/* Whether the dump was written to its end. */
bool dump_complete (const char *text, size_t len);
