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

/* The tag sizes a lookup tries in each kind of paging mode, smallest first:
 * 32-bit paging's large pages are 4 MB, the other modes' 2 MB. */
static void index_lookups(struct tlb_struct *s)
{
    for (unsigned legacy = 0; legacy < 2; legacy++) {
        for (unsigned c = 0; c < TLB_NSIZES; c++) {
            unsigned stored = s->g.holds[c];
            if (stored == TLB_NOT_HELD)
                continue;
            unsigned shift = class_shifts[stored][stored == TLB_2M && legacy];
            if (!((s->lookup_mask[legacy] >> shift) & 1))
                s->lookup[legacy][s->nlookup[legacy]++] = (uint8_t)shift;
            s->lookup_mask[legacy] |= 1ull << shift;
        }
    }
}

bool tlb_struct_init(struct tlb_struct *s, const struct tlb_geometry *g, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->g = *g;
    s->sets = g->entries / g->ways;
    s->set_mask = (s->sets & (s->sets - 1)) == 0 ? s->sets - 1 : 0;
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
        index_lookups(s);
    }
    s->e = calloc(g->entries, sizeof *s->e);
    s->key = calloc(g->entries, sizeof *s->key);
    s->src = calloc(g->entries, sizeof *s->src);
    s->stamp = calloc(g->entries, sizeof *s->stamp);
    s->plru = calloc(s->sets, sizeof *s->plru);
    return s->e && s->key && s->src && s->stamp && s->plru;
}

void tlb_struct_free(struct tlb_struct *s)
{
    free(s->e);
    free(s->key);
    free(s->src);
    free(s->stamp);
    free(s->plru);
    s->e = NULL;
    s->key = NULL;
    s->src = NULL;
    s->stamp = NULL;
    s->plru = NULL;
}

static void found(struct tlb_found *f, struct tlb_struct *s, unsigned si, uint32_t set,
                  unsigned way)
{
    *f = (struct tlb_found){ .si = (int)si, .level = tlb_kind_level(s->g.kind), .set = set,
                             .way = way, .e = tlb_way(s, set, way) };
}

bool tlb_find(struct tlb *t, unsigned si, uint64_t va, unsigned shift, uint16_t pcid,
              struct tlb_found *f)
{
    struct tlb_struct *s = &t->s[si];
    uint64_t vpn = va >> shift, key = tlb_key(vpn, shift);
    uint32_t set = tlb_set_of(s, vpn);
    const uint64_t *k = &s->key[(size_t)set * s->g.ways];
    for (unsigned way = 0; way < s->g.ways; way++) {
        const struct tlb_entry *e = tlb_way(s, set, way);
        if (k[way] == key && (e->pcid == pcid || e->global)) {
            found(f, s, si, set, way);
            return true;
        }
    }
    return false;
}

bool tlb_find_any(struct tlb *t, unsigned si, uint64_t va, uint64_t shifts, uint16_t pcid,
                  struct tlb_found *f)
{
    struct tlb_struct *s = &t->s[si];
    unsigned best_shift = 64;
    for (unsigned way = 0; way < s->g.ways; way++) {
        uint64_t key = s->key[way];
        unsigned shift = (unsigned)(key & 63);
        if (!key || !((shifts >> shift) & 1) || shift >= best_shift || (key >> 6) != va >> shift)
            continue;
        if (s->e[way].pcid == pcid || s->e[way].global) {
            found(f, s, si, 0, way);
            best_shift = shift;
        }
    }
    return best_shift < 64;
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
    s->key[e - s->e] = 0;
}

struct tlb_entry *tlb_insert(struct tlb *t, unsigned si, const struct tlb_entry *n,
                             const struct tlb_sources *src)
{
    struct tlb_struct *s = &t->s[si];
    uint64_t key = tlb_key(n->vpn, n->shift);
    uint32_t set = tlb_set_of(s, n->vpn);
    const uint64_t *k = &s->key[(size_t)set * s->g.ways];
    unsigned way, free_way = s->g.ways;
    for (way = 0; way < s->g.ways; way++) {
        /* An entry that answers the same lookups is replaced in place. */
        const struct tlb_entry *e = tlb_way(s, set, way);
        if (k[way] == key && (e->pcid == n->pcid || e->global || n->global))
            break;
        if (!k[way] && free_way == s->g.ways)
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
    size_t i = (size_t)(e - s->e);
    *e = *n;
    e->valid = true;
    s->key[i] = key;
    s->src[i] = *src;
    if (e->shift < e->page_shift)
        s->splinters++;
    s->c.fills++;
    tlb_touch(s, set, way, true);
    return e;
}
