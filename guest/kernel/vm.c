/*
 * vm.c - the virtual-memory services and the page-fault handler.
 *
 * A process's address space is its VAD tree (what is reserved, vad.c) plus
 * its page tables (what is committed, and with which protection).  Windows
 * keeps per-page state in the page-table entries, valid or not; so do we.
 * A PTE of a page inside a reservation is one of:
 *
 *   0                            reserved, not committed
 *   COMMIT | prot                committed, never touched: demand-zero, no
 *                                page yet (P = 0)
 *   COMMIT | prot | frame | hw   committed and resident (P = 1), hardware
 *                                rights from the protection table below
 *   COMMIT | RESIDENT | prot | frame
 *                                committed and resident but inaccessible
 *                                now: PAGE_NOACCESS, or PAGE_GUARD until the
 *                                first touch (P = 0)
 *
 * `prot` is a 5-bit code of the Windows protection in bits 52-56 (ignored by
 * the MMU in a present entry, SDM Table 4-19), COMMIT and RESIDENT are bits
 * 58 and 57.  The code's low 3 bits say which of the eight base protections
 * it is, the next 2 the modifier: none, PAGE_GUARD, PAGE_NOCACHE or
 * PAGE_WRITECOMBINE (they exclude each other).
 *
 * Committing charges the process's commit against the system's commit limit
 * (pfn.c) but takes no page: the first touch faults and vm_fault() maps a
 * zeroed page (demand zero).
 *
 * A view of an image section (a MEM_IMAGE VAD, vm_map_image) has every page
 * committed, with one more bit, PROTO (bit 9, ignored by the MMU): the page
 * belongs to the section.  Its PTE is one of
 *
 *   COMMIT | PROTO | prot                 not touched in this process: the
 *                                         fault asks the section for the
 *                                         shared frame (section_page)
 *   COMMIT | PROTO | prot | frame | hw    the section's shared frame; write
 *                                         copy pages are mapped read-only
 *   COMMIT | prot | frame | hw            a private copy (copy-on-write
 *                                         done): the frame is the process's
 *
 * Image pages are charged to the commit limit only while they may need a
 * private frame: a private copy, or a shared page whose protection is a
 * write-copy one (charged_image_page).
 *
 * Paging (docs/paging.md) adds two not-present forms of a private
 * page (not PROTO) that has left its working set:
 *
 *   COMMIT | TRANSITION | prot | frame   the frame is on the standby or
 *                                        modified list: a touch takes it
 *                                        back without I/O (transition fault)
 *   COMMIT | PAGEFILE | prot | slot      the contents are in the paging file,
 *                                        slot in bits 12-51: a touch reads
 *                                        them back (paging-file fault)
 *
 * TRANSITION and PAGEFILE are bits 10 and 11, meaningful only while P and
 * RESIDENT are clear.  A trimmed image page goes back to COMMIT | PROTO |
 * prot: the section keeps the frame (on the standby list once no process
 * maps it) until the frame is reused, and then reads the page again from
 * the image file.  Every PTE that holds a frame (P or RESIDENT) has an
 * entry in its process's working set (ws.c); a RESIDENT PTE keeps the dirty
 * bit (6) of the valid PTE it was, as a software bit.
 *
 * A view of a data or paging-file section (MEM_MAPPED, vm_map_view; view.c
 * does the rest) has the same PTEs, its pages counted from the VAD's
 * first_page in the section.  A write to a shared PAGE_READWRITE page sets
 * the PTE's dirty bit; view.c moves it to the section's prototype entry
 * (PROTO_MODIFIED) before the page goes back to its file.  Large-page
 * reservations (VAD_LARGE, largepage.c) have no PTEs at all: every path
 * below hands them to largepage.c before it looks for one.
 */
#include "guest/kernel/kernel.h"

#define PTE_COMMIT   (1ull << 58)
#define PTE_RESIDENT (1ull << 57)
#define PTE_PROT_SHIFT 52
#define PTE_PROT_MASK (0x1full << PTE_PROT_SHIFT)
#define PTE_PROTO    (1ull << 9)  /* an image page still the section's */
#define PTE_TRANSITION (1ull << 10) /* not present: the frame is on standby/modified */
#define PTE_PAGEFILE (1ull << 11)   /* not present: the contents are in the paging file */
#define PTE_ADDR     X86_PTE_ADDR_MASK
#define GRANULE NTK_ALLOCATION_GRANULARITY

struct paging_stats paging_stats;
#define BASE_PROT(p) ((p) & 0xffu)
#define MODIFIERS (NTK_PAGE_GUARD | NTK_PAGE_NOCACHE | NTK_PAGE_WRITECOMBINE)

/*
 * Protection -> PTE bits (P, R/W, U/S, XD; PCD/PWT/PAT for the cache type).
 * x86 cannot make a page executable but not readable: PAGE_EXECUTE pages
 * are readable.  Write-copy protections are refused for private memory
 * (they are for image and mapped views, a later issue).
 */
static const struct {
    uint32_t protect;
    uint64_t pte;
} prot_table[8] = {
    { NTK_PAGE_NOACCESS, 0 },
    { NTK_PAGE_READONLY, X86_PTE_P | X86_PTE_US | X86_PTE_XD },
    { NTK_PAGE_READWRITE, X86_PTE_P | X86_PTE_US | X86_PTE_RW | X86_PTE_XD },
    { NTK_PAGE_WRITECOPY, X86_PTE_P | X86_PTE_US | X86_PTE_XD },
    { NTK_PAGE_EXECUTE, X86_PTE_P | X86_PTE_US },
    { NTK_PAGE_EXECUTE_READ, X86_PTE_P | X86_PTE_US },
    { NTK_PAGE_EXECUTE_READWRITE, X86_PTE_P | X86_PTE_US | X86_PTE_RW },
    { NTK_PAGE_EXECUTE_WRITECOPY, X86_PTE_P | X86_PTE_US },
};
static const uint64_t cache_bits[4] = {
    0,                            /* write-back (PAT entry 0) */
    0,                            /* PAGE_GUARD: no cache change */
    X86_PTE_PCD | X86_PTE_PWT,    /* PAGE_NOCACHE: PAT entry 3, uncached */
    X86_PTE_PAT,                  /* PAGE_WRITECOMBINE: PAT entry 4, WC (cpu.c) */
};

static unsigned popcount(uint32_t x)
{
    unsigned n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

#define WRITECOPY_PROTS (NTK_PAGE_WRITECOPY | NTK_PAGE_EXECUTE_WRITECOPY)

/* Valid for private memory (write-copy: only for image views). */
static bool protection_valid_for(uint32_t protect, bool image)
{
    uint32_t base = BASE_PROT(protect), mods = protect & MODIFIERS;
    if ((protect & ~(0xffu | MODIFIERS)) || popcount(base) != 1 || popcount(mods) > 1)
        return false;
    if ((base & WRITECOPY_PROTS) && !image)
        return false;
    return !(base == NTK_PAGE_NOACCESS && mods);
}

bool protection_valid(uint32_t protect)
{
    return protection_valid_for(protect, false);
}

static bool is_writecopy(uint32_t protect)
{
    return (BASE_PROT(protect) & WRITECOPY_PROTS) != 0;
}

/* Read-write and write-copy protections, pairwise: a page that has its own
 * copy turns write-copy into read-write; a page still shared copy-on-write
 * turns read-write into write-copy. */
enum { RW, WC };
static const uint32_t rw_wc[2][2] = {
    { NTK_PAGE_READWRITE, NTK_PAGE_WRITECOPY },
    { NTK_PAGE_EXECUTE_READWRITE, NTK_PAGE_EXECUTE_WRITECOPY },
};

static uint32_t convert_protection(uint32_t protect, int from, int to)
{
    for (unsigned i = 0; i < 2; i++)
        if (BASE_PROT(protect) == rw_wc[i][from])
            return rw_wc[i][to] | (protect & ~0xffu);
    return protect;
}

static uint32_t copied_protection(uint32_t protect)
{
    return convert_protection(protect, WC, RW);
}

static uint32_t shared_protection(uint32_t protect)
{
    return convert_protection(protect, RW, WC);
}

static uint64_t prot_encode(uint32_t protect)
{
    uint64_t code = (uint64_t)__builtin_ctz(BASE_PROT(protect));
    if (protect & NTK_PAGE_GUARD)
        code |= 1u << 3;
    else if (protect & NTK_PAGE_NOCACHE)
        code |= 2u << 3;
    else if (protect & NTK_PAGE_WRITECOMBINE)
        code |= 3u << 3;
    return code << PTE_PROT_SHIFT;
}

static uint32_t prot_decode(uint64_t pte)
{
    unsigned code = (unsigned)((pte & PTE_PROT_MASK) >> PTE_PROT_SHIFT);
    static const uint32_t mods[4] = { 0, NTK_PAGE_GUARD, NTK_PAGE_NOCACHE, NTK_PAGE_WRITECOMBINE };
    return prot_table[code & 7].protect | mods[code >> 3];
}

uint64_t protection_pte_bits(uint32_t protect)
{
    if ((protect & NTK_PAGE_GUARD) || BASE_PROT(protect) == NTK_PAGE_NOACCESS)
        return 0;
    unsigned mod = (protect & NTK_PAGE_NOCACHE) ? 2 : (protect & NTK_PAGE_WRITECOMBINE) ? 3 : 0;
    return prot_table[__builtin_ctz(BASE_PROT(protect))].pte | cache_bits[mod];
}

/* The PTE of a committed page with this protection, resident at frame (or 0). */
static uint64_t make_pte(uint64_t frame, uint32_t protect)
{
    uint64_t e = PTE_COMMIT | prot_encode(protect);
    if (!frame)
        return e;
    uint64_t hw = protection_pte_bits(protect);
    return frame | e | (hw ? hw : PTE_RESIDENT);
}

static uint64_t pte_frame(uint64_t pte)
{
    return (pte & (X86_PTE_P | PTE_RESIDENT)) ? pte & X86_PTE_ADDR_MASK : 0;
}

/* The same page with a new protection: whatever holds its contents - a
 * frame (with its accessed and dirty bits), the standby or modified list,
 * the paging file, the section - still does. */
static uint64_t pte_reprotect(uint64_t old, uint32_t protect)
{
    if (old & (X86_PTE_P | PTE_RESIDENT))
        return make_pte(pte_frame(old), protect) | (old & (PTE_PROTO | X86_PTE_A | X86_PTE_D));
    return (old & ~PTE_PROT_MASK) | PTE_COMMIT | prot_encode(protect);
}

/* Where a private page's PTE points while it is out of its working set. */
static uint64_t pte_transition(uint64_t frame, uint64_t old)
{
    return frame | PTE_TRANSITION | (old & (PTE_COMMIT | PTE_PROT_MASK));
}

static uint64_t pte_pagefile(uint64_t slot, uint64_t old)
{
    return (slot << PAGE_SHIFT) | PTE_PAGEFILE | (old & (PTE_COMMIT | PTE_PROT_MASK));
}

/* The physical address of a PTE (page tables are reached through the
 * direct map): what a frame's PFN entry records. */
static uint64_t pte_pa(const uint64_t *pte)
{
    return V2P(pte);
}

/* ---- committing and decommitting pages ---------------------------------- */

/* VM_COUNTERS' peaks follow the process's commit charge and reserved size. */
static void note_peaks(struct process *p)
{
    if (p->commit > p->commit_peak)
        p->commit_peak = p->commit;
    if (p->vsize > p->vsize_peak)
        p->vsize_peak = p->vsize;
}


/* VAD v has joined p's tree: the reserved size grows. */
void vm_reserved(struct process *p, const struct vad *v)
{
    p->vsize += v->end - v->start;
    note_peaks(p);
}

/* The next committed page's PTE in [*va, end), skipping the stretches that
 * have no page table; *va is its address.  NULL when there is none. */
static uint64_t *next_committed(struct process *p, uint64_t *va, uint64_t end)
{
    while (*va < end) {
        uint64_t next = pmap_next_table(p->pml4, *va);
        if (next != *va) {
            *va = next;
            continue;
        }
        uint64_t *pte = pmap_pte(p->pml4, *va, false);
        if (*pte & PTE_COMMIT)
            return pte;
        *va += PAGE_SIZE;
    }
    return NULL;
}

static uint64_t count_committed(struct process *p, uint64_t start, uint64_t end)
{
    uint64_t n = 0;
    for (uint64_t va = start; next_committed(p, &va, end); va += PAGE_SIZE)
        n++;
    return n;
}

/* Commit [start, end) of v with protect; pages already committed keep their
 * contents and take the new protection.  Charges commit first. */
static ntk_status commit_range(struct process *p, struct vad *v, uint64_t start, uint64_t end,
                               uint32_t protect)
{
    uint64_t pages = (end - start) / PAGE_SIZE;
    uint64_t fresh = pages - count_committed(p, start, end);
    if (!commit_charge(fresh))
        return NTK_STATUS_COMMITMENT_LIMIT;
    /* The page tables first, so that running out of memory changes nothing. */
    for (uint64_t va = start; va < end; va = (va | (X86_PAGE_2M - 1)) + 1)
        if (!pmap_pte(p->pml4, va, true)) {
            commit_release(fresh);
            return NTK_STATUS_NO_MEMORY;
        }
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t *pte = pmap_pte(p->pml4, va, false), old = *pte;
        *pte = pte_reprotect(old, protect);
        if (old & X86_PTE_P) /* the TLB caches present entries only */
            pmap_flush(p->pml4, va);
    }
    v->committed += fresh;
    p->commit += fresh;
    note_peaks(p);
    return NTK_STATUS_SUCCESS;
}

/* A committed page's PTE (old) was just cleared, and its working-set entry
 * removed: let its contents go - the frame, the standby or modified list's
 * frame, the paging-file slot; a shared page's frame goes back to the
 * section. */
static void release_page(struct process *p, uint64_t va, uint64_t old)
{
    if (old & X86_PTE_P) /* the TLB caches present entries only */
        pmap_flush(p->pml4, va);
    uint64_t frame = pte_frame(old);
    if (frame) {
        if (old & PTE_PROTO)
            pfn_share_drop(frame);
        else
            pfn_free(frame);
    } else if (old & PTE_TRANSITION) {
        pfn_free(old & PTE_ADDR);
    } else if (old & PTE_PAGEFILE) {
        pagefile_free((old & PTE_ADDR) >> PAGE_SHIFT);
    }
}

static void decommit_range(struct process *p, struct vad *v, uint64_t start, uint64_t end)
{
    uint64_t n = 0, *pte;
    for (uint64_t va = start; (pte = next_committed(p, &va, end)); va += PAGE_SIZE, n++) {
        uint64_t old = *pte;
        *pte = 0;
        if (pte_frame(old)) /* a private frame: its entry is found at once */
            ws_remove(p, va, pte_frame(old));
        release_page(p, va, old);
    }
    v->committed -= n;
    p->commit -= n;
    commit_release(n);
}

/* ---- finding room -------------------------------------------------------- */

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Where allocations of p must end (2 GB for an image that is not large
 * address aware). */
static uint64_t alloc_limit(const struct process *p)
{
    return p->alloc_limit ? p->alloc_limit : USER_TOP;
}

static uint64_t find_bottom_up(struct process *p, uint64_t size, uint64_t align)
{
    uint64_t cand = NTK_LOWEST_USER_ADDRESS, top = alloc_limit(p);
    for (struct vad *v = vad_next_after(p->vads, cand); v; v = vad_successor(v)) {
        if (v->start >= cand && v->start - cand >= size)
            break;
        if (v->end > cand)
            cand = align_up(v->end, align);
    }
    return cand <= top && top - cand >= size ? cand : 0;
}

static uint64_t find_top_down(struct process *p, uint64_t size, uint64_t align)
{
    uint64_t limit = alloc_limit(p); /* candidates end at or below this */
    struct vad *v = vad_last(p->vads);
    while (v && v->start >= limit)
        v = vad_predecessor(v);
    for (;; v = vad_predecessor(v)) {
        if (limit < size + NTK_LOWEST_USER_ADDRESS)
            return 0;
        uint64_t cand = (limit - size) & ~(align - 1);
        if (cand < NTK_LOWEST_USER_ADDRESS)
            return 0;
        if (!v || v->end <= cand)
            return cand;
        if (v->start < limit)
            limit = v->start;
    }
}

uint64_t vm_find_room(struct process *p, uint64_t size, uint64_t align, bool top_down)
{
    return top_down ? find_top_down(p, size, align) : find_bottom_up(p, size, align);
}

/* ---- the services --------------------------------------------------------- */

#define ALLOC_TYPES (NTK_MEM_COMMIT | NTK_MEM_RESERVE | NTK_MEM_TOP_DOWN)

ntk_status vm_allocate(struct process *p, uint64_t *base, uint64_t *size, uint32_t type,
                       uint32_t protect, uint32_t vad_flags)
{
    uint64_t b = *base, s = *size;
    if (type & NTK_MEM_LARGE_PAGES)
        return largepage_allocate(p, base, size, type, protect, NTK_LARGE_PAGE_SIZE);
    if ((type & ~ALLOC_TYPES) || !(type & (NTK_MEM_COMMIT | NTK_MEM_RESERVE)) || s == 0)
        return NTK_STATUS_INVALID_PARAMETER;
    if (!protection_valid(protect))
        return NTK_STATUS_INVALID_PAGE_PROTECTION;
    if (b >= USER_TOP || s > USER_TOP - b)
        return NTK_STATUS_INVALID_PARAMETER;
    if (!b)
        type |= NTK_MEM_RESERVE; /* committing at no address reserves too */
    if (!(type & NTK_MEM_RESERVE)) {
        uint64_t start = PAGE_ROUND_DOWN(b), end = PAGE_ROUND_UP(b + s);
        struct vad *v = vad_find(p->vads, start);
        if (!v || end > v->end || v->section || (v->flags & VAD_LARGE))
            return NTK_STATUS_CONFLICTING_ADDRESSES; /* a view, large pages: not this way */
        ntk_status st = commit_range(p, v, start, end, protect);
        if (NTK_SUCCESS(st)) {
            *base = start;
            *size = end - start;
        }
        return st;
    }
    uint64_t align = (vad_flags & VAD_SYSTEM) ? PAGE_SIZE : GRANULE;
    uint64_t start, end;
    if (b) {
        start = b & ~(align - 1);
        end = PAGE_ROUND_UP(b + s);
        if (start < NTK_LOWEST_USER_ADDRESS ||
            (end > alloc_limit(p) && !(vad_flags & VAD_SYSTEM)))
            return NTK_STATUS_INVALID_PARAMETER;
        if (!vad_range_free(p->vads, start, end))
            return NTK_STATUS_CONFLICTING_ADDRESSES;
    } else {
        uint64_t len = PAGE_ROUND_UP(s);
        start = (type & NTK_MEM_TOP_DOWN) ? find_top_down(p, len, align)
                                          : find_bottom_up(p, len, align);
        if (!start)
            return NTK_STATUS_NO_MEMORY;
        end = start + len;
    }
    struct vad *v = kalloc(sizeof *v);
    if (!v)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    v->start = start;
    v->end = end;
    v->alloc_protect = protect;
    v->type = NTK_MEM_PRIVATE;
    v->flags = vad_flags;
    vad_insert(&p->vads, v);
    if (type & NTK_MEM_COMMIT) {
        ntk_status st = commit_range(p, v, start, end, protect);
        if (!NTK_SUCCESS(st)) {
            vad_remove(&p->vads, v);
            kfree(v);
            return st;
        }
    }
    vm_reserved(p, v);
    *base = start;
    *size = end - start;
    return NTK_STATUS_SUCCESS;
}


static void release_vad(struct process *p, struct vad *v)
{
    if (v->type == NTK_MEM_MAPPED)
        view_release(p, v);
    else if (v->type == NTK_MEM_IMAGE)
        vm_unmap_view(p, v);
    else if (v->flags & VAD_LARGE)
        largepage_release(p, v);
    else
        decommit_range(p, v, v->start, v->end);
    p->vsize -= v->end - v->start;
    vad_remove(&p->vads, v);
    kfree(v);
}

ntk_status vm_free(struct process *p, uint64_t *base, uint64_t *size, uint32_t type, bool system)
{
    uint64_t b = *base, s = *size;
    if (type != NTK_MEM_DECOMMIT && type != NTK_MEM_RELEASE)
        return NTK_STATUS_INVALID_PARAMETER;
    if (b >= USER_TOP || s > USER_TOP - b)
        return NTK_STATUS_INVALID_PARAMETER;
    struct vad *v = vad_find(p->vads, PAGE_ROUND_DOWN(b));
    if (!v)
        return NTK_STATUS_MEMORY_NOT_ALLOCATED;
    if (v->section)
        return NTK_STATUS_UNABLE_TO_DELETE_SECTION; /* a view: NtUnmapViewOfSection's job */
    if ((v->flags & VAD_SYSTEM) && !system)
        return NTK_STATUS_INVALID_PARAMETER; /* the PEB, a TEB, the machine's range */
    if (type == NTK_MEM_RELEASE) {
        if (s != 0)
            return NTK_STATUS_INVALID_PARAMETER;
        if (PAGE_ROUND_DOWN(b) != v->start)
            return NTK_STATUS_FREE_VM_NOT_AT_BASE;
        *base = v->start;
        *size = v->end - v->start;
        release_vad(p, v);
        return NTK_STATUS_SUCCESS;
    }
    uint64_t start = PAGE_ROUND_DOWN(b), end = s ? PAGE_ROUND_UP(b + s) : v->end;
    if (end > v->end)
        return NTK_STATUS_UNABLE_TO_FREE_VM;
    if (v->flags & VAD_LARGE)
        return NTK_STATUS_MEMORY_NOT_ALLOCATED; /* released whole, never decommitted (WRK) */
    decommit_range(p, v, start, end);
    *base = start;
    *size = end - start;
    return NTK_STATUS_SUCCESS;
}

static ntk_status protect_image(struct process *p, struct vad *v, uint64_t start,
                                uint64_t end, uint32_t protect);

ntk_status vm_protect(struct process *p, uint64_t *base, uint64_t *size, uint32_t protect,
                      uint32_t *old)
{
    uint64_t b = *base, s = *size;
    if (!protection_valid_for(protect, true))
        return NTK_STATUS_INVALID_PAGE_PROTECTION;
    if (s == 0 || b >= USER_TOP || s > USER_TOP - b)
        return NTK_STATUS_INVALID_PARAMETER;
    uint64_t start = PAGE_ROUND_DOWN(b), end = PAGE_ROUND_UP(b + s);
    struct vad *v = vad_find(p->vads, start);
    if (!v || end > v->end || (v->flags & VAD_LARGE)) /* large pages keep theirs (WRK) */
        return NTK_STATUS_CONFLICTING_ADDRESSES;
    if (!v->section && !protection_valid(protect))
        return NTK_STATUS_INVALID_PAGE_PROTECTION;
    if (v->type == NTK_MEM_MAPPED &&
        !section_protection_compatible(v->section_protect, BASE_PROT(protect)))
        return NTK_STATUS_SECTION_PROTECTION;
    if (count_committed(p, start, end) != (end - start) / PAGE_SIZE)
        return NTK_STATUS_NOT_COMMITTED;
    *old = prot_decode(*pmap_pte(p->pml4, start, false));
    if (v->section) {
        ntk_status st = protect_image(p, v, start, end, protect);
        if (!NTK_SUCCESS(st))
            return st;
    }
    for (uint64_t va = start; va < end && !v->section; va += PAGE_SIZE) {
        uint64_t *pte = pmap_pte(p->pml4, va, false);
        *pte = pte_reprotect(*pte, protect);
        pmap_flush(p->pml4, va);
    }
    *base = start;
    *size = end - start;
    return NTK_STATUS_SUCCESS;
}

/* State and protection of one page of a VAD: MEM_COMMIT + protection, or
 * MEM_RESERVE + 0. */
static void page_attrs(struct process *p, uint64_t va, uint32_t *state, uint32_t *protect)
{
    uint64_t *pte = pmap_next_table(p->pml4, va) == va ? pmap_pte(p->pml4, va, false) : NULL;
    if (pte && (*pte & PTE_COMMIT)) {
        *state = NTK_MEM_COMMIT;
        *protect = prot_decode(*pte);
    } else {
        *state = NTK_MEM_RESERVE;
        *protect = 0;
    }
}

ntk_status vm_query(struct process *p, uint64_t va, struct ntk_memory_basic_information *mbi)
{
    if (va >= USER_TOP)
        return NTK_STATUS_INVALID_PARAMETER;
    uint64_t page = PAGE_ROUND_DOWN(va);
    memset(mbi, 0, sizeof *mbi);
    mbi->base_address = page;
    struct vad *v = vad_find(p->vads, page);
    if (!v) {
        struct vad *next = vad_next_after(p->vads, page);
        mbi->region_size = (next ? next->start : USER_TOP) - page;
        mbi->state = NTK_MEM_FREE;
        mbi->protect = NTK_PAGE_NOACCESS;
        return NTK_STATUS_SUCCESS;
    }
    uint32_t state = NTK_MEM_COMMIT, protect = v->alloc_protect;
    uint64_t end = v->end; /* large pages: committed whole, one protection, no PTEs */
    if (!(v->flags & VAD_LARGE)) {
        page_attrs(p, page, &state, &protect);
        end = page + PAGE_SIZE;
    }
    while (end < v->end) {
        if (state == NTK_MEM_RESERVE && pmap_next_table(p->pml4, end) != end) {
            uint64_t next = pmap_next_table(p->pml4, end); /* no table: all reserved */
            end = next < v->end ? next : v->end;
            continue;
        }
        uint32_t s2, p2;
        page_attrs(p, end, &s2, &p2);
        if (s2 != state || p2 != protect)
            break;
        end += PAGE_SIZE;
    }
    mbi->allocation_base = v->start;
    mbi->allocation_protect = v->alloc_protect;
    mbi->region_size = end - page;
    mbi->state = state;
    mbi->protect = protect;
    mbi->type = v->type;
    return NTK_STATUS_SUCCESS;
}

void vm_release_all(struct process *p)
{
    ws_clear(p); /* every page goes: no need to take them out one by one */
    while (p->vads)
        release_vad(p, p->vads);
}

/* ---- views of sections (images: MEM_IMAGE; data, paging file: MEM_MAPPED) -- */

uint32_t vm_view_page(const struct vad *v, uint64_t va)
{
    return (uint32_t)(v->first_page + (va - v->start) / PAGE_SIZE);
}

static bool charged_image_page(uint64_t pte)
{
    return !(pte & PTE_PROTO) || is_writecopy(prot_decode(pte));
}

/* The section's frame for the page at va of view v, brought in if need
 * be; from a fault, counted by how it was found. */
static ntk_status section_frame(struct vad *v, uint64_t va, uint64_t *frame, bool fault)
{
    enum section_how how;
    ntk_status st = section_page(v->section, vm_view_page(v, va), frame, &how);
    if (NTK_SUCCESS(st) && fault) {
        if (how == SECTION_READ)
            paging_stats.faults_image++;
        else if (how == SECTION_FILE)
            paging_stats.faults_mapped++;
        else if (how == SECTION_STANDBY)
            paging_stats.faults_transition++;
        else if (how == SECTION_ZERO)
            pfn_demand_zero_faults++;
    }
    return st;
}

/* Give the image page at va (PTE pte, shared) a private copy of its
 * contents: copy-on-write.  A write-copy protection becomes read-write.
 * The page keeps its working-set entry, or gets one. */
static ntk_status image_copy(struct process *p, struct vad *v, uint64_t va, uint64_t *pte,
                             bool fault)
{
    bool resident = pte_frame(*pte) != 0;
    if (!resident && !ws_make_room(p))
        return NTK_STATUS_NO_MEMORY;
    uint64_t old = *pte, shared = pte_frame(old);
    if (!resident) {
        ntk_status st = section_frame(v, va, &shared, fault);
        if (!NTK_SUCCESS(st))
            return st;
    }
    uint64_t frame = mm_user_may_allocate() ? pfn_alloc(USE_PRIVATE, false) : 0;
    if (!frame) {
        if (!resident)
            pfn_release_unused(shared);
        return NTK_STATUS_NO_MEMORY;
    }
    memcpy(P2V(frame), P2V(shared), PAGE_SIZE);
    uint32_t protect = prot_decode(old);
    if (!is_writecopy(protect)) {   /* the loader's write: charge the copy now */
        if (!commit_charge(1)) {
            pfn_free(frame);
            if (!resident)
                pfn_release_unused(shared);
            return NTK_STATUS_COMMITMENT_LIMIT;
        }
        v->committed++;
        p->commit++;
        note_peaks(p);
    }
    *pte = make_pte(frame, copied_protection(protect));
    pfn_set_pte(frame, pte_pa(pte));
    if (resident) {
        if (old & X86_PTE_P)
            pmap_flush(p->pml4, va);
        pfn_share_drop(shared);
        ws_replace(p, va, frame);
    } else {
        pfn_release_unused(shared);
        ws_insert(p, va, frame);
    }
    image_stats.cow_copies++;
    return NTK_STATUS_SUCCESS;
}

/* A fault on a page still the section's: map the shared frame (paging it
 * in if nobody has yet, or taking it back from the standby list), or copy
 * it for a write to a write-copy page. */
static ntk_status image_fault(struct process *p, struct vad *v, uint64_t va, uint64_t *pte,
                              int access)
{
    uint32_t protect = prot_decode(*pte);
    if (access == FAULT_WRITE && is_writecopy(protect))
        return image_copy(p, v, va, pte, true);
    if (*pte & X86_PTE_P) {
        pmap_flush(p->pml4, va); /* present and allowed: a stale TLB entry */
        return NTK_STATUS_SUCCESS;
    }
    if (!ws_make_room(p))
        return NTK_STATUS_NO_MEMORY;
    uint64_t frame;
    ntk_status st = section_frame(v, va, &frame, true);
    if (!NTK_SUCCESS(st))
        return st;
    *pte = make_pte(frame, protect) | PTE_PROTO;
    pfn_share_add(frame);
    ws_insert(p, va, frame);
    return NTK_STATUS_SUCCESS;
}

/* The VAD of a new view over [start, start + size), committed pages
 * charged first and page tables made, so that a failure changes nothing. */
static ntk_status view_vad(struct process *p, uint64_t start, uint64_t size, uint64_t charge,
                           struct vad **out)
{
    struct vad *v = kalloc(sizeof *v);
    if (!v)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    if (!commit_charge(charge)) {
        kfree(v);
        return NTK_STATUS_COMMITMENT_LIMIT;
    }
    for (uint64_t va = start; va < start + size; va = (va | (X86_PAGE_2M - 1)) + 1)
        if (!pmap_pte(p->pml4, va, true)) {
            commit_release(charge);
            kfree(v);
            return NTK_STATUS_NO_MEMORY;
        }
    v->start = start;
    v->end = start + size;
    v->committed = charge;
    p->commit += charge;
    *out = v;
    return NTK_STATUS_SUCCESS;
}

/* The new view v of s joins p's address space (a reference to s). */
static void view_attach(struct process *p, struct vad *v, struct section *s)
{
    v->section = s;
    section_ref(s);
    vad_insert(&p->vads, v);
    vm_reserved(p, v);
}

/* Map a view of image section s into p at *base (its preferred base) if
 * that range is free, else at the lowest free 64 KB-aligned range: then
 * STATUS_IMAGE_NOT_AT_BASE (success; the caller relocates).  Every page is
 * committed with its section's protection and faults in from the section. */
ntk_status vm_map_image(struct process *p, struct section *s, uint64_t *base)
{
    const struct pe_info *info = s->info;
    uint64_t size = info->size_of_image, start = *base;
    ntk_status done = NTK_STATUS_SUCCESS;
    if (!start || !vad_range_free(p->vads, start, start + size)) {
        if (!(start = find_bottom_up(p, size, GRANULE)))
            return NTK_STATUS_NO_MEMORY;
        done = NTK_STATUS_IMAGE_NOT_AT_BASE;
    }
    uint64_t charge = 0;
    for (uint32_t rva = 0; rva < size; rva += PAGE_SIZE)
        charge += is_writecopy(pe_page_protection(info, rva));
    struct vad *v;
    ntk_status st = view_vad(p, start, size, charge, &v);
    if (!NTK_SUCCESS(st))
        return st;
    v->alloc_protect = NTK_PAGE_EXECUTE_WRITECOPY;
    v->type = NTK_MEM_IMAGE;
    v->flags = VAD_SYSTEM;
    view_attach(p, v, s);
    for (uint32_t rva = 0; rva < size; rva += PAGE_SIZE)
        *pmap_pte(p->pml4, start + rva, false) =
            make_pte(0, pe_page_protection(info, rva)) | PTE_PROTO;
    *base = start;
    return done;
}

/* A write-copy view is charged whole at once: every page may become a
 * private copy (MapViewOfFile, FILE_MAP_COPY). */
ntk_status vm_map_view(struct process *p, struct section *s, uint64_t first_page,
                       uint64_t npages, uint32_t protect, uint32_t section_protect,
                       uint64_t *base)
{
    uint64_t size = npages * PAGE_SIZE, start = *base;
    if (start) {
        if (start + size > USER_TOP)
            return NTK_STATUS_INVALID_PARAMETER_3;
        if (!vad_range_free(p->vads, start, start + size))
            return NTK_STATUS_CONFLICTING_ADDRESSES;
    } else if (!(start = find_bottom_up(p, size, GRANULE))) {
        return NTK_STATUS_NO_MEMORY;
    }
    struct vad *v;
    ntk_status st = view_vad(p, start, size, is_writecopy(protect) ? npages : 0, &v);
    if (!NTK_SUCCESS(st))
        return st;
    v->alloc_protect = protect;
    v->type = NTK_MEM_MAPPED;
    v->first_page = first_page;
    v->section_protect = section_protect;
    view_attach(p, v, s);
    for (uint64_t va = start; va < start + size; va += PAGE_SIZE)
        *pmap_pte(p->pml4, va, false) = make_pte(0, protect) | PTE_PROTO;
    *base = start;
    return NTK_STATUS_SUCCESS;
}

bool vm_take_dirty(struct process *p, uint64_t va)
{
    uint64_t *pte = pmap_pte(p->pml4, va, false);
    if (!pte || (*pte & (PTE_PROTO | X86_PTE_P | X86_PTE_D)) !=
                    (PTE_PROTO | X86_PTE_P | X86_PTE_D))
        return false;
    *pte &= ~X86_PTE_D;
    pmap_flush(p->pml4, va); /* a cached dirty entry would never set D again */
    return true;
}

void vm_unmap_view(struct process *p, struct vad *v)
{
    /* Shared frames record no working-set index: one pass over the working
     * set takes out the whole view's entries. */
    ws_remove_range(p, v->start, v->end);
    uint64_t *pte;
    for (uint64_t va = v->start; (pte = next_committed(p, &va, v->end)); va += PAGE_SIZE) {
        uint64_t old = *pte;
        *pte = 0;
        release_page(p, va, old);
    }
    p->commit -= v->committed;
    commit_release(v->committed);
    v->committed = 0;
    section_deref(v->section);
}

/* The protection a page of a view takes when asked for protect: a private
 * copy takes write-copy as read-write; a page still shared keeps what is
 * asked in a MEM_MAPPED view (vm_protect checked it against the section),
 * and in an image view takes read-write as write-copy (its writes must
 * not reach the file's frame) unless its section is shared writable. */
static uint32_t protection_on_view(const struct vad *v, uint64_t va, uint64_t old,
                                   uint32_t protect)
{
    if (!(old & PTE_PROTO))
        return copied_protection(protect);
    if (v->type == NTK_MEM_MAPPED)
        return protect;
    uint32_t sec = pe_page_protection(v->section->info, (uint32_t)(va - v->start));
    bool writes_reach_section = (sec & (NTK_PAGE_READWRITE | NTK_PAGE_EXECUTE_READWRITE)) != 0;
    return writes_reach_section ? copied_protection(protect) : shared_protection(protect);
}

/* NtProtectVirtualMemory on a view, page by page (protection_on_view).
 * The commit charge follows charged_image_page. */
static ntk_status protect_image(struct process *p, struct vad *v, uint64_t start,
                                uint64_t end, uint32_t protect)
{
    int64_t delta = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t va = start; va < end; va += PAGE_SIZE) {
            uint64_t *pte = pmap_pte(p->pml4, va, false), old = *pte;
            uint32_t want = protection_on_view(v, va, old, protect);
            uint64_t e = pte_reprotect(old, want);
            if (pass == 0) {
                delta += (int64_t)charged_image_page(e) - (int64_t)charged_image_page(old);
                continue;
            }
            /* A written shared page: the section learns it now, whatever
             * form the new PTE takes (a RESIDENT one hides D from view.c). */
            if ((old & PTE_PROTO) && (old & X86_PTE_D))
                section_note_dirty(v->section, vm_view_page(v, va));
            *pte = e;
            pmap_flush(p->pml4, va);
        }
        if (pass == 0 && delta > 0 && !commit_charge((uint64_t)delta))
            return NTK_STATUS_COMMITMENT_LIMIT;
    }
    if (delta < 0)
        commit_release((uint64_t)-delta);
    v->committed = (uint64_t)((int64_t)v->committed + delta);
    p->commit = (uint64_t)((int64_t)p->commit + delta);
    note_peaks(p);
    return NTK_STATUS_SUCCESS;
}

ntk_status vm_physical_address(struct process *p, uint64_t va, uint64_t *pa)
{
    struct vad *v = va < USER_TOP ? vad_find(p->vads, PAGE_ROUND_DOWN(va)) : NULL;
    if (v && (v->flags & VAD_LARGE))
        return largepage_physical(p, v, va, pa);
    if (!v || pmap_next_table(p->pml4, PAGE_ROUND_DOWN(va)) != PAGE_ROUND_DOWN(va))
        return NTK_STATUS_INVALID_ADDRESS;
    uint64_t frame = pte_frame(*pmap_pte(p->pml4, PAGE_ROUND_DOWN(va), false));
    if (!frame)
        return NTK_STATUS_INVALID_ADDRESS;
    *pa = frame + (va & (PAGE_SIZE - 1));
    return NTK_STATUS_SUCCESS;
}

/* ---- faults --------------------------------------------------------------- */

/* The guard page of a thread stack was touched: commit the page below it as
 * the new guard page (the stack grows), unless that would take the last page
 * of the reservation: then the thread has overflowed its stack. */
static ntk_status grow_stack(struct process *p, struct vad *v, uint64_t page)
{
    uint64_t below = page - PAGE_SIZE;
    if (below < v->start + PAGE_SIZE)
        return NTK_STATUS_STACK_OVERFLOW;
    uint64_t one = PAGE_SIZE, at = below;
    if (!NTK_SUCCESS(vm_allocate(p, &at, &one, NTK_MEM_COMMIT,
                                 NTK_PAGE_READWRITE | NTK_PAGE_GUARD, 0)))
        return NTK_STATUS_STACK_OVERFLOW;
    if (v->teb) {
        uint64_t limit = page;
        vm_write_process(p, v->teb + NTK_TEB_STACK_LIMIT, &limit, sizeof limit);
    }
    return NTK_STATUS_SUCCESS;
}

/* A private page that is not resident (demand-zero, in transition, or in
 * the paging file) gets its frame back and joins the working set. */
static ntk_status make_resident(struct process *p, uint64_t va, uint64_t *pte)
{
    /* Room first: growing the working set may reuse a standby frame, even
     * this page's own (its PTE then says "paging file"), so read it after. */
    if (!ws_make_room(p))
        return NTK_STATUS_NO_MEMORY;
    uint64_t e = *pte, frame;
    if (e & PTE_TRANSITION) {
        frame = e & PTE_ADDR;
        if (!pfn_reclaim(frame))
            panic("transition PTE 0x%llx: frame not on the standby or modified list",
                  (unsigned long long)e);
        paging_stats.faults_transition++;
    } else {
        bool from_pagefile = e & PTE_PAGEFILE;
        if (!mm_user_may_allocate() || !(frame = pfn_alloc(USE_PRIVATE, !from_pagefile)))
            return NTK_STATUS_NO_MEMORY;
        if (from_pagefile) {
            uint64_t slot = (e & PTE_ADDR) >> PAGE_SHIFT;
            ntk_status st = pagefile_read(slot, frame, p, va);
            if (!NTK_SUCCESS(st)) { /* the page stays where it is: nothing is lost */
                pfn_free(frame);
                paging_stats.inpage_errors++;
                return st;
            }
            pfn_set_slot(frame, slot); /* a clean copy: trimmed again, no write */
            paging_stats.faults_pagefile++;
        } else {
            pfn_demand_zero_faults++;
        }
    }
    /* Not present before: no TLB holds it (the TLB caches present entries
     * only), so no INVLPG is needed. */
    *pte = make_pte(frame, prot_decode(e));
    pfn_set_pte(frame, pte_pa(pte));
    ws_insert(p, va, frame);
    return NTK_STATUS_SUCCESS;
}

ntk_status vm_fault(struct process *p, uint64_t va, int access, bool from_kernel)
{
    (void)from_kernel;
    uint64_t page = PAGE_ROUND_DOWN(va);
    if (va >= USER_TOP)
        return NTK_STATUS_ACCESS_VIOLATION;
    struct vad *v = vad_find(p->vads, page);
    if (v && (v->flags & VAD_LARGE))
        return largepage_fault(p, v, va, access);
    uint64_t *pte = v ? pmap_pte(p->pml4, page, false) : NULL;
    if (!pte || !(*pte & PTE_COMMIT))
        return NTK_STATUS_ACCESS_VIOLATION;
    uint32_t protect = prot_decode(*pte);
    if (protect & NTK_PAGE_GUARD) {
        /* One shot: the first touch clears PAGE_GUARD and raises the exception. */
        *pte = pte_reprotect(*pte, protect & ~NTK_PAGE_GUARD);
        pmap_flush(p->pml4, page);
        if (v->flags & VAD_STACK)
            return grow_stack(p, v, page);
        return NTK_STATUS_GUARD_PAGE_VIOLATION;
    }
    uint64_t hw = protection_pte_bits(protect);
    if (!hw || (access == FAULT_WRITE && !(hw & X86_PTE_RW) && !is_writecopy(protect)) ||
        (access == FAULT_EXECUTE && (hw & X86_PTE_XD)))
        return NTK_STATUS_ACCESS_VIOLATION;
    p->ws.faults++;
    ntk_status st;
    if (*pte & PTE_PROTO) {
        st = image_fault(p, v, page, pte, access);
    } else if (*pte & X86_PTE_P) {
        pmap_flush(p->pml4, page); /* present and allowed: a stale TLB entry */
        st = NTK_STATUS_SUCCESS;
    } else {
        st = make_resident(p, page, pte);
    }
    /* Out of memory for now: wait for the balance set manager and the
     * modified page writer, then let the access fault again. */
    if (st == NTK_STATUS_NO_MEMORY && mm_wait_for_pages())
        return NTK_STATUS_SUCCESS;
    return st;
}

/* Write into committed pages of p (any protection) through the direct map:
 * the loader and the PEB/TEB set-up use it, in any address space.  A page
 * not resident is brought in first; the write makes its paging-file copy
 * stale (the PTE's dirty bit does not see writes through the direct map). */
ntk_status vm_write_process(struct process *p, uint64_t va, const void *src, uint64_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint64_t page = PAGE_ROUND_DOWN(va), off = va - page;
        uint64_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
        struct vad *v = vad_find(p->vads, page);
        uint64_t *pte = v && !(v->flags & VAD_LARGE) ? pmap_pte(p->pml4, page, false) : NULL;
        if (!pte || !(*pte & PTE_COMMIT))
            return NTK_STATUS_ACCESS_VIOLATION;
        ntk_status st = NTK_STATUS_SUCCESS;
        if (*pte & PTE_PROTO) /* the loader writes an image page: copy-on-write */
            st = image_copy(p, v, page, pte, false);
        else if (!pte_frame(*pte))
            st = make_resident(p, page, pte);
        if (st == NTK_STATUS_NO_MEMORY && mm_wait_for_pages())
            continue;
        if (!NTK_SUCCESS(st))
            return st;
        uint64_t frame = pte_frame(*pte);
        pfn_dirty(frame);
        memcpy((uint8_t *)P2V(frame) + off, s, n);
        va += n, s += n, len -= n;
    }
    return NTK_STATUS_SUCCESS;
}

/* ---- paging: what the working sets and the PFN database ask of PTEs ------ */

uint64_t vm_resident_frame(struct process *p, uint64_t va)
{
    uint64_t *pte = pmap_pte(p->pml4, va, false);
    return pte ? pte_frame(*pte) : 0;
}

/* Aging: was the page accessed since the last look?  The bit is cleared,
 * and the TLB entry invalidated (INVLPG) - else the processor would keep
 * using the cached translation and never set the bit again. */
bool vm_test_clear_accessed(struct process *p, uint64_t va)
{
    uint64_t *pte = pmap_pte(p->pml4, va, false);
    if (!pte || (*pte & (X86_PTE_P | X86_PTE_A)) != (X86_PTE_P | X86_PTE_A))
        return false;
    *pte &= ~X86_PTE_A;
    pmap_flush(p->pml4, va);
    return true;
}

/* Take the page at va out of p's working set (the caller removes the
 * entry): an image page goes back to the section (its frame to the standby
 * list once no process maps it), a private page into transition, its frame
 * to the modified list if it was written (dirty bit) or has no paging-file
 * copy, else to the standby list. */
enum vm_trim vm_trim_page(struct process *p, uint64_t va)
{
    uint64_t *pte = pmap_pte(p->pml4, va, false);
    uint64_t old = pte ? *pte : 0, frame = pte_frame(old);
    if (!frame)
        return TRIM_STALE;
    if (pfn_kept(frame))
        return TRIM_SKIP;
    *pte = (old & PTE_PROTO) ? old & (PTE_COMMIT | PTE_PROTO | PTE_PROT_MASK)
                             : pte_transition(frame, old);
    if (old & X86_PTE_P)
        pmap_flush(p->pml4, va);
    if (old & PTE_PROTO)
        pfn_share_drop(frame);
    else
        pfn_release(frame, (old & X86_PTE_D) != 0);
    paging_stats.trimmed++;
    return TRIM_DONE;
}

/* A standby frame is being reused: the PTE in transition that refers to it
 * now records the paging-file slot holding its contents.  Not present
 * before and after: no TLB entry to invalidate. */
void vm_page_out(uint64_t entry_pa, uint64_t slot)
{
    uint64_t *pte = P2V(entry_pa);
    KASSERT(*pte & PTE_TRANSITION);
    *pte = pte_pagefile(slot, *pte);
}
