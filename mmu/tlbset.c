/*
 * tlbset.c - one set-associative structure: a TLB or a paging-structure
 * cache, which differ only in what their entries mean (a whole translation,
 * or the walk state below one table entry; see tlb.h).
 *
 * Lookups, fills and removals here neither know about PCID rules beyond the
 * tag match nor count hits: the callers (tlb.c, pscache.c, tlbinval.c) do,
 * because what counts as a lookup depends on the hierarchy.
 */
#include <stdlib.h>
#include <string.h>

#include "mmu/tlb_internal.h"

/* Tag sizes the entries of each page-size class may have: 2 MB pages, or
 * the 4 MB pages of 32-bit paging.  Used to find the sets an address may
 * occupy when invalidating by address, whatever the current paging mode. */
static const uint8_t class_shifts[TLB_NSIZES][2] = {
    [TLB_4K] = { 12, 0 }, [TLB_2M] = { 21, 22 }, [TLB_1G] = { 30, 0 },
};
/* The same for the PSC of each level (the PDE cache of 32-bit paging is
 * tagged by bits 31:22, that of PAE and IA-32e paging by bits 47:21). */
static const uint8_t psc_shifts[MMU_MAX_LEVELS + 1][2] = {
    [MMU_PDE] = { 21, 22 }, [MMU_PDPTE] = { 30, 0 }, [MMU_PML4E] = { 39, 0 },
    [MMU_PML5E] = { 48, 0 },
};

static void add_shift(struct tlb_struct *s, unsigned shift)
{
    if (!shift)
        return;
    for (unsigned i = 0; i < s->nshifts; i++)
        if (s->shifts[i] == shift)
            return;
    s->shifts[s->nshifts++] = (uint8_t)shift;
}

bool tlb_struct_init(struct tlb_struct *s, const struct tlb_geometry *g, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->g = *g;
    s->sets = g->entries / g->ways;
    s->rng = seed;
    tlb_geometry_name(g, s->name, sizeof s->name);
    if (g->kind == TLB_PSC) {
        add_shift(s, psc_shifts[g->level][0]);
        add_shift(s, psc_shifts[g->level][1]);
    } else {
        for (unsigned c = 0; c < TLB_NSIZES; c++) {
            if (g->holds[c] == TLB_NOT_HELD)
                continue;
            add_shift(s, class_shifts[g->holds[c]][0]);
            add_shift(s, class_shifts[g->holds[c]][1]);
        }
    }
    s->e = calloc(g->entries, sizeof *s->e);
    s->src = calloc(g->entries, sizeof *s->src);
    s->plru = calloc(s->sets, sizeof *s->plru);
    return s->e && s->src && s->plru;
}

void tlb_struct_free(struct tlb_struct *s)
{
    free(s->e);
    free(s->src);
    free(s->plru);
    s->e = NULL;
    s->src = NULL;
    s->plru = NULL;
}

bool tlb_find(struct tlb *t, unsigned si, uint64_t va, unsigned shift, uint16_t pcid,
              struct tlb_found *f)
{
    struct tlb_struct *s = &t->s[si];
    uint64_t vpn = va >> shift;
    uint32_t set = tlb_set_of(s, vpn);
    for (unsigned way = 0; way < s->g.ways; way++) {
        struct tlb_entry *e = tlb_way(s, set, way);
        if (e->valid && e->shift == shift && e->vpn == vpn && (e->pcid == pcid || e->global)) {
            *f = (struct tlb_found){ .si = (int)si, .level = tlb_kind_level(s->g.kind),
                                     .set = set, .way = way, .e = e };
            return true;
        }
    }
    return false;
}

/* Would n and e answer the same lookups?  Then n replaces e in place. */
static bool same_tag(const struct tlb_entry *e, const struct tlb_entry *n)
{
    return e->valid && e->shift == n->shift && e->vpn == n->vpn &&
           (e->pcid == n->pcid || e->global || n->global);
}

void tlb_remove(struct tlb *t, unsigned si, struct tlb_entry *e, enum tlb_drop why)
{
    struct tlb_struct *s = &t->s[si];
    if (!e->valid)
        return;
    if (t->on_drop)
        t->on_drop(t->drop_ctx, (int)si, e, why);
    if (e->shift < e->page_shift)
        s->splinters--;
    e->valid = false;
}

struct tlb_entry *tlb_insert(struct tlb *t, unsigned si, const struct tlb_entry *n,
                             const struct tlb_sources *src)
{
    struct tlb_struct *s = &t->s[si];
    uint32_t set = tlb_set_of(s, n->vpn);
    unsigned way, free_way = s->g.ways;
    for (way = 0; way < s->g.ways; way++) {
        struct tlb_entry *e = tlb_way(s, set, way);
        if (same_tag(e, n))
            break;
        if (!e->valid && free_way == s->g.ways)
            free_way = way;
    }
    if (way < s->g.ways) {
        tlb_remove(t, si, tlb_way(s, set, way), TLB_DROP_REPLACE);
    } else if (free_way < s->g.ways) {
        way = free_way;
    } else {
        way = tlb_victim(s, set);
        tlb_remove(t, si, tlb_way(s, set, way), TLB_DROP_EVICT);
        s->c.evictions++;
    }
    struct tlb_entry *e = tlb_way(s, set, way);
    *e = *n;
    e->valid = true;
    s->src[e - s->e] = *src;
    if (e->shift < e->page_shift)
        s->splinters++;
    s->c.fills++;
    tlb_touch(s, set, way, true);
    return e;
}
