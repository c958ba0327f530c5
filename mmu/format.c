/*
 * format.c - names and printing for walks, entries and faults.
 */
#include <inttypes.h>

#include "mmu/mmu.h"
#include "shared/x86.h"

const char *mmu_mode_name(enum mmu_mode mode)
{
    static const char *const names[MMU_MODE_COUNT] = {
        [MMU_MODE_OFF] = "paging off",
        [MMU_MODE_LEGACY] = "32-bit paging",
        [MMU_MODE_PAE] = "PAE paging",
        [MMU_MODE_4LEVEL] = "4-level paging",
        [MMU_MODE_5LEVEL] = "5-level paging",
    };
    return (unsigned)mode < MMU_MODE_COUNT ? names[mode] : "?";
}

const char *mmu_level_name(enum mmu_mode mode, unsigned level)
{
    static const char *const names[MMU_MAX_LEVELS + 1] = {
        [MMU_PTE] = "PTE", [MMU_PDE] = "PDE", [MMU_PDPTE] = "PDPTE",
        [MMU_PML4E] = "PML4E", [MMU_PML5E] = "PML5E",
    };
    (void)mode;
    return level >= 1 && level <= MMU_MAX_LEVELS ? names[level] : "?";
}

const char *mmu_access_name(enum mmu_access access)
{
    switch (access) {
    case MMU_READ: return "read";
    case MMU_WRITE: return "write";
    case MMU_FETCH: return "fetch";
    }
    return "?";
}

const char *mmu_why_text(enum mmu_why why)
{
    static const char *const text[MMU_WHY_COUNT] = {
        [MMU_WHY_NONE] = "no fault",
        [MMU_WHY_NOT_PRESENT] = "entry not present",
        [MMU_WHY_RESERVED] = "reserved bit set in an entry",
        [MMU_WHY_USER] = "user-mode access to a supervisor-mode address",
        [MMU_WHY_READ_ONLY] = "write to a read-only page",
        [MMU_WHY_NX] = "instruction fetch from an execute-disable page",
        [MMU_WHY_SMEP] = "supervisor fetch from a user-mode page (SMEP)",
        [MMU_WHY_SMAP] = "supervisor data access to a user-mode page (SMAP)",
        [MMU_WHY_PKEY] = "protection key forbids the access (PKRU)",
        [MMU_WHY_NON_CANONICAL] = "non-canonical address",
        [MMU_WHY_PDPTE] = "reserved bit set in a PAE PDPTE",
        [MMU_WHY_BUS] = "paging-structure entry outside physical memory",
    };
    return (unsigned)why < MMU_WHY_COUNT ? text[why] : "?";
}

const char *mmu_error_code_text(uint32_t ec, char *buf, size_t len)
{
    static const struct { uint32_t bit; const char *name; } flags[] = {
        { X86_PF_P, "P" }, { X86_PF_W, "W" }, { X86_PF_U, "U" }, { X86_PF_RSVD, "RSVD" },
        { X86_PF_ID, "I/D" }, { X86_PF_PK, "PK" }, { X86_PF_SS, "SS" }, { X86_PF_SGX, "SGX" },
    };
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!(ec & flags[i].bit))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", flags[i].name);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, len, "-");
    return buf;
}

/* Append name to buf (space-separated). */
static void add(char *buf, size_t len, size_t *used, const char *name)
{
    int n = snprintf(buf + *used, len - *used, "%s%s", *used ? " " : "", name);
    if (n > 0 && (size_t)n < len - *used)
        *used += (size_t)n;
}

const char *mmu_entry_flags_text(enum mmu_mode mode, unsigned level, bool leaf, uint64_t e,
                                 char *buf, size_t len)
{
    static const struct { uint64_t bit; const char *name; } common[] = {
        { X86_PTE_P, "P" }, { X86_PTE_RW, "RW" }, { X86_PTE_US, "US" },
        { X86_PTE_PWT, "PWT" }, { X86_PTE_PCD, "PCD" }, { X86_PTE_A, "A" },
    };
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (e & common[i].bit)
            add(buf, len, &used, common[i].name);
    if (leaf && (e & X86_PTE_D))
        add(buf, len, &used, "D");
    if (level != MMU_PTE && (e & X86_PTE_PS))
        add(buf, len, &used, "PS");
    if (level == MMU_PTE && (e & X86_PTE_PAT))
        add(buf, len, &used, "PAT");
    if (leaf && (e & X86_PTE_G))
        add(buf, len, &used, "G");
    if (leaf && level != MMU_PTE && (e & X86_PTE_LPAT))
        add(buf, len, &used, "PAT");
    if (mode >= MMU_MODE_PAE && (e & X86_PTE_XD))
        add(buf, len, &used, "XD");
    if (mode >= MMU_MODE_4LEVEL && leaf && (e & X86_PTE_PK_MASK)) {
        char pk[8];
        snprintf(pk, sizeof pk, "PK=%u", (unsigned)((e & X86_PTE_PK_MASK) >> X86_PTE_PK_SHIFT));
        add(buf, len, &used, pk);
    }
    return buf;
}

static const char *size_name(uint64_t size)
{
    switch (size) {
    case X86_PAGE_4K: return "4 KB";
    case X86_PAGE_2M: return "2 MB";
    case X86_PAGE_4M: return "4 MB";
    case X86_PAGE_1G: return "1 GB";
    }
    return "?";
}

void mmu_walk_print(FILE *out, const struct mmu_walk *w)
{
    char ec[48];
    fprintf(out, "  %s 0x%016" PRIx64 " at CPL %u%s, %s\n", mmu_access_name(w->access), w->va,
            w->cpl, (w->flags & MMU_IMPLICIT) ? " (implicit supervisor access)" : "",
            mmu_mode_name(w->mode));
    for (unsigned i = 0; i < w->nsteps; i++) {
        const struct mmu_step *s = &w->step[i];
        char flags[64];
        bool leaf = s->level == MMU_PTE || ((s->value & X86_PTE_PS) && s->level <= MMU_PDPTE &&
                                            !s->from_register);
        fprintf(out, "    %-5s[%3u] @ 0x%010" PRIx64 "%s = 0x%0*" PRIx64 "  %s",
                mmu_level_name(w->mode, s->level), s->index, s->entry_pa,
                s->from_register ? " (register)" : "", s->width * 2, s->value,
                mmu_entry_flags_text(w->mode, s->level, leaf, s->value, flags, sizeof flags));
        if (s->written != s->value)
            fprintf(out, "  -> 0x%0*" PRIx64 " (set %s%s)", s->width * 2, s->written,
                    ((s->written ^ s->value) & X86_PTE_A) ? "A" : "",
                    ((s->written ^ s->value) & X86_PTE_D) ? "D" : "");
        fputc('\n', out);
    }
    switch (w->fault) {
    case MMU_FAULT_NONE:
        fprintf(out, "    => PA 0x%" PRIx64 " in a %s page at 0x%" PRIx64 ", rights %s%s%s",
                w->pa, size_name(w->page_size), w->page_base, (w->rights & MMU_R) ? "R" : "-",
                (w->rights & MMU_W) ? "W" : "-", (w->rights & MMU_X) ? "X" : "-");
        if (w->global)
            fputs(", global", out);
        if (w->pkey)
            fprintf(out, ", key %u", w->pkey);
        fputc('\n', out);
        break;
    case MMU_FAULT_PF:
        fprintf(out, "    => #PF error code 0x%x (%s), CR2 = 0x%" PRIx64 ": %s\n", w->error_code,
                mmu_error_code_text(w->error_code, ec, sizeof ec), w->cr2,
                mmu_why_text(w->why));
        break;
    case MMU_FAULT_GP:
        fprintf(out, "    => #GP(0): %s\n", mmu_why_text(w->why));
        break;
    default:
        fprintf(out, "    => bus error: %s\n", mmu_why_text(w->why));
        break;
    }
}
