/*
 * pscache.c - the paging-structure caches (SDM Vol. 3A §4.10.3).
 *
 * A PSC entry for level L (the PML5E, PML4E, PDPTE or PDE cache) is tagged
 * by the linear-address bits above L's index (bits 47:21 for the PDE cache
 * of 4-level paging, 31:22 for that of 32-bit paging, ...) and the PCID, and
 * holds what a walk knows after using the entry: the physical address of
 * the next table and the AND of U/S, the AND of R/W and the OR of XD of the
 * entries so far (§4.10.3.1): exactly a struct walk_state.
 *
 * Use (§4.10.3.2): on a TLB miss the PDE cache is searched first, then the
 * PDPTE cache, and so on up; the deepest hit lets the walk begin at the
 * next level, reading only the entries below it.  Which caches a mode has:
 * 32-bit and PAE paging only a PDE cache (the PAE PDPTEs are registers);
 * IA-32e paging also PDPTE, PML4 and, with 5-level paging, PML5 caches.
 *
 * Creation (§4.10.3.1): only from entries that are present, reference a
 * table (PS = 0 where PS exists) and set no reserved bit - the only entries
 * a walk goes through - and only once their accessed flags are set, which
 * the walk does before descending.  The model creates them when a walk
 * succeeds: a walk that faults would have its PSC entries for the address
 * invalidated by the fault anyway (§4.10.4.1).  Global pages play no part:
 * G exists only in entries that map pages (§4.10.2.4).
 */
#include "mmu/tlb_internal.h"

/* Does the current mode have a paging-structure cache for level lv? */
static bool cacheable(const struct mmu *m, unsigned lv)
{
    const struct mmu_paging *p = &m->paging;
    return lv >= MMU_PDE && lv <= p->top && !(p->mode == MMU_MODE_PAE && lv == MMU_PDPTE);
}

bool psc_lookup(struct tlb *t, const struct mmu *m, uint64_t va, struct walk_state *start,
                struct tlb_found *f)
{
    uint16_t pcid = mmu_current_pcid(m);
    f->si = -1;
    for (unsigned lv = MMU_PDE; lv <= m->paging.top; lv++) {
        int si = t->psc_of[lv];
        if (si < 0 || !cacheable(m, lv))
            continue;
        struct tlb_struct *s = &t->s[si];
        s->c.lookups++;
        if (tlb_find(t, (unsigned)si, va, m->paging.lv[lv].shift, pcid, f)) {
            s->c.hits++;
            tlb_touch(s, f->set, f->way, false);
            *start = (struct walk_state){ .level = lv - 1, .table = f->e->target,
                                          .u = f->e->u, .w = f->e->w, .xd = f->e->xd };
            return true;
        }
        s->c.misses++;
    }
    return false;
}

void psc_fill(struct tlb *t, const struct mmu *m, uint64_t va, const struct mmu_walk *w,
              const struct walk_state *trail, const struct tlb_sources *above)
{
    struct tlb_sources src = *above;
    /* Every step but the last (the leaf) referenced a table. */
    for (unsigned i = 0; i + 1 < w->nsteps; i++) {
        unsigned lv = w->step[i].level;
        tlb_sources_add(&src, &w->step[i]);
        int si = t->psc_of[lv];
        if (si < 0 || !cacheable(m, lv))
            continue;
        unsigned shift = m->paging.lv[lv].shift;
        struct tlb_entry n = {
            .vpn = va >> shift, .shift = (uint8_t)shift, .page_shift = (uint8_t)shift,
            .level = (uint8_t)lv, .pcid = mmu_current_pcid(m), .target = trail[i].table,
            .u = trail[i].u, .w = trail[i].w, .xd = trail[i].xd,
        };
        tlb_insert(t, (unsigned)si, &n, &src);
    }
}

unsigned psc_reads_saved(const struct mmu *m, unsigned lv)
{
    unsigned saved = 0;
    for (unsigned l = lv; l <= m->paging.top; l++)
        saved += !(m->paging.mode == MMU_MODE_PAE && l == MMU_PDPTE); /* a register */
    return saved;
}
