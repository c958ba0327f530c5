/*
 * loader.c - user images.  For now an image is a static ELF64 x86-64
 * executable (ET_EXEC) linked in user space (the project's user programs:
 * guest/user/user.ld); the next issue adds PE images as sections.
 *
 * The image's PT_LOAD segments become one reservation, from the lowest
 * segment rounded down to 64 KB to the end of the highest, whose pages are
 * committed with the segment's protection (R: PAGE_READONLY, RW:
 * PAGE_READWRITE, RX: PAGE_EXECUTE_READ, RWX: PAGE_EXECUTE_READWRITE) and
 * filled from the file (the rest is demand-zero: the bss).  Until image
 * sections exist the region is MEM_PRIVATE, placed by the system (it cannot
 * be freed).  The symbol table, if any, names the user-mode exception
 * dispatcher, KiUserExceptionDispatcher (shared/nt/exception.h).
 */
#include "guest/kernel/kernel.h"

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct elf64_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};
struct elf64_sym {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define SHT_SYMTAB 2
#define MAX_SEGMENTS 16

static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static uint32_t segment_protection(uint32_t flags)
{
    if (flags & PF_X)
        return (flags & PF_W) ? NTK_PAGE_EXECUTE_READWRITE : NTK_PAGE_EXECUTE_READ;
    return (flags & PF_W) ? NTK_PAGE_READWRITE : NTK_PAGE_READONLY;
}

static uint64_t find_symbol(const uint8_t *img, uint64_t size, const struct elf64_ehdr *eh,
                            const char *want)
{
    if (eh->shentsize != sizeof(struct elf64_shdr) ||
        !inside(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), size))
        return 0;
    const struct elf64_shdr *sh = (const void *)(img + eh->shoff);
    for (unsigned i = 0; i < eh->shnum; i++) {
        if (sh[i].type != SHT_SYMTAB || sh[i].link >= eh->shnum ||
            !inside(sh[i].offset, sh[i].size, size))
            continue;
        const struct elf64_shdr *str = &sh[sh[i].link];
        if (!inside(str->offset, str->size, size))
            continue;
        const struct elf64_sym *sym = (const void *)(img + sh[i].offset);
        for (uint64_t k = 0; k < sh[i].size / sizeof *sym; k++) {
            uint64_t n = sym[k].name, len = strlen(want);
            if (inside(n, len + 1, str->size) &&
                memcmp(img + str->offset + n, want, len + 1) == 0)
                return sym[k].value;
        }
    }
    return 0;
}

ntk_status loader_load(struct process *p, const uint8_t *img, uint64_t size)
{
    const struct elf64_ehdr *eh = (const void *)img;
    if (size < sizeof *eh || memcmp(eh->ident, "\177ELF\2\1\1", 7) || eh->type != 2 ||
        eh->machine != 62 || eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 ||
        eh->phnum > MAX_SEGMENTS ||
        !inside(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), size))
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
    uint64_t lo = UINT64_MAX, hi = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD || !ph[i].memsz)
            continue;
        if (ph[i].filesz > ph[i].memsz || !inside(ph[i].offset, ph[i].filesz, size) ||
            ph[i].vaddr < NTK_LOWEST_USER_ADDRESS || ph[i].vaddr >= USER_TOP ||
            ph[i].memsz > USER_TOP - ph[i].vaddr)
            return NTK_STATUS_INVALID_IMAGE_FORMAT;
        if (ph[i].vaddr < lo)
            lo = ph[i].vaddr;
        if (ph[i].vaddr + ph[i].memsz > hi)
            hi = ph[i].vaddr + ph[i].memsz;
        if ((ph[i].flags & PF_X) && eh->entry >= ph[i].vaddr &&
            eh->entry < ph[i].vaddr + ph[i].memsz)
            entry_ok = true;
    }
    if (!hi || !entry_ok)
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    uint64_t base = lo & ~(NTK_ALLOCATION_GRANULARITY - 1), len = PAGE_ROUND_UP(hi) - base;
    ntk_status st = vm_allocate(p, &base, &len, NTK_MEM_RESERVE, NTK_PAGE_EXECUTE_READWRITE,
                                VAD_SYSTEM);
    if (!NTK_SUCCESS(st))
        return st == NTK_STATUS_CONFLICTING_ADDRESSES ? NTK_STATUS_INVALID_IMAGE_FORMAT : st;
    for (unsigned i = 0; i < eh->phnum && NTK_SUCCESS(st); i++) {
        if (ph[i].type != PT_LOAD || !ph[i].memsz)
            continue;
        uint64_t at = PAGE_ROUND_DOWN(ph[i].vaddr);
        uint64_t n = PAGE_ROUND_UP(ph[i].vaddr + ph[i].memsz) - at;
        st = vm_allocate(p, &at, &n, NTK_MEM_COMMIT, segment_protection(ph[i].flags), 0);
        if (NTK_SUCCESS(st))
            st = vm_write_process(p, ph[i].vaddr, img + ph[i].offset, ph[i].filesz);
    }
    if (!NTK_SUCCESS(st))
        return st;
    p->image_base = base;
    p->entry = eh->entry;
    p->dispatcher = find_symbol(img, size, eh, "KiUserExceptionDispatcher");
    return NTK_STATUS_SUCCESS;
}
