/* SPDX-License-Identifier: MIT */
/* symbols.c: function names from the modules' own symbol tables and
 * their separate debug files (see symbols.h). libunwind's
 * unw_get_proc_name allocates (seen deadlocked on the arena lock of a
 * crash inside free()), and so do libdw and libbacktrace, so the files are
 * mapped here: open and mmap are async-signal-safe. */
#include "config.h"

#include "runner/symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if __ELF_NATIVE_CLASS == 64
#define ELF_CLASS ELFCLASS64
#define ELF_ST_TYPE ELF64_ST_TYPE
#define ELF_ST_BIND ELF64_ST_BIND
#else
#define ELF_CLASS ELFCLASS32
#define ELF_ST_TYPE ELF32_ST_TYPE
#define ELF_ST_BIND ELF32_ST_BIND
#endif

void
symbols_close (struct symbols *e)
{
        if (e->map)
                munmap ((void *) e->map, e->size);
        if (e->debug_map)
                munmap ((void *) e->debug_map, e->debug_size);
        *e = (struct symbols) { 0 };
}

/* Signal-safe. The whole file at path, read-only, or NULL. */
static const unsigned char *
map_file (const char *path, size_t *size)
{
        int fd = (int) syscall (SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        const unsigned char *map = NULL;
        struct stat st;
        if (fstat (fd, &st) == 0 && st.st_size > (off_t) sizeof (ElfW (Ehdr))) {
                void *m = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (m != MAP_FAILED) {
                        map = m;
                        *size = (size_t) st.st_size;
                }
        }
        close (fd);
        return map;
}

/* The section headers of a mapped ELF file of this process's class, or NULL. */
static const ElfW (Shdr) *
elf_sections (const unsigned char *map, size_t size)
{
        const ElfW (Ehdr) *eh = (const void *) map;
        if (memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELF_CLASS ||
            eh->e_shentsize != sizeof (ElfW (Shdr)) ||
            eh->e_shoff + (size_t) eh->e_shnum * sizeof (ElfW (Shdr)) > size)
                return NULL;
        return (const void *) (map + eh->e_shoff);
}

/* Signal-safe. The separate debug file of a module without .symtab
 * (Debian's -dbg packages: /usr/lib/debug/.build-id/xx/rest.debug, named
 * by the module's GNU build id), mapped into e->debug_map. */
static void
open_debug_file (struct symbols *e)
{
        const ElfW (Ehdr) *eh = (const void *) e->map;
        const ElfW (Shdr) *sh = elf_sections (e->map, e->size);
        for (unsigned i = 0; sh && i < eh->e_shnum; i++)
                if (sh[i].sh_type == SHT_SYMTAB)
                        return;
        for (unsigned i = 0; sh && i < eh->e_shnum; i++) {
                if (sh[i].sh_type != SHT_NOTE || sh[i].sh_offset + sh[i].sh_size > e->size)
                        continue;
                const unsigned char *p = e->map + sh[i].sh_offset, *end = p + sh[i].sh_size;
                while (p + sizeof (ElfW (Nhdr)) <= end) {
                        const ElfW (Nhdr) *n = (const void *) p;
                        const unsigned char *desc = p + sizeof *n + ((n->n_namesz + 3) & ~3u);
                        if (desc + n->n_descsz > end)
                                break;
                        if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && n->n_descsz >= 2 &&
                            n->n_descsz <= 64 && memcmp (p + sizeof *n, "GNU", 4) == 0) {
                                static const char dir[] = "/usr/lib/debug/.build-id/";
                                char path[sizeof dir + 2 * 64 + 8];
                                char *q = path;
                                memcpy (q, dir, sizeof dir - 1);
                                q += sizeof dir - 1;
                                for (unsigned k = 0; k < n->n_descsz; k++) {
                                        *q++ = "0123456789abcdef"[desc[k] >> 4];
                                        *q++ = "0123456789abcdef"[desc[k] & 15];
                                        if (k == 0)
                                                *q++ = '/';
                                }
                                memcpy (q, ".debug", 7);
                                e->debug_map = map_file (path, &e->debug_size);
                                if (e->debug_map && !elf_sections (e->debug_map, e->debug_size)) {
                                        munmap ((void *) e->debug_map, e->debug_size);
                                        e->debug_map = NULL;
                                }
                                return;
                        }
                        p = desc + ((n->n_descsz + 3) & ~3u);
                }
        }
}

static bool
elf_open (struct symbols *e, const char *path)
{
        if (e->path == path)
                return e->map != NULL;
        symbols_close (e);
        e->path = path;
        e->map = map_file (path, &e->size);
        if (e->map && !elf_sections (e->map, e->size)) {
                munmap ((void *) e->map, e->size);
                e->map = NULL;
        }
        if (e->map)
                open_debug_file (e);
        return e->map != NULL;
}

/* Of the names of one address (a debug file's .symtab holds glibc's
 * internal aliases: __GI_raise, __free), the one callers know: global
 * before weak before local, then the fewest leading underscores. */
static int
alias_rank (const ElfW (Sym) *sym, const char *strings)
{
        unsigned bind = ELF_ST_BIND (sym->st_info);
        int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 100 : 200;
        for (const char *p = strings + sym->st_name; *p == '_'; p++)
                rank++;
        return rank;
}

/* The function of one symbol table that contains addr (module-relative
 * for a shared object, absolute for a non-PIE executable): its value at
 * or below addr and addr within its size. */
static const ElfW (Sym) *
table_function (const unsigned char *map, size_t size, const ElfW (Shdr) *table, const ElfW (Shdr) *str,
                uintptr_t addr)
{
        if (table->sh_offset + table->sh_size > size || str->sh_offset + str->sh_size > size)
                return NULL;
        const ElfW (Sym) *sym = (const void *) (map + table->sh_offset), *best = NULL;
        const char *strings = (const char *) map + str->sh_offset;
        size_t n = table->sh_size / sizeof *sym;
        for (size_t k = 0; k < n; k++) {
                unsigned type = ELF_ST_TYPE (sym[k].st_info);
                if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[k].st_shndx == SHN_UNDEF ||
                    sym[k].st_value > addr || addr - sym[k].st_value >= sym[k].st_size ||
                    sym[k].st_name >= str->sh_size)
                        continue;
                if (!best || sym[k].st_value > best->st_value ||
                    (sym[k].st_value == best->st_value &&
                     alias_rank (&sym[k], strings) < alias_rank (best, strings)))
                        best = &sym[k];
        }
        return best;
}

/* The function holding addr in a mapped ELF file: .symtab, else .dynsym. */
static bool
elf_function (const unsigned char *map, size_t size, uintptr_t addr, const char **name, uintptr_t *offset)
{
        const ElfW (Ehdr) *eh = (const void *) map;
        const ElfW (Shdr) *sh = map ? elf_sections (map, size) : NULL;
        for (int pass = 0; sh && pass < 2; pass++) {
                uint32_t want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
                for (unsigned i = 0; i < eh->e_shnum; i++) {
                        if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum)
                                continue;
                        const ElfW (Shdr) *str = &sh[sh[i].sh_link];
                        const ElfW (Sym) *best = table_function (map, size, &sh[i], str, addr);
                        if (best) {
                                *name = (const char *) map + str->sh_offset + best->st_name;
                                *offset = addr - best->st_value;
                                return true;
                        }
                }
        }
        return false;
}

bool
symbols_lookup (struct symbols *s, uintptr_t addr, struct symbol *out)
{
        *out = (struct symbol) { 0 };
        Dl_info dl;
        const ElfW (Sym) *sym = NULL;
        if (!dladdr1 ((void *) addr, &dl, (void **) &sym, RTLD_DL_SYMENT) || !dl.dli_fname)
                return false;
        out->module = dl.dli_fname;
        out->module_offset = addr - (uintptr_t) dl.dli_fbase;
        if (elf_open (s, dl.dli_fname)) {
                const ElfW (Ehdr) *eh = (const void *) s->map;
                uintptr_t base = eh->e_type == ET_DYN ? (uintptr_t) dl.dli_fbase : 0;
                if (elf_function (s->debug_map, s->debug_size, addr - base, &out->name, &out->offset) ||
                    elf_function (s->map, s->size, addr - base, &out->name, &out->offset))
                        return true;
        }
        /* The file could not be read: the dynamic symbol dladdr found,
         * if addr lies within its size. */
        if (dl.dli_sname && sym && addr - (uintptr_t) dl.dli_saddr < sym->st_size) {
                out->name = dl.dli_sname;
                out->offset = addr - (uintptr_t) dl.dli_saddr;
        }
        return true;
}
