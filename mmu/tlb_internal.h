/*
 * tlb_internal.h - what the files of the TLB model share (tlb.c, tlbset.c,
 * replace.c, pscache.c, access.c, tlbinval.c).  Unit tests include it to
 * drive one structure directly.
 */
#ifndef MMU_TLB_INTERNAL_H
#define MMU_TLB_INTERNAL_H

#include "mmu/mmu_internal.h"
#include "mmu/tlb.h"

/* ---- replace.c: which way of a full set to evict ------------------------ */

unsigned tlb_victim(struct tlb_struct *s, uint32_t set);
/* Record a use of way (fill: the way was just written). */
void tlb_touch(struct tlb_struct *s, uint32_t set, unsigned way, bool fill);
/* The random policy's generator (splitmix64): deterministic for a seed. */
uint64_t tlb_random_next(uint64_t *state);

/* ---- tlbset.c: one set-associative structure ---------------------------- */

bool tlb_struct_init(struct tlb_struct *s, const struct tlb_geometry *g, uint64_t seed);
void tlb_struct_free(struct tlb_struct *s);

static inline uint32_t tlb_set_of(const struct tlb_struct *s, uint64_t vpn)
{
    /* Low bits of the page number; modulo when the set count is not a power
     * of two (AMD's 2048 entries in 12 ways). */
    if (s->set_mask || s->sets == 1)
        return (uint32_t)(vpn & s->set_mask);
    return (uint32_t)(vpn % s->sets);
}

/* The tag of an entry as one word; 0 is never a valid tag (shift >= 12). */
static inline uint64_t tlb_key(uint64_t vpn, unsigned shift)
{
    return vpn << 6 | shift;
}

static inline struct tlb_entry *tlb_way(struct tlb_struct *s, uint32_t set, unsigned way)
{
    return &s->e[(size_t)set * s->g.ways + way];
}

/* Does entry e cover va?  Compared at the size of the translation's page,
 * so every splinter of a large page covers all of it (INVLPG, §4.10.4.1). */
static inline bool tlb_covers(const struct tlb_entry *e, uint64_t va)
{
    return e->valid && ((va ^ (e->vpn << e->shift)) >> e->page_shift) == 0;
}

/* A search result: structure, set, way and entry. */
struct tlb_found {
    int si;
    unsigned level;       /* of the structure: 1, 2, or 0 for a PSC */
    uint32_t set;
    unsigned way;
    struct tlb_entry *e;
};

/* Search structure si for an entry tagged va >> shift usable under pcid
 * (its own PCID, or global).  Counts nothing. */
bool tlb_find(struct tlb *t, unsigned si, uint64_t va, unsigned shift, uint16_t pcid,
              struct tlb_found *f);

/* The same in a fully associative structure (one set), in one pass over
 * its ways for every tag size in shifts (bit n: shift n); of several
 * matches the smallest page wins. */
bool tlb_find_any(struct tlb *t, unsigned si, uint64_t va, uint64_t shifts, uint16_t pcid,
                  struct tlb_found *f);

/* Write entry n (and where it came from) into structure si: over an entry
 * with the same tag, else into a free way, else over the policy's victim. */
struct tlb_entry *tlb_insert(struct tlb *t, unsigned si, const struct tlb_entry *n,
                             const struct tlb_sources *src);

/* Remove entry e of structure si. */
void tlb_remove(struct tlb *t, unsigned si, struct tlb_entry *e, enum tlb_drop why);

/* ---- tlbspec.c ------------------------------------------------------------ */

/* The name of a structure, as a spec writes it: "l1d:4k", "psc:pd". */
size_t tlb_geometry_name(const struct tlb_geometry *g, char *buf, size_t len);

/* Level (1, 2; 0 for a PSC) and sides (1 << TLB_SIDE_x) of a kind. */
unsigned tlb_kind_level(unsigned kind);
unsigned tlb_kind_sides(unsigned kind);

/* ---- tlb.c: the TLB hierarchy -------------------------------------------- */

/* Tag size of a page-size class in the current paging mode. */
unsigned tlb_class_shift(unsigned size_class, const struct mmu *m);

/* Look va up as an access of side would: every first-level structure of
 * that side, then, if none holds it, every second-level one.  Counts lookups
 * and hits per structure.  f->si is -1 when nothing matched. */
bool tlb_lookup(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side,
                struct tlb_found *f);

/* Copy a second-level hit into the first-level structure for its size. */
void tlb_promote(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side,
                 const struct tlb_found *f);

/* Fill the TLBs of side (both levels) with the translation walk w made. */
void tlb_fill(struct tlb *t, const struct mmu *m, uint64_t va, unsigned side,
              const struct mmu_walk *w, const struct tlb_sources *src);

/* Append the entry of step s to src, if it was read from memory. */
void tlb_sources_add(struct tlb_sources *src, const struct mmu_step *s);

/* ---- pscache.c: the paging-structure caches ------------------------------ */

/* The deepest PSC entry for va under the current PCID (§4.10.3.2): fills
 * *start with the walk state it stands for.  f->si is -1 if none. */
bool psc_lookup(struct tlb *t, const struct mmu *m, uint64_t va, struct walk_state *start,
                struct tlb_found *f);

/* Cache the table-referencing entries a successful walk read.  above: where
 * the PSC entry the walk began from came from (n = 0 if it began at CR3). */
void psc_fill(struct tlb *t, const struct mmu *m, uint64_t va, const struct mmu_walk *w,
              const struct walk_state *trail, const struct tlb_sources *above);

/* Entries a walk from CR3 would have read above the level a PSC entry of
 * level lv lets it begin at. */
unsigned psc_reads_saved(const struct mmu *m, unsigned lv);

/* ---- tlbinval.c ---------------------------------------------------------- */

/* Apply the invalidation rule of ev, for pcid and va where the rule uses them. */
void tlb_invalidate(struct tlb *t, enum tlb_event ev, uint16_t pcid, uint64_t va);

#endif /* MMU_TLB_INTERNAL_H */
