/*
 * walk.c - linear-address translation (SDM Vol. 3A §4.3-4.8).
 *
 * The walk follows the SDM's description for every mode at once: starting
 * at the level CR3 (or, with PAE paging, a PDPTE register) designates, read
 * an entry; stop with #PF if it is not present or sets a reserved bit;
 * accumulate its U/S, R/W and XD controls; stop if it maps a page, else set
 * its accessed flag and descend into the table it references.  At the leaf
 * the accumulated controls decide the access rights (rights.c); an access
 * the rights allow sets the leaf's accessed flag, and its dirty flag if it
 * is a write.
 *
 * Accessed flags of the entries that reference tables are set as the walk
 * passes them, before later levels are examined, so they stay set even if
 * the walk then faults: "whenever the processor uses a paging-structure
 * entry as part of linear-address translation, it sets the accessed flag"
 * (§4.8).  The leaf's flags are set only for a permitted access.
 */
#include "mmu/mmu.h"
#include "mmu/mmu_internal.h"
#include "shared/x86.h"

static bool user_access(const struct mmu *m, unsigned flags)
{
    return m->cpl == 3 && !(flags & (MMU_IMPLICIT | MMU_DEBUG));
}

/* Build the #PF error code (§4.7, Figure 4-12) and record the fault. */
static bool page_fault(struct mmu *m, struct mmu_walk *w, enum mmu_why why, bool pk)
{
    const struct mmu_paging *p = &m->paging;
    uint32_t ec = 0;
    if (why != MMU_WHY_NOT_PRESENT)
        ec |= X86_PF_P;
    if (w->access == MMU_WRITE)
        ec |= X86_PF_W;
    if (user_access(m, w->flags))
        ec |= X86_PF_U;
    if (why == MMU_WHY_RESERVED)
        ec |= X86_PF_RSVD;
    /* I/D describes the access, but only exists with SMEP or NX (§4.7). */
    if (w->access == MMU_FETCH && (p->smep || p->nxe))
        ec |= X86_PF_ID;
    if (pk)
        ec |= X86_PF_PK;
    w->cr2 = w->va;
    mmu_fail(w, MMU_FAULT_PF, why, X86_VEC_PF, ec);
    m->stats.faults[why]++;
    return false;
}

static bool bus_fault(struct mmu *m, struct mmu_walk *w)
{
    mmu_fail(w, MMU_FAULT_BUS, MMU_WHY_BUS, 0, 0);
    m->stats.faults[MMU_WHY_BUS]++;
    return false;
}

/* Set flags (A, or A|D) in the entry of step s, as a locked update would. */
static void set_flags(struct mmu *m, struct mmu_step *s, uint64_t flags)
{
    uint64_t e = s->written | flags;
    if (e == s->written)
        return;
    /* A PDPTE register is not memory; it has no accessed flag (§4.4.1). */
    if (s->from_register)
        return;
    if (mmu_pmem_write(m, s->entry_pa, &e, s->width)) {
        s->written = e;
        m->stats.ad_writes++;
    }
}

/* Fetch the entry for state st into a new step; false on a bus error. */
static bool read_entry(struct mmu *m, struct mmu_walk *w, const struct walk_state *st,
                       uint64_t va, struct mmu_step **out)
{
    const struct mmu_paging *p = &m->paging;
    const struct mmu_level_desc *d = &p->lv[st->level];
    unsigned index = (unsigned)(va >> d->shift) & ((1u << d->index_bits) - 1);
    struct mmu_step *s = &w->step[w->nsteps++];
    uint64_t e = 0;

    s->level = (uint8_t)st->level;
    s->width = p->width;
    s->index = (uint16_t)index;
    s->from_register = p->mode == MMU_MODE_PAE && st->level == MMU_PDPTE;
    if (s->from_register) {
        s->entry_pa = (m->regs.cr3 & 0xffffffe0ull) + 8ull * index;
        e = m->pdpte[index];
    } else {
        s->entry_pa = st->table + (uint64_t)index * p->width;
        m->stats.entry_reads++;
        if (!mmu_pmem_read(m, s->entry_pa, &e, p->width)) {
            s->value = s->written = 0;
            return false;
        }
    }
    s->value = s->written = e;
    *out = s;
    return true;
}

/* Physical base of the page a leaf entry at level maps. */
static uint64_t page_frame(const struct mmu *m, unsigned level, uint64_t e, uint64_t size)
{
    const struct mmu_paging *p = &m->paging;
    if (p->mode == MMU_MODE_LEGACY && level == MMU_PDE) {
        /* 4 MB page: bits 31:22 in place, bits 39:32 from PDE bits 20:13
         * (PSE-36, §4.3); describe_legacy() made any bits above M reserved. */
        return (e & 0xffc00000ull) | (((e >> 13) & 0xffull) << 32);
    }
    return e & p->addr_mask & ~(size - 1);
}

static enum mmu_why protection_why(const struct mmu *m, const struct mmu_walk *w, bool page_u,
                                   bool smap_blocks, bool pk_denies)
{
    bool ua = user_access(m, w->flags);
    if (ua && !page_u)
        return MMU_WHY_USER;
    if (w->access == MMU_FETCH)
        return (!ua && page_u && m->paging.smep) ? MMU_WHY_SMEP : MMU_WHY_NX;
    if (!ua && page_u && smap_blocks)
        return MMU_WHY_SMAP;
    return pk_denies ? MMU_WHY_PKEY : MMU_WHY_READ_ONLY;
}

/*
 * Decide the rights a translation grants in the current context (§4.6) from
 * the controls accumulated over its entries and its protection key, and
 * fault if they forbid the access.  Both a walk and a TLB hit end here: a
 * TLB keeps the accumulated controls, not rights, because rights depend on
 * CPL, CR0.WP, CR4.SMEP/SMAP, EFLAGS.AC and PKRU at the time of the access.
 */
static bool permit(struct mmu *m, struct mmu_walk *w, bool page_u, bool page_w, bool page_xd,
                   uint8_t pkey)
{
    const struct mmu_paging *p = &m->paging;
    bool ua = user_access(m, w->flags);
    bool smap_blocks = p->smap && ((w->flags & MMU_IMPLICIT) || !m->ac);
    uint8_t rights = mmu_rights(p, page_w, !page_xd, page_u, ua, smap_blocks);
    bool pk_denies = false;
    if (p->pke && page_u) {
        uint8_t pk_rights = mmu_pkey_rights(m->pkru, pkey, ua, p->wp);
        pk_denies = !(pk_rights & (1u << w->access));
        rights &= pk_rights;
    }
    if (w->flags & MMU_DEBUG)
        rights = MMU_R | MMU_W | MMU_X;
    if (!(rights & (1u << w->access))) {
        enum mmu_why why = protection_why(m, w, page_u, smap_blocks, pk_denies);
        return page_fault(m, w, why, pk_denies && w->access != MMU_FETCH);
    }
    w->rights = rights;
    return true;
}

static void begin(const struct mmu *m, struct mmu_walk *w, uint64_t va,
                  enum mmu_access access, unsigned flags)
{
    w->va = va;
    w->access = (uint8_t)access;
    w->flags = (uint8_t)flags;
    w->mode = m->paging.mode;
    w->cpl = m->cpl;
    w->nsteps = 0;
    w->fault = MMU_FAULT_NONE;
    w->why = MMU_WHY_NONE;
    w->vector = 0;
    w->error_code = 0;
    w->cr2 = 0;
    w->pa = w->page_base = w->page_size = 0;
    w->rights = 0;
    w->dirty = w->global = false;
    w->pkey = 0;
    w->memtype = 0;
    w->tlb_hit = -1;
    w->psc_level = 0;
}

/*
 * What precedes any table access: the address width, paging off, and the
 * canonical check.  Returns true when a walk must follow; otherwise the
 * translation is complete and *done holds its result.
 */
static bool prologue(struct mmu *m, uint64_t *va, enum mmu_access access, unsigned *flags,
                     struct mmu_walk *w, bool *done)
{
    const struct mmu_paging *p = &m->paging;
    if (*flags & MMU_DEBUG)
        *flags |= MMU_NO_AD;
    if (p->va_bits == 32)
        *va = (uint32_t)*va;
    begin(m, w, *va, access, *flags);

    if (p->mode == MMU_MODE_OFF) {
        w->pa = *va;
        w->page_base = *va & ~(X86_PAGE_4K - 1);
        w->page_size = X86_PAGE_4K;
        w->rights = MMU_R | MMU_W | MMU_X;
        w->dirty = true;
        *done = true;
        return false;
    }
    /* In IA-32e mode a non-canonical address never reaches paging: #GP(0)
     * (Vol. 1 §3.3.7.1).  32-bit modes have 32-bit linear addresses. */
    if (p->va_bits > 32 && !mmu_canonical(*va, p->va_bits)) {
        mmu_fail(w, MMU_FAULT_GP, MMU_WHY_NON_CANONICAL, X86_VEC_GP, 0);
        m->stats.faults[MMU_WHY_NON_CANONICAL]++;
        *done = false;
        return false;
    }
    return true;
}

/* The state a walk starts in when nothing is cached: the table CR3 designates. */
static struct walk_state from_cr3(const struct mmu *m)
{
    const struct mmu_paging *p = &m->paging;
    struct walk_state st = { .level = p->top, .u = true, .w = true, .xd = false };
    st.table = p->mode == MMU_MODE_LEGACY ? (m->regs.cr3 & 0xfffff000ull)
                                          : (m->regs.cr3 & p->addr_mask);
    return st;
}

bool mmu_translate_from(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                        const struct walk_state *start, struct walk_state *trail,
                        struct mmu_walk *w)
{
    const struct mmu_paging *p = &m->paging;
    bool done;
    m->stats.walks++;
    if (!prologue(m, &va, access, &flags, w, &done))
        return done;

    struct walk_state st = start ? *start : from_cr3(m);
    struct mmu_step *s;
    uint64_t e;
    bool leaf;
    for (;;) {
        const struct mmu_level_desc *d = &p->lv[st.level];
        if (!read_entry(m, w, &st, va, &s))
            return bus_fault(m, w);
        e = s->value;
        if (!(e & X86_PTE_P))
            return page_fault(m, w, MMU_WHY_NOT_PRESENT, false);
        leaf = st.level == MMU_PTE || ((e & X86_PTE_PS) && d->page_ok);
        if (e & (leaf ? d->rsvd_page : d->rsvd_table))
            return page_fault(m, w, MMU_WHY_RESERVED, false);
        /* PAE PDPTEs carry no access controls (Table 4-8). */
        if (!s->from_register) {
            st.u = st.u && (e & X86_PTE_US);
            st.w = st.w && (e & X86_PTE_RW);
            st.xd = st.xd || (p->nxe && (e & X86_PTE_XD));
        }
        if (leaf)
            break;
        if (!(flags & MMU_NO_AD))
            set_flags(m, s, X86_PTE_A);
        st.table = e & p->addr_mask;
        st.level--;
        if (trail)
            trail[w->nsteps - 1] = st;
    }

    /* The entry s maps the page: decide the rights (§4.6). */
    uint8_t pkey = p->pke ? (uint8_t)((e & X86_PTE_PK_MASK) >> X86_PTE_PK_SHIFT) : 0;
    if (!permit(m, w, st.u, st.w, st.xd, pkey))
        return false;

    if (!(flags & MMU_NO_AD))
        set_flags(m, s, X86_PTE_A | (access == MMU_WRITE ? X86_PTE_D : 0));

    uint64_t size = 1ull << p->lv[st.level].shift;
    uint64_t pat = st.level == MMU_PTE ? X86_PTE_PAT : X86_PTE_LPAT;
    w->page_size = size;
    w->page_base = page_frame(m, st.level, e, size);
    w->pa = w->page_base | (va & (size - 1));
    w->dirty = s->written & X86_PTE_D;
    w->global = e & X86_PTE_G;
    w->pkey = pkey;
    w->memtype = (uint8_t)(((e & pat) ? 4 : 0) | ((e & X86_PTE_PCD) ? 2 : 0) |
                           ((e & X86_PTE_PWT) ? 1 : 0));
    /* What a TLB would keep of this translation (see mmu_translate_cached). */
    w->leaf_u = st.u;
    w->leaf_w = st.w;
    w->leaf_xd = st.xd;
    return true;
}

bool mmu_translate(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                   struct mmu_walk *w)
{
    return mmu_translate_from(m, va, access, flags, NULL, NULL, w);
}

bool mmu_translate_cached(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                          const struct mmu_leaf *leaf, struct mmu_walk *w)
{
    begin(m, w, va, access, flags);
    if (!permit(m, w, leaf->u, leaf->w, leaf->xd, leaf->pkey))
        return false;
    w->page_size = leaf->page_size;
    w->page_base = leaf->page_base;
    w->pa = leaf->page_base | (va & (leaf->page_size - 1));
    w->dirty = leaf->dirty;
    w->global = leaf->global;
    w->pkey = leaf->pkey;
    w->memtype = leaf->memtype;
    w->leaf_u = leaf->u;
    w->leaf_w = leaf->w;
    w->leaf_xd = leaf->xd;
    return true;
}
