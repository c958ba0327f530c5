/*
 * elf_check.c - validation of an ELF64 kernel's headers (see elf.h and
 * docs/loader.md).
 *
 * Every header is decoded from the raw bytes with elf64_xlatetom() and
 * checked field by field *before* libelf gets the file: elf_memory() does
 * refuse some corrupt files itself, but with a generic message that names
 * neither the field nor the value.  Each range is checked against the file
 * size before any byte of it is read, and every sum of two fields is checked
 * for wrap-around before it is formed.
 */
#include <gelf.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "loader/elf_internal.h"

#define X "0x%" PRIx64

struct check {
    struct elf_image *img;
    struct loader_error *err;
    Elf64_Ehdr eh;
};

/* A header field that must hold one value. */
struct rule {
    const char *field;
    size_t offset;
    uint64_t value, want;
    const char *expected;
};

__attribute__((format(printf, 2, 3)))
static bool fail(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loader_failv(c->err, c->img->name, fmt, ap);
    va_end(ap);
    return false;
}

/* fail() with a prefix naming a program or section header and its offset. */
__attribute__((format(printf, 5, 6)))
static bool header_fail(struct check *c, const char *kind, unsigned i, uint64_t off,
                        const char *fmt, ...)
{
    char what[LOADER_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return fail(c, "%s header %u (offset " X "): %s", kind, i, off, what);
}

static bool check_rules(struct check *c, const struct rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].value != r[i].want)
            return fail(c, "ELF header field %s (offset 0x%zx) is %" PRIu64 ", expected %s",
                        r[i].field, r[i].offset, r[i].value, r[i].expected);
    return true;
}

/* Is [off, off + len) inside the file?  Safe for any values read from it. */
static bool in_file(const struct check *c, uint64_t off, uint64_t len)
{
    return off <= c->img->size && len <= c->img->size - off;
}

/* Decode one little-endian header at off (inside the file) into host form. */
static void decode(const struct check *c, void *dst, uint64_t off, size_t size, Elf_Type type)
{
    union { Elf64_Ehdr e; Elf64_Phdr p; Elf64_Shdr s; } raw; /* aligned for libelf */
    memcpy(&raw, c->img->bytes + off, size);
    Elf_Data in = { .d_buf = &raw, .d_type = type, .d_size = size, .d_version = EV_CURRENT };
    Elf_Data out = { .d_buf = dst, .d_type = type, .d_size = size, .d_version = EV_CURRENT };
    elf64_xlatetom(&out, &in, ELFDATA2LSB); /* cannot fail: sizes and types match */
}

static bool check_ident(struct check *c)
{
    const uint8_t *b = c->img->bytes;
    size_t size = c->img->size;
    if (size < SELFMAG)
        return fail(c, "not an ELF file: it is %zu bytes long", size);
    if (memcmp(b, ELFMAG, SELFMAG) != 0)
        return fail(c, "not an ELF file: it starts with %02x %02x %02x %02x, "
                       "expected 7f 45 4c 46 (\"\\177ELF\")", b[0], b[1], b[2], b[3]);
    if (size < EI_NIDENT)
        return fail(c, "truncated: the file is %zu bytes, e_ident alone needs %d", size,
                    EI_NIDENT);
    const struct rule r[] = {
        { "e_ident[EI_CLASS]", EI_CLASS, b[EI_CLASS], ELFCLASS64, "2 (ELFCLASS64, 64-bit)" },
        { "e_ident[EI_DATA]", EI_DATA, b[EI_DATA], ELFDATA2LSB, "1 (ELFDATA2LSB, little-endian)" },
        { "e_ident[EI_VERSION]", EI_VERSION, b[EI_VERSION], EV_CURRENT, "1 (EV_CURRENT)" },
        { "e_ident[EI_ABIVERSION]", EI_ABIVERSION, b[EI_ABIVERSION], 0, "0" },
    };
    if (!check_rules(c, r, sizeof r / sizeof r[0]))
        return false;
    /* GNU ld marks files that use GNU extensions (IFUNC, unique symbols) ELFOSABI_GNU. */
    if (b[EI_OSABI] != ELFOSABI_SYSV && b[EI_OSABI] != ELFOSABI_GNU)
        return fail(c, "ELF header field e_ident[EI_OSABI] (offset 0x%x) is %u, "
                       "expected 0 (ELFOSABI_SYSV) or 3 (ELFOSABI_GNU)", EI_OSABI, b[EI_OSABI]);
    if (size < sizeof(Elf64_Ehdr))
        return fail(c, "truncated: the file is %zu bytes, an ELF64 file header needs %zu", size,
                    sizeof(Elf64_Ehdr));
    return true;
}

#define EH_RULE(f, want, expected) { #f, offsetof(Elf64_Ehdr, f), c->eh.f, want, expected }

/* A header table [off, off + num * entsize) must lie inside the file. */
static bool check_table(struct check *c, const char *what, const char *off_field,
                        uint64_t off, unsigned num, size_t entsize)
{
    if (!in_file(c, off, (uint64_t)num * entsize))
        return fail(c, "%s (%s " X ", %u entries of %zu bytes) extends past the end of "
                       "the file (%zu bytes)", what, off_field, off, num, entsize, c->img->size);
    return true;
}

static bool check_ehdr(struct check *c)
{
    decode(c, &c->eh, 0, sizeof c->eh, ELF_T_EHDR);
    const Elf64_Ehdr *eh = &c->eh;
    const struct rule r[] = {
        EH_RULE(e_type, ET_EXEC, "2 (ET_EXEC, a static executable)"),
        EH_RULE(e_machine, EM_X86_64, "62 (EM_X86_64)"),
        EH_RULE(e_version, EV_CURRENT, "1 (EV_CURRENT)"),
        EH_RULE(e_flags, 0, "0 (x86-64 defines no flags)"),
        EH_RULE(e_ehsize, sizeof(Elf64_Ehdr), "64 (sizeof(Elf64_Ehdr))"),
        EH_RULE(e_phentsize, sizeof(Elf64_Phdr), "56 (sizeof(Elf64_Phdr))"),
    };
    if (!check_rules(c, r, sizeof r / sizeof r[0]))
        return false;
    if (eh->e_phnum == 0)
        return fail(c, "ELF header field e_phnum (offset 0x%zx) is 0: no program headers, "
                       "nothing to load", offsetof(Elf64_Ehdr, e_phnum));
    if (eh->e_phnum > ELF_MAX_PHDRS)
        return fail(c, "ELF header field e_phnum (offset 0x%zx) is %u: too many program "
                       "headers (the loader accepts at most %d)",
                    offsetof(Elf64_Ehdr, e_phnum), eh->e_phnum, ELF_MAX_PHDRS);
    if (!check_table(c, "program header table", "e_phoff", eh->e_phoff, eh->e_phnum,
                     sizeof(Elf64_Phdr)))
        return false;
    if (eh->e_shnum == 0) {
        if (eh->e_shoff != 0)
            return fail(c, "ELF header field e_shoff (offset 0x%zx) is " X " but e_shnum is 0 "
                           "(extended section numbering is not supported)",
                        offsetof(Elf64_Ehdr, e_shoff), (uint64_t)eh->e_shoff);
        return true;
    }
    const struct rule s[] = {
        EH_RULE(e_shentsize, sizeof(Elf64_Shdr), "64 (sizeof(Elf64_Shdr))"),
    };
    if (!check_rules(c, s, 1))
        return false;
    if (eh->e_shstrndx >= eh->e_shnum)
        return fail(c, "ELF header field e_shstrndx (offset 0x%zx) is %u, but there are only "
                       "%u sections", offsetof(Elf64_Ehdr, e_shstrndx), eh->e_shstrndx,
                    eh->e_shnum);
    return check_table(c, "section header table", "e_shoff", eh->e_shoff, eh->e_shnum,
                       sizeof(Elf64_Shdr));
}

static bool check_phdr(struct check *c, unsigned i, uint64_t off, const Elf64_Phdr *ph)
{
    if (ph->p_type == PT_INTERP || ph->p_type == PT_DYNAMIC)
        return header_fail(c, "program", i, off, "p_type %s: the kernel must be statically linked",
                           ph->p_type == PT_INTERP ? "PT_INTERP" : "PT_DYNAMIC");
    if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)) != 0)
        return header_fail(c, "program", i, off, "p_align " X " is not a power of two",
                           ph->p_align);
    if (ph->p_filesz && !in_file(c, ph->p_offset, ph->p_filesz))
        return header_fail(c, "program", i, off, "file range p_offset " X " + p_filesz " X
                           " extends past the end of the file (%zu bytes)",
                           ph->p_offset, ph->p_filesz, c->img->size);
    return true;
}

/* Does [a, a + alen) meet [b, b + blen)?  Empty ranges meet nothing. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* A new segment must not share a physical or a virtual byte with an earlier one. */
static bool check_overlap(struct check *c, uint64_t off, const struct elf_segment *s)
{
    for (unsigned j = 0; j < c->img->nsegments; j++) {
        const struct elf_segment *t = &c->img->seg[j];
        bool phys = overlaps(s->paddr, s->memsz, t->paddr, t->memsz);
        if (!phys && !overlaps(s->vaddr, s->memsz, t->vaddr, t->memsz))
            continue;
        uint64_t a = phys ? s->paddr : s->vaddr, b = phys ? t->paddr : t->vaddr;
        return header_fail(c, "program", s->phdr, off, "segment's %s range [" X ", " X ") "
                           "overlaps program header %u's [" X ", " X ")",
                           phys ? "physical" : "virtual", a, a + s->memsz, t->phdr, b,
                           b + t->memsz);
    }
    return true;
}

static bool check_load(struct check *c, unsigned i, uint64_t off, const Elf64_Phdr *ph)
{
    if (ph->p_flags & ~(uint32_t)(PF_R | PF_W | PF_X))
        return header_fail(c, "program", i, off, "p_flags 0x%x has bits other than PF_R, PF_W "
                           "and PF_X", ph->p_flags);
    if (ph->p_filesz > ph->p_memsz)
        return header_fail(c, "program", i, off, "p_filesz " X " is larger than p_memsz " X,
                           ph->p_filesz, ph->p_memsz);
    if (ph->p_memsz > UINT64_MAX - ph->p_paddr)
        return header_fail(c, "program", i, off, "physical range p_paddr " X " + p_memsz " X
                           " wraps around", ph->p_paddr, ph->p_memsz);
    if (ph->p_memsz > UINT64_MAX - ph->p_vaddr)
        return header_fail(c, "program", i, off, "virtual range p_vaddr " X " + p_memsz " X
                           " wraps around", ph->p_vaddr, ph->p_memsz);
    if (ph->p_align > 1 && ph->p_vaddr % ph->p_align != ph->p_offset % ph->p_align)
        return header_fail(c, "program", i, off, "p_vaddr " X " and p_offset " X " are not "
                           "congruent modulo p_align " X, ph->p_vaddr, ph->p_offset,
                           ph->p_align);
    if (c->img->nsegments == ELF_MAX_SEGMENTS)
        return header_fail(c, "program", i, off, "too many PT_LOAD segments (the loader "
                           "accepts at most %d)", ELF_MAX_SEGMENTS);
    struct elf_segment s = {
        .paddr = ph->p_paddr, .vaddr = ph->p_vaddr, .filesz = ph->p_filesz,
        .memsz = ph->p_memsz, .offset = ph->p_offset, .flags = ph->p_flags, .phdr = i,
    };
    if (!check_overlap(c, off, &s))
        return false;
    c->img->seg[c->img->nsegments++] = s;
    return true;
}

static bool check_phdrs(struct check *c)
{
    for (unsigned i = 0; i < c->eh.e_phnum; i++) {
        uint64_t off = c->eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
        Elf64_Phdr ph;
        decode(c, &ph, off, sizeof ph, ELF_T_PHDR);
        if (!check_phdr(c, i, off, &ph))
            return false;
        if (ph.p_type == PT_LOAD && !check_load(c, i, off, &ph))
            return false;
    }
    if (c->img->nsegments == 0)
        return fail(c, "none of the %u program headers is PT_LOAD: nothing to load",
                    c->eh.e_phnum);
    return true;
}

/* The kernel starts in code that came from the file: a PF_X segment's file bytes. */
static bool check_entry(struct check *c)
{
    const struct elf_image *img = c->img;
    char list[LOADER_ERROR_MAX] = "";
    size_t len = 0;
    for (unsigned j = 0; j < img->nsegments; j++) {
        const struct elf_segment *s = &img->seg[j];
        if (!(s->flags & PF_X))
            continue;
        if (c->eh.e_entry >= s->vaddr && c->eh.e_entry - s->vaddr < s->filesz)
            return true;
        if (len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s[" X ", " X ")",
                                    len ? ", " : "", s->vaddr, s->vaddr + s->filesz);
    }
    return fail(c, "ELF header field e_entry (offset 0x%zx) is " X ", which is not inside the "
                   "file bytes of an executable (PF_X) PT_LOAD segment (%s)",
                offsetof(Elf64_Ehdr, e_entry), (uint64_t)c->eh.e_entry,
                len ? list : "there is none");
}

static void read_shdr(const struct check *c, unsigned i, Elf64_Shdr *sh)
{
    decode(c, sh, c->eh.e_shoff + (uint64_t)i * sizeof *sh, sizeof *sh, ELF_T_SHDR);
}

static uint64_t shdr_offset(const struct check *c, unsigned i)
{
    return c->eh.e_shoff + (uint64_t)i * sizeof(Elf64_Shdr);
}

/* The symbol table: whole symbols, and a string table to name them. */
static bool check_symtab(struct check *c, unsigned i, const Elf64_Shdr *sh)
{
    uint64_t off = shdr_offset(c, i);
    if (c->img->symtab)
        return header_fail(c, "section", i, off, "a second SHT_SYMTAB (the first is section %u)",
                           c->img->symtab);
    if (sh->sh_entsize != sizeof(Elf64_Sym))
        return header_fail(c, "section", i, off, "SHT_SYMTAB sh_entsize " X ", expected %zu "
                           "(sizeof(Elf64_Sym))", sh->sh_entsize, sizeof(Elf64_Sym));
    if (sh->sh_size % sizeof(Elf64_Sym))
        return header_fail(c, "section", i, off, "SHT_SYMTAB sh_size " X " is not a multiple "
                           "of %zu", sh->sh_size, sizeof(Elf64_Sym));
    Elf64_Shdr strtab;
    if (sh->sh_link != SHN_UNDEF && sh->sh_link < c->eh.e_shnum)
        read_shdr(c, sh->sh_link, &strtab);
    if (sh->sh_link == SHN_UNDEF || sh->sh_link >= c->eh.e_shnum || strtab.sh_type != SHT_STRTAB)
        return header_fail(c, "section", i, off, "SHT_SYMTAB sh_link %u is not the index of a "
                           "SHT_STRTAB section", sh->sh_link);
    c->img->symtab = i;
    return true;
}

static bool check_shdrs(struct check *c)
{
    for (unsigned i = 1; i < c->eh.e_shnum; i++) {
        Elf64_Shdr sh;
        read_shdr(c, i, &sh);
        if (sh.sh_type != SHT_NOBITS && sh.sh_size && !in_file(c, sh.sh_offset, sh.sh_size))
            return header_fail(c, "section", i, shdr_offset(c, i), "sh_offset " X " + sh_size "
                               X " extends past the end of the file (%zu bytes)",
                               sh.sh_offset, sh.sh_size, c->img->size);
        if (sh.sh_type == SHT_SYMTAB && !check_symtab(c, i, &sh))
            return false;
    }
    return true;
}

bool elf_check(struct elf_image *img, struct loader_error *err)
{
    struct check c = { .img = img, .err = err };
    if (!check_ident(&c) || !check_ehdr(&c) || !check_phdrs(&c) || !check_entry(&c) ||
        !check_shdrs(&c))
        return false;
    img->entry = c.eh.e_entry;
    img->phoff = c.eh.e_phoff;
    return true;
}
