/* SPDX-License-Identifier: MIT */
/* symbols.h: the function and module of a code address in this process.
 *
 * Names come from the module's own ELF symbol table (.symtab, else
 * .dynsym), read by mapping the file: open, mmap and dladdr only, no
 * malloc, so a crash handler may use it. One module stays mapped between
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
};

/* The module holding addr (its path, stable while it is loaded) and the
 * function: the symbol that contains addr; unless strict, else the
 * closest one below it (as libunwind names frames: in a stripped library
 * that may be a neighbour of a hidden function). False when no module
 * holds addr; name stays NULL when no symbol fits. */
bool symbols_lookup (struct symbols *s, uintptr_t addr, bool strict, const char **name,
                     uintptr_t *offset, const char **module);

/* Unmaps the module kept mapped. */
void symbols_close (struct symbols *s);
