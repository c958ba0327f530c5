/*
 * replace.c - replacement policies: which way of a full set a fill evicts.
 *
 * Free ways are always filled first (lowest way first) whatever the policy,
 * as hardware does with its valid bits; a policy only decides among valid
 * ways.  Each policy is a pair of functions in a table: what a use of a way
 * records, and which way to evict.
 *
 *   LRU     each entry's stamp is the structure's clock at its last use;
 *           evict the smallest stamp.
 *   FIFO    the stamp is set at fill only; hits do not change it.
 *   PLRU    tree pseudo-LRU: a binary tree over the ways whose node bits
 *           point towards the half to evict next (0 left, 1 right); a use
 *           turns every bit on its path away from the way used.  With a
 *           number of ways that is not a power of two the tree is that of the
 *           next power of two and a subtree without ways is never chosen.
 *   RANDOM  a uniformly drawn way, from a per-structure generator seeded by
 *           the configuration: the same seed gives the same evictions.
 */
#include "mmu/tlb_internal.h"

uint64_t tlb_random_next(uint64_t *state)
{
    /* splitmix64 (Steele, Lea and Flood 2014): one add and two multiplies. */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Leaves of the PLRU tree: the number of ways rounded up to a power of two. */
static unsigned tree_leaves(unsigned ways)
{
    unsigned n = 1;
    while (n < ways)
        n <<= 1;
    return n;
}

static unsigned oldest(struct tlb_struct *s, uint32_t set)
{
    const uint64_t *stamp = &s->stamp[(size_t)set * s->g.ways];
    unsigned best = 0;
    for (unsigned w = 1; w < s->g.ways; w++)
        if (stamp[w] < stamp[best])
            best = w;
    return best;
}

static void stamp_use(struct tlb_struct *s, uint32_t set, unsigned way, bool fill)
{
    (void)fill;
    s->stamp[(size_t)set * s->g.ways + way] = ++s->clock;
}

static void stamp_fill(struct tlb_struct *s, uint32_t set, unsigned way, bool fill)
{
    if (fill)
        s->stamp[(size_t)set * s->g.ways + way] = ++s->clock;
}

/* Walk the tree from the root to way, pointing each node away from it. */
static void plru_touch(struct tlb_struct *s, uint32_t set, unsigned way, bool fill)
{
    (void)fill;
    uint64_t *bits = &s->plru[set];
    unsigned node = 0, lo = 0, size = tree_leaves(s->g.ways);
    while (size > 1) {
        size /= 2;
        bool right = way >= lo + size;
        if (right) {
            *bits &= ~(1ull << node); /* used on the right: evict on the left */
            lo += size;
        } else {
            *bits |= 1ull << node;
        }
        node = 2 * node + 1 + right;
    }
}

/* Follow the bits from the root; never into a subtree without ways. */
static unsigned plru_victim(struct tlb_struct *s, uint32_t set)
{
    uint64_t bits = s->plru[set];
    unsigned node = 0, lo = 0, size = tree_leaves(s->g.ways);
    while (size > 1) {
        size /= 2;
        bool right = ((bits >> node) & 1) && lo + size < s->g.ways;
        if (right)
            lo += size;
        node = 2 * node + 1 + right;
    }
    return lo;
}

static unsigned random_victim(struct tlb_struct *s, uint32_t set)
{
    (void)set;
    return (unsigned)(tlb_random_next(&s->rng) % s->g.ways);
}

static void no_touch(struct tlb_struct *s, uint32_t set, unsigned way, bool fill)
{
    (void)s, (void)set, (void)way, (void)fill;
}

static const struct {
    void (*touch)(struct tlb_struct *s, uint32_t set, unsigned way, bool fill);
    unsigned (*victim)(struct tlb_struct *s, uint32_t set);
} policies[TLB_NPOLICIES] = {
    [TLB_LRU] = { stamp_use, oldest },
    [TLB_FIFO] = { stamp_fill, oldest },
    [TLB_PLRU] = { plru_touch, plru_victim },
    [TLB_RANDOM] = { no_touch, random_victim },
};

void tlb_touch(struct tlb_struct *s, uint32_t set, unsigned way, bool fill)
{
    policies[s->g.policy].touch(s, set, way, fill);
}

unsigned tlb_victim(struct tlb_struct *s, uint32_t set)
{
    return policies[s->g.policy].victim(s, set);
}
