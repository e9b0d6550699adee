/* SPDX-License-Identifier: MIT */
/* symbols.h: the function and module of a code address in this process.
 *
 * Names come from the module's separate debug file when its -dbg package
 * is installed (/usr/lib/debug/.build-id), else its own ELF symbol table
 * (.symtab, else .dynsym), read by mapping the files: open, mmap and
 * dladdr only, no malloc, so a crash handler may use it. A function is
 * named only when the address lies within its symbol's size: never the
 * closest symbol below (in a stripped library, an exported neighbour of a
 * hidden function, at an absurd offset). One module stays mapped between
 * lookups: keep a struct symbols for a run of lookups, then close it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbols {
        const char *path; /* dladdr's, stable while the module is loaded */
        const unsigned char *map;
        size_t size;
        const unsigned char *debug_map; /* its debug file, or NULL */
        size_t debug_size;
};

struct symbol {
        const char *name;       /* NULL when no symbol holds the address */
        uintptr_t offset;       /* from the symbol's start */
        const char *module;     /* its path, stable while the module is loaded */
        uintptr_t module_offset; /* from the module's load address */
};

/* The module holding addr and the function whose symbol contains it.
 * False when no module holds addr; out->name stays NULL when no symbol
 * contains it. */
bool symbols_lookup (struct symbols *s, uintptr_t addr, struct symbol *out);

/* Unmaps the module kept mapped. */
void symbols_close (struct symbols *s);
