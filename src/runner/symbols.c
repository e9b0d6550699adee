/* SPDX-License-Identifier: MIT */
/* symbols.c: function names from the modules' own symbol tables (see
 * symbols.h). libunwind's unw_get_proc_name allocates (seen deadlocked on
 * the arena lock of a crash inside free()), so the file is mapped here:
 * open and mmap are async-signal-safe. */
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
#else
#define ELF_CLASS ELFCLASS32
#define ELF_ST_TYPE ELF32_ST_TYPE
#endif

void
symbols_close (struct symbols *e)
{
        if (e->map)
                munmap ((void *) e->map, e->size);
        *e = (struct symbols) { 0 };
}

static bool
elf_open (struct symbols *e, const char *path)
{
        if (e->path == path)
                return e->map != NULL;
        symbols_close (e);
        e->path = path;
        int fd = (int) syscall (SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        struct stat st;
        if (fstat (fd, &st) == 0 && st.st_size > (off_t) sizeof (ElfW (Ehdr))) {
                void *m = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (m != MAP_FAILED) {
                        e->map = m;
                        e->size = (size_t) st.st_size;
                }
        }
        close (fd);
        return e->map != NULL;
}

/* The function holding addr (module-relative for a shared object, absolute
 * for a non-PIE executable): the symbol that contains it, else the closest
 * one below it (as libunwind names frames); .symtab, else .dynsym. */
static bool
elf_function (const struct symbols *e, uintptr_t addr, bool strict, const char **name, uintptr_t *offset)
{
        const ElfW (Ehdr) *eh = (const void *) e->map;
        if (memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELF_CLASS ||
            eh->e_shentsize != sizeof (ElfW (Shdr)) ||
            eh->e_shoff + (size_t) eh->e_shnum * sizeof (ElfW (Shdr)) > e->size)
                return false;
        const ElfW (Shdr) *sh = (const void *) (e->map + eh->e_shoff);
        for (int pass = 0; pass < 2; pass++) {
                uint32_t want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
                const ElfW (Sym) *best = NULL;
                const char *strings = NULL;
                for (unsigned i = 0; i < eh->e_shnum; i++) {
                        if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum)
                                continue;
                        const ElfW (Shdr) *str = &sh[sh[i].sh_link];
                        if (sh[i].sh_offset + sh[i].sh_size > e->size || str->sh_offset + str->sh_size > e->size)
                                continue;
                        const ElfW (Sym) *sym = (const void *) (e->map + sh[i].sh_offset);
                        size_t n = sh[i].sh_size / sizeof *sym;
                        for (size_t k = 0; k < n; k++) {
                                unsigned type = ELF_ST_TYPE (sym[k].st_info);
                                if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[k].st_shndx == SHN_UNDEF ||
                                    sym[k].st_value > addr || sym[k].st_name >= str->sh_size)
                                        continue;
                                bool inside = addr < sym[k].st_value + sym[k].st_size;
                                bool best_inside = best && addr < best->st_value + best->st_size;
                                if (strict && !inside)
                                        continue;
                                if (!best || (inside && !best_inside) ||
                                    (inside == best_inside && sym[k].st_value > best->st_value)) {
                                        best = &sym[k];
                                        strings = (const char *) e->map + str->sh_offset;
                                }
                        }
                }
                if (best) {
                        *name = strings + best->st_name;
                        *offset = addr - best->st_value;
                        return true;
                }
        }
        return false;
}

bool
symbols_lookup (struct symbols *s, uintptr_t addr, bool strict, const char **name, uintptr_t *offset,
                const char **module)
{
        *name = NULL;
        *offset = 0;
        *module = NULL;
        Dl_info dl;
        const ElfW (Sym) *sym = NULL;
        if (!dladdr1 ((void *) addr, &dl, (void **) &sym, RTLD_DL_SYMENT) || !dl.dli_fname)
                return false;
        *module = dl.dli_fname;
        if (elf_open (s, dl.dli_fname)) {
                const ElfW (Ehdr) *eh = (const void *) s->map;
                uintptr_t base = eh->e_type == ET_DYN ? (uintptr_t) dl.dli_fbase : 0;
                if (elf_function (s, addr - base, strict, name, offset))
                        return true;
        }
        bool inside = sym && addr - (uintptr_t) dl.dli_saddr < sym->st_size;
        if (dl.dli_sname && (!strict || inside)) {
                *name = dl.dli_sname;
                *offset = addr - (uintptr_t) dl.dli_saddr;
        }
        return true;
}
