/*
 * loader.c - ELF user images: a static ELF64 x86-64 executable (ET_EXEC)
 * linked in user space (the project's test and demonstration programs:
 * guest/user/user.ld).  PE images are image sections (section.c, image.c).
 *
 * The image's PT_LOAD segments become one reservation, from the lowest
 * segment rounded down to 64 KB to the end of the highest, whose pages are
 * committed with the segment's protection (R: PAGE_READONLY, RW:
 * PAGE_READWRITE, RX: PAGE_EXECUTE_READ, RWX: PAGE_EXECUTE_READWRITE) and
 * filled from the file, read from the volume at load (the rest is
 * demand-zero: the bss).  The region is MEM_PRIVATE, placed by the system
 * (it cannot be freed).  The symbol table, if any, names the user-mode exception
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

/* Read an object of the file; false if it is not wholly inside. */
static bool get(const struct volume_file *f, uint64_t off, void *dst, uint64_t len)
{
    return inside(off, len, f->size) && NTK_SUCCESS(volume_read(f, off, dst, len));
}

static bool name_is(const struct volume_file *f, const struct elf64_shdr *str, uint32_t n,
                    const char *want)
{
    char buf[64];
    uint64_t len = strlen(want) + 1;
    return len <= sizeof buf && inside(n, len, str->size) &&
           get(f, str->offset + n, buf, len) && memcmp(buf, want, len) == 0;
}

static uint64_t find_symbol(const struct volume_file *f, const struct elf64_ehdr *eh,
                            const char *want)
{
    struct elf64_shdr sh, str;
    if (eh->shentsize != sizeof sh)
        return 0;
    for (unsigned i = 0; i < eh->shnum; i++) {
        if (!get(f, eh->shoff + (uint64_t)i * sizeof sh, &sh, sizeof sh))
            return 0;
        if (sh.type != SHT_SYMTAB || sh.link >= eh->shnum ||
            !get(f, eh->shoff + (uint64_t)sh.link * sizeof str, &str, sizeof str) ||
            !inside(str.offset, str.size, f->size))
            continue;
        for (uint64_t k = 0; k < sh.size / sizeof(struct elf64_sym); k++) {
            struct elf64_sym sym;
            if (!get(f, sh.offset + k * sizeof sym, &sym, sizeof sym))
                break;
            if (name_is(f, &str, sym.name, want))
                return sym.value;
        }
    }
    return 0;
}

/* Copy a segment's file bytes into the process, a page at a time. */
static ntk_status copy_segment(struct process *p, const struct volume_file *f,
                               const struct elf64_phdr *ph)
{
    uint64_t bounce = pfn_alloc(USE_VOLUME, false);
    if (!bounce)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    ntk_status st = NTK_STATUS_SUCCESS;
    for (uint64_t done = 0; done < ph->filesz && NTK_SUCCESS(st); done += PAGE_SIZE) {
        uint64_t n = ph->filesz - done < PAGE_SIZE ? ph->filesz - done : PAGE_SIZE;
        st = volume_read(f, ph->offset + done, P2V(bounce), n);
        if (NTK_SUCCESS(st))
            st = vm_write_process(p, ph->vaddr + done, P2V(bounce), n);
    }
    pfn_free(bounce);
    return st;
}

bool loader_is_elf(const struct volume_file *f)
{
    uint8_t ident[4];
    return get(f, 0, ident, 4) && memcmp(ident, "\177ELF", 4) == 0;
}

ntk_status loader_load(struct process *p, const struct volume_file *f)
{
    struct elf64_ehdr eh;
    struct elf64_phdr ph[MAX_SEGMENTS];
    if (!get(f, 0, &eh, sizeof eh) || memcmp(eh.ident, "\177ELF\2\1\1", 7) || eh.type != 2 ||
        eh.machine != 62 || eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0 ||
        eh.phnum > MAX_SEGMENTS || !get(f, eh.phoff, ph, (uint64_t)eh.phnum * sizeof ph[0]))
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    uint64_t lo = UINT64_MAX, hi = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < eh.phnum; i++) {
        if (ph[i].type != PT_LOAD || !ph[i].memsz)
            continue;
        if (ph[i].filesz > ph[i].memsz || !inside(ph[i].offset, ph[i].filesz, f->size) ||
            ph[i].vaddr < NTK_LOWEST_USER_ADDRESS || ph[i].vaddr >= USER_TOP ||
            ph[i].memsz > USER_TOP - ph[i].vaddr)
            return NTK_STATUS_INVALID_IMAGE_FORMAT;
        if (ph[i].vaddr < lo)
            lo = ph[i].vaddr;
        if (ph[i].vaddr + ph[i].memsz > hi)
            hi = ph[i].vaddr + ph[i].memsz;
        if ((ph[i].flags & PF_X) && eh.entry >= ph[i].vaddr &&
            eh.entry < ph[i].vaddr + ph[i].memsz)
            entry_ok = true;
    }
    if (!hi || !entry_ok)
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    uint64_t base = lo & ~(NTK_ALLOCATION_GRANULARITY - 1), len = PAGE_ROUND_UP(hi) - base;
    ntk_status st = vm_allocate(p, &base, &len, NTK_MEM_RESERVE, NTK_PAGE_EXECUTE_READWRITE,
                                VAD_SYSTEM);
    if (!NTK_SUCCESS(st))
        return st == NTK_STATUS_CONFLICTING_ADDRESSES ? NTK_STATUS_INVALID_IMAGE_FORMAT : st;
    for (unsigned i = 0; i < eh.phnum && NTK_SUCCESS(st); i++) {
        if (ph[i].type != PT_LOAD || !ph[i].memsz)
            continue;
        uint64_t at = PAGE_ROUND_DOWN(ph[i].vaddr);
        uint64_t n = PAGE_ROUND_UP(ph[i].vaddr + ph[i].memsz) - at;
        st = vm_allocate(p, &at, &n, NTK_MEM_COMMIT, segment_protection(ph[i].flags), 0);
        if (NTK_SUCCESS(st))
            st = copy_segment(p, f, &ph[i]);
    }
    if (!NTK_SUCCESS(st))
        return st;
    p->image_base = base;
    p->entry = eh.entry;
    p->dispatcher = find_symbol(f, &eh, "KiUserExceptionDispatcher");
    return NTK_STATUS_SUCCESS;
}
