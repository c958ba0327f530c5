/*
 * tlb.c - the TLB hierarchy: building a model from its configuration, and
 * looking translations up, promoting and filling them (SDM Vol. 3A §4.10.2).
 *
 * The hierarchy.  Each access has a side: instruction fetches use the
 * instruction side, every other access (explicit or implicit) the data side.
 * A lookup searches every first-level structure of its side (hardware
 * searches the per-size L1 TLBs in parallel, so each counts a lookup); only
 * if none holds the page does it search the second-level structures of the
 * side (an STLB serves both sides).  A second-level hit is copied into the
 * first-level structure for its page size.  A walk fills the structure for
 * its page size at both levels: the levels are neither inclusive (an L1
 * entry outlives its L2 copy) nor exclusive.  Intel and AMD do not document
 * this policy; docs/tlb.md says so.
 *
 * Page sizes.  A structure holds page-size classes (4K, 2M, 1G; 2M includes
 * the 4 MB pages of 32-bit paging, tagged by bits 31:22).  A class may be
 * stored as a smaller one: a 1 GB page "splintered" into the 2 MB entry that
 * covers the access, as AMD's L2 TLBs do.  Every entry remembers the size of
 * its translation's page, so INVLPG anywhere in the page removes every
 * splinter, and a promotion to a first level that holds 1 GB pages installs
 * the whole page again.
 */
#include <stdlib.h>
#include <string.h>

#include "mmu/tlb_internal.h"
#include "shared/x86.h"

unsigned tlb_class_shift(unsigned size_class, const struct mmu *m)
{
    static const uint8_t shift[TLB_NSIZES] = { [TLB_4K] = 12, [TLB_2M] = 21, [TLB_1G] = 30 };
    if (size_class == TLB_2M && m->paging.mode == MMU_MODE_LEGACY)
        return 22;
    return shift[size_class];
}

/* The page-size class of a page of 2^shift bytes. */
static unsigned class_of_shift(unsigned shift)
{
    return shift >= 30 ? TLB_1G : shift >= 21 ? TLB_2M : TLB_4K;
}

static unsigned shift_of_size(uint64_t size)
{
    return (unsigned)__builtin_ctzll(size);
}

/* Index the hierarchy: which structure holds each size on each side and
 * level, and the distinct structures a lookup searches, smallest page first
 * (so that of two stale entries of different sizes the smaller is used). */
static void index_hierarchy(struct tlb *t)
{
    memset(t->psc_of, -1, sizeof t->psc_of);
    memset(t->holder, -1, sizeof t->holder);
    for (unsigned i = 0; i < t->n; i++) {
        const struct tlb_geometry *g = &t->s[i].g;
        if (g->kind == TLB_PSC) {
            t->psc_of[g->level] = (int8_t)i;
            continue;
        }
        unsigned level = tlb_kind_level(g->kind), sides = tlb_kind_sides(g->kind);
        for (unsigned side = 0; side < 2; side++)
            for (unsigned c = 0; c < TLB_NSIZES; c++)
                if ((sides & (1u << side)) && g->holds[c] != TLB_NOT_HELD)
                    t->holder[side][level][c] = (int8_t)i;
    }
    for (unsigned side = 0; side < 2; side++) {
        for (unsigned level = 1; level <= 2; level++) {
            uint8_t *n = &t->nprobe[side][level];
            for (unsigned c = 0; c < TLB_NSIZES; c++) {
                int si = t->holder[side][level][c];
                if (si >= 0 && memchr(t->probe[side][level], si, *n) == NULL)
                    t->probe[side][level][(*n)++] = (uint8_t)si;
            }
        }
    }
}

struct tlb *tlb_new(const struct tlb_config *cfg)
{
    struct tlb *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = cfg->n;
    t->rewalk_on_fault = cfg->rewalk_on_fault;
    for (unsigned i = 0; i < cfg->n; i++) {
        /* Each structure draws its own random numbers, so one structure's
         * evictions do not depend on another's activity. */
        uint64_t seed = cfg->seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
        if (!tlb_struct_init(&t->s[i], &cfg->s[i], seed)) {
            tlb_free(t);
            return NULL;
        }
    }
    index_hierarchy(t);
    return t;
}

void tlb_free(struct tlb *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->n; i++)
        tlb_struct_free(&t->s[i]);
    free(t);
}

void tlb_set_detector(struct tlb *t, tlb_stale_fn fn, void *ctx)
{
    t->on_stale = fn;
    t->stale_ctx = ctx;
}

void tlb_set_drop_hook(struct tlb *t, tlb_drop_fn fn, void *ctx)
{
    t->on_drop = fn;
    t->drop_ctx = ctx;
}

const struct tlb_sources *tlb_entry_sources(const struct tlb *t, unsigned s,
                                            const struct tlb_entry *e)
{
    return &t->s[s].src[e - t->s[s].e];
}

/* Search one structure for va, at every tag size it stores: one set per
 * size, smallest first; all of a fully associative structure in one pass. */
static bool search_struct(struct tlb *t, unsigned si, bool legacy, uint64_t va, uint16_t pcid,
                          struct tlb_found *f)
{
    const struct tlb_struct *s = &t->s[si];
    if (s->sets == 1)
        return tlb_find_any(t, si, va, s->lookup_mask[legacy], pcid, f);
    for (unsigned k = 0; k < s->nlookup[legacy]; k++)
        if (tlb_find(t, si, va, s->lookup[legacy][k], pcid, f))
            return true;
    return false;
}

/* The lookup of tlb_lookup() and tlb_peek(); count says whether to count. */
static bool search(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side, bool count,
                   struct tlb_found *f)
{
    uint16_t pcid = mmu_current_pcid(m);
    bool legacy = m->paging.mode == MMU_MODE_LEGACY;
    f->si = -1;
    for (unsigned level = 1; level <= 2 && f->si < 0; level++) {
        for (unsigned k = 0; k < t->nprobe[side][level]; k++) {
            unsigned si = t->probe[side][level][k];
            struct tlb_found g;
            bool hit = search_struct(t, si, legacy, va, pcid, &g);
            if (count) {
                t->s[si].c.lookups++;
                t->s[si].c.hits += hit;
                t->s[si].c.misses += !hit;
            }
            if (hit && f->si < 0)
                *f = g;
        }
    }
    return f->si >= 0;
}

bool tlb_lookup(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side,
                struct tlb_found *f)
{
    if (!search(t, m, va, side, true, f))
        return false;
    tlb_touch(&t->s[f->si], f->set, f->way, false);
    return true;
}

const struct tlb_entry *tlb_peek(const struct mmu *m, uint64_t va, enum mmu_access access,
                                 int *structure)
{
    struct tlb_found f;
    if (!m->tlb)
        return NULL;
    if (m->paging.va_bits == 32)
        va = (uint32_t)va;
    if (!search(m->tlb, m, va, access == MMU_FETCH ? TLB_SIDE_I : TLB_SIDE_D, false, &f))
        return NULL;
    if (structure)
        *structure = f.si;
    return f.e;
}

/* Store translation n in structure si, tagged at the size si stores it. */
static void store(struct tlb *t, int si, const struct mmu *m, uint64_t va,
                  struct tlb_entry n, const struct tlb_sources *src)
{
    if (si < 0)
        return;
    n.shift = (uint8_t)tlb_class_shift(t->s[si].g.holds[class_of_shift(n.page_shift)], m);
    n.vpn = va >> n.shift;
    tlb_insert(t, (unsigned)si, &n, src);
}

void tlb_promote(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side,
                 const struct tlb_found *f)
{
    int si = t->holder[side][1][class_of_shift(f->e->page_shift)];
    struct tlb_sources src = t->s[f->si].src[f->e - t->s[f->si].e];
    store(t, si, m, va, *f->e, &src);
}

void tlb_sources_add(struct tlb_sources *src, const struct mmu_step *s)
{
    /* A PAE PDPTE register is not re-read from memory until CR3 is loaded
     * again (§4.4.1): it cannot go stale behind the TLB's back. */
    if (s->from_register || src->n >= MMU_MAX_LEVELS)
        return;
    src->src[src->n++] = (struct tlb_source){
        .pa = s->entry_pa, .value = s->written, .level = s->level, .width = s->width,
    };
}

void tlb_fill(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side,
              const struct mmu_walk *w, const struct tlb_sources *src)
{
    struct tlb_entry n = {
        .target = w->page_base,
        .page_shift = (uint8_t)shift_of_size(w->page_size),
        .pcid = mmu_current_pcid(m),
        .level = w->step[w->nsteps - 1].level,
        /* G counts only with CR4.PGE = 1 (§4.10.2.4). */
        .global = m->paging.pge && w->global,
        .u = w->leaf_u, .w = w->leaf_w, .xd = w->leaf_xd,
        .dirty = w->dirty, .pkey = w->pkey, .memtype = w->memtype,
    };
    unsigned c = class_of_shift(n.page_shift);
    for (unsigned level = 1; level <= 2; level++)
        store(t, t->holder[side][level][c], m, va, n, src);
}

void tlb_flush_all(struct tlb *t)
{
    tlb_invalidate(t, TLB_EV_FLUSH_ALL, 0, 0);
}
