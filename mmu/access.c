/*
 * access.c - mmu_access(): one access through the TLB model, as SDM Vol. 3A
 * §4.10.2.3 and §4.10.3.2 describe a processor's use of its caches.
 *
 *  1. A TLB entry for the page, under the current PCID or global, is used
 *     as it is, even if the paging structures have changed since it was
 *     filled: that staleness is architectural and software must invalidate.
 *     Its rights are re-derived for the current context from the controls
 *     it keeps (mmu_translate_cached).
 *  2. If the entry's rights forbid the access, the processor may raise the
 *     #PF from the entry without consulting memory (a "spurious" fault when
 *     the paging structures have since been relaxed, §4.10.4.3, whose own
 *     example is a write to a page made writable), or re-walk first
 *     (rewalk_on_fault, as AMD processors do).  Either way the fault
 *     invalidates the TLB and PSC entries for the address (§4.10.4.1), so a
 *     retry walks.
 *  3. A write the entry allows but whose dirty flag is clear walks: the
 *     processor must set D in memory (§4.8).
 *  4. Otherwise the walk begins below the deepest paging-structure-cache
 *     entry for the address, and a successful walk fills the TLBs and PSCs.
 *
 * The detector.  With one attached (tlb_set_detector), every use of a cached
 * entry re-reads the paging-structure entries it came from and reports the
 * first that changed in a way that matters (see stale()), once per cached
 * entry; the stale entry is still used, as a real processor would.
 */
#include "mmu/tlb_internal.h"
#include "shared/x86.h"

/* Bits whose change does not alter what a cached entry means: A (software
 * may clear it without invalidating; a processor sets it), and the bits
 * paging ignores (11:9; 58:52 of 8-byte entries). */
#define STALE_IGNORED (X86_PTE_A | 0xe00ull | 0x07f0000000000000ull)

/*
 * Did an entry change, between old (as the filling walk left it) and now,
 * in a way that makes the cached information wrong?  Any bit but the
 * ignored ones; for a leaf whose translation is cached dirty, D going from
 * 1 to 0 (later writes through the entry would not set it again); D going
 * from 0 to 1 is another walk's doing.  Bit 6 of an entry that references a
 * table is ignored by paging.
 */
static bool stale(uint64_t old, uint64_t now, bool leaf, bool dirty_cached)
{
    if ((old ^ now) & ~(STALE_IGNORED | X86_PTE_D))
        return true;
    return leaf && dirty_cached && (old & X86_PTE_D) && !(now & X86_PTE_D);
}

static void check_sources(struct tlb *t, struct mmu *m, const struct tlb_found *f,
                          uint64_t va, enum mmu_access access)
{
    if (!t->on_stale)
        return;
    const struct tlb_sources *src = tlb_entry_sources(t, (unsigned)f->si, f->e);
    bool has_leaf = t->s[f->si].g.kind != TLB_PSC;
    for (unsigned i = 0; i < src->n; i++) {
        const struct tlb_source *s = &src->src[i];
        uint64_t now = 0;
        if (!mmu_pmem_read(m, s->pa, &now, s->width))
            continue;
        if (!stale(s->value, now, has_leaf && i + 1 == src->n, f->e->dirty))
            continue;
        t->st.stale_uses++;
        if (!f->e->reported) {
            f->e->reported = true;
            t->st.stale_reports++;
            struct tlb_stale r = {
                .va = va, .access = (uint8_t)access, .structure = (int8_t)f->si,
                .pcid = f->e->pcid, .level = s->level, .width = s->width,
                .entry_pa = s->pa, .old_value = s->value, .new_value = now,
            };
            t->on_stale(t->stale_ctx, &r);
        }
        return;
    }
}

/* Walk (from a PSC entry if one matches) and fill. */
static bool walk(struct tlb *t, struct mmu *m, uint64_t va, enum mmu_access access,
                 unsigned flags, unsigned side, struct mmu_walk *w)
{
    struct walk_state start, trail[MMU_MAX_LEVELS];
    struct tlb_sources above = { .n = 0 };
    struct tlb_found pf;
    unsigned psc_level = 0;
    if (psc_lookup(t, m, va, &start, &pf)) {
        check_sources(t, m, &pf, va, access);
        above = *tlb_entry_sources(t, (unsigned)pf.si, pf.e);
        psc_level = pf.e->level;
    }

    uint64_t reads = m->stats.entry_reads;
    bool ok = mmu_translate_from(m, va, access, flags, psc_level ? &start : NULL, trail, w);
    reads = m->stats.entry_reads - reads;
    t->st.walks++;
    t->st.walk_reads += reads;
    t->st.walks_by_reads[reads]++;
    if (psc_level) {
        w->psc_level = (uint8_t)psc_level;
        t->st.psc_starts[psc_level]++;
        t->st.reads_saved += psc_reads_saved(m, psc_level);
    }
    if (!ok) {
        if (w->fault == MMU_FAULT_PF)
            tlb_invalidate(t, TLB_EV_PAGE_FAULT, mmu_current_pcid(m), va);
        return false;
    }
    struct tlb_sources src = above;
    for (unsigned i = 0; i < w->nsteps; i++)
        tlb_sources_add(&src, &w->step[i]);
    tlb_fill(t, m, va, side, w, &src);
    psc_fill(t, m, va, w, trail, &above);
    return true;
}

/* Answer from TLB entry f->e (steps 1 to 3). */
static bool answer(struct tlb *t, struct mmu *m, uint64_t va, enum mmu_access access,
                   unsigned flags, unsigned side, const struct tlb_found *f,
                   struct mmu_walk *w)
{
    const struct tlb_entry *e = f->e;
    check_sources(t, m, f, va, access);
    struct mmu_leaf leaf = {
        .page_base = e->target, .page_size = 1ull << e->page_shift,
        .u = e->u, .w = e->w, .xd = e->xd, .dirty = e->dirty, .global = e->global,
        .pkey = e->pkey, .memtype = e->memtype,
    };
    if (mmu_translate_cached(m, va, access, flags, &leaf, w)) {
        /* The rights allow it; a write must still find D set. */
        if (access == MMU_WRITE && !e->dirty) {
            t->st.dirty_walks++;
            return walk(t, m, va, access, flags, side, w);
        }
        t->st.hits[f->level]++;
        w->tlb_hit = (int8_t)f->si;
        if (f->level == 2)
            tlb_promote(t, m, va, side, f);
        return true;
    }
    uint16_t pcid = mmu_current_pcid(m);
    if (t->rewalk_on_fault) {
        t->st.fault_rewalks++;
        tlb_invalidate(t, TLB_EV_FAULT_REWALK, pcid, va);
        return walk(t, m, va, access, flags, side, w);
    }
    t->st.cached_faults++;
    w->tlb_hit = (int8_t)f->si;
    tlb_invalidate(t, TLB_EV_PAGE_FAULT, pcid, va);
    return false;
}

bool mmu_access(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                struct mmu_walk *w)
{
    struct tlb *t = m->tlb;
    const struct mmu_paging *p = &m->paging;
    /* Without paging nothing is translated; a non-canonical address faults
     * (#GP) before translation; inspection must not disturb the model. */
    if (!t || (flags & (MMU_NO_AD | MMU_DEBUG)) || p->mode == MMU_MODE_OFF ||
        (p->va_bits > 32 && !mmu_canonical(va, p->va_bits)))
        return mmu_translate(m, va, access, flags, w);
    if (p->va_bits == 32)
        va = (uint32_t)va;

    t->st.accesses++;
    unsigned side = access == MMU_FETCH ? TLB_SIDE_I : TLB_SIDE_D;
    struct tlb_found f;
    if (tlb_lookup(t, m, va, side, &f))
        return answer(t, m, va, access, flags, side, &f, w);
    return walk(t, m, va, access, flags, side, w);
}
