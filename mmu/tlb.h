/*
 * tlb.h - a model of the translation caches of an x86 processor (SDM Vol. 3A
 * §4.10 "Caching Translation Information"): first-level instruction and data
 * TLBs, second-level TLBs, and the paging-structure caches, each with its own
 * sets, ways and replacement policy, invalidated by the architectural events
 * of §4.10.4, one function per event.
 *
 * A model is an object (struct tlb) built from a configuration (a preset or
 * a textual spec, see tlbspec.c and docs/tlb.md) and attached to a struct
 * mmu; mmu_access() consults it.  There is no global state: replacement
 * randomness comes from the seed in the configuration.
 *
 * What an entry keeps.  A TLB entry caches a translation: the page number,
 * the PCID it was filled under, the global flag (leaf G with CR4.PGE), the
 * physical page, the controls accumulated over the entries (AND of U/S, AND
 * of R/W, OR of XD), the leaf's dirty flag, its protection key and memory
 * type (§4.10.2.2).  Rights are not cached: they depend on CPL, CR0.WP,
 * CR4.SMEP/SMAP, EFLAGS.AC and PKRU, so a hit re-derives them for the
 * current context from the accumulated controls, as a walk would.  An entry
 * also remembers the paging-structure entries it came from (address and
 * value), for the missing-invalidation detector.
 */
#ifndef MMU_TLB_H
#define MMU_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/mmu.h"

#define TLB_MAX_STRUCTS 16

enum tlb_policy { TLB_LRU, TLB_PLRU, TLB_FIFO, TLB_RANDOM, TLB_NPOLICIES };

/* Where a structure sits in the hierarchy. */
enum tlb_kind {
    TLB_L1D,  /* first-level data TLB */
    TLB_L1I,  /* first-level instruction TLB */
    TLB_L2D,  /* second-level data TLB */
    TLB_L2I,  /* second-level instruction TLB */
    TLB_STLB, /* second-level TLB shared by instructions and data */
    TLB_PSC,  /* a paging-structure cache (§4.10.3) */
    TLB_NKINDS
};

/* Page-size classes.  TLB_2M also holds the 4 MB pages of 32-bit paging,
 * as Intel's "2M/4M" TLBs do. */
enum tlb_size { TLB_4K, TLB_2M, TLB_1G, TLB_NSIZES };
#define TLB_NOT_HELD 0xff

/* The geometry of one structure, as a spec item describes it. */
struct tlb_geometry {
    uint8_t kind;              /* enum tlb_kind */
    /* TLBs: for each page-size class, the class its translations are stored
     * as: itself, a smaller class (the page is "splintered" into entries of
     * that size, each covering the part that was accessed), or TLB_NOT_HELD. */
    uint8_t holds[TLB_NSIZES];
    uint8_t level;             /* PSC: enum mmu_level of the entries it caches */
    uint8_t policy;            /* enum tlb_policy */
    uint32_t entries, ways;    /* sets = entries / ways */
};

struct tlb_config {
    unsigned n;
    struct tlb_geometry s[TLB_MAX_STRUCTS];
    uint64_t seed;             /* TLB_RANDOM's generators start from it */
    /* When the rights of a TLB entry forbid an access: false, fault from the
     * entry (the SDM allows this "spurious" #PF, §4.10.4.3; Intel does it);
     * true, re-walk first and fault only if memory agrees (AMD's behaviour). */
    bool rewalk_on_fault;
};

/* One paging-structure entry a cached translation came from. */
struct tlb_source {
    uint64_t pa;               /* physical address of the entry */
    uint64_t value;            /* the entry as the filling walk left it (A/D set) */
    uint8_t level;             /* enum mmu_level */
    uint8_t width;             /* 4 or 8 bytes */
};

struct tlb_sources {
    uint8_t n;
    struct tlb_source src[MMU_MAX_LEVELS]; /* from the top level down */
};

struct tlb_entry {
    uint64_t vpn;              /* tag: linear address >> shift */
    uint64_t target;           /* TLB: physical base of the page of page_shift;
                                  PSC: physical address of the next table */
    uint16_t pcid;             /* PCID the entry was filled under */
    uint8_t shift;             /* linear-address bits below the tag */
    uint8_t page_shift;        /* TLB: the translation's page; > shift for a splinter */
    uint8_t level;             /* level of the last entry consumed (leaf, or cached) */
    bool valid;
    bool global;               /* leaf G = 1 with CR4.PGE = 1: matches any PCID */
    bool u, w, xd;             /* accumulated controls down to level */
    bool dirty;                /* TLB: the leaf's D flag */
    bool reported;             /* the detector has reported this entry */
    uint8_t pkey, memtype;
};

struct tlb_counters {
    uint64_t lookups;          /* times the structure was searched */
    uint64_t hits;             /* searches that found a matching entry */
    uint64_t misses;           /* lookups - hits */
    uint64_t fills;            /* entries written (walks, promotions) */
    uint64_t evictions;        /* valid entries replaced to make room */
    uint64_t invalidations;    /* entries removed by invalidation events */
};

/* One set-associative structure. */
struct tlb_struct {
    struct tlb_geometry g;
    char name[32];             /* e.g. "l1d:4k", "stlb:4k+2m", "psc:pd" */
    uint32_t sets;
    uint32_t set_mask;         /* sets - 1 when sets is a power of two, else 0 */
    uint8_t nshifts;           /* tag sizes its entries may have */
    uint8_t shifts[4];
    /* The tag sizes a lookup tries, smallest first: [1] in 32-bit paging
     * (4 MB pages), [0] otherwise; as a bit mask too (bit n: shift n). */
    uint8_t nlookup[2];
    uint8_t lookup[2][TLB_NSIZES];
    uint64_t lookup_mask[2];
    struct tlb_entry *e;       /* sets * ways entries, set after set */
    /* Parallel to e: the tag as one word (vpn << 6 | shift, 0 when the entry
     * is invalid), so that a search reads 8 bytes a way; where the entry
     * came from; when it was last used (LRU) or filled (FIFO). */
    uint64_t *key;
    struct tlb_sources *src;
    uint64_t *stamp;
    uint64_t *plru;            /* TLB_PLRU: one tree per set, bit n = node n */
    uint64_t clock;            /* LRU and FIFO time */
    uint64_t rng;              /* TLB_RANDOM state */
    uint32_t splinters;        /* valid entries smaller than their page */
    struct tlb_counters c;
};

/* Architectural events (§4.10.4.1), counted in struct tlb_stats. */
enum tlb_event {
    TLB_EV_INVLPG,
    TLB_EV_INVPCID0,           /* individual address */
    TLB_EV_INVPCID1,           /* single context */
    TLB_EV_INVPCID2,           /* all contexts, including globals */
    TLB_EV_INVPCID3,           /* all contexts, except globals */
    TLB_EV_MOV_CR3,            /* flushing the PCID loaded (or 000H) */
    TLB_EV_MOV_CR3_NOFLUSH,    /* CR4.PCIDE = 1 and bit 63 set: nothing */
    TLB_EV_CR4_ALL,            /* PGE changed, or PCIDE 1 -> 0 */
    TLB_EV_CR4_PCID,           /* PAE changed, or SMEP 0 -> 1 */
    TLB_EV_CR0_PG,             /* PG 1 -> 0 */
    TLB_EV_PAGE_FAULT,         /* a #PF invalidates what it came from */
    TLB_EV_FAULT_REWALK,       /* rewalk_on_fault: the same, before re-walking */
    TLB_EV_FLUSH_ALL,          /* tlb_flush_all (reset, fault injection) */
    TLB_NEVENTS
};

/* Model-wide counters.  Exact for the accesses presented to mmu_access();
 * see docs/tlb.md, "The model in the machine", for what they mean in the
 * machine's fast and precise modes. */
struct tlb_stats {
    /* accesses = hits[1] + hits[2] + walks + cached_faults */
    uint64_t accesses;         /* translations the model answered */
    uint64_t hits[3];          /* usable TLB hits, by level (1, 2) */
    uint64_t walks;            /* walks the model made */
    uint64_t dirty_walks;      /* of which: a write found only a clean entry */
    uint64_t fault_rewalks;    /* of which: rewalk_on_fault re-checked an entry */
    uint64_t walk_reads;       /* paging-structure entries those walks read */
    uint64_t walks_by_reads[MMU_MAX_LEVELS + 1]; /* walks that read n entries */
    uint64_t psc_starts[MMU_MAX_LEVELS + 1];     /* walks begun below a PSC entry
                                                    of level n */
    uint64_t reads_saved;      /* entries the PSC hits spared those walks */
    uint64_t cached_faults;    /* #PF decided from a TLB entry's rights */
    uint64_t stale_reports;    /* detector: reports made */
    uint64_t stale_uses;       /* detector: hits through an entry found stale */
    uint64_t events[TLB_NEVENTS];
};

/* A missing invalidation: a cached entry is used although a paging-
 * structure entry it came from has changed in memory since. */
struct tlb_stale {
    uint64_t va;               /* the linear address being translated */
    uint8_t access;            /* enum mmu_access */
    int8_t structure;          /* index of the structure holding the stale entry */
    uint16_t pcid;
    uint8_t level;             /* enum mmu_level of the changed entry */
    uint8_t width;
    uint64_t entry_pa;         /* where it is */
    uint64_t old_value;        /* as the filling walk left it */
    uint64_t new_value;        /* in memory now */
};
typedef void (*tlb_stale_fn)(void *ctx, const struct tlb_stale *r);

/* Why an entry left a structure. */
enum tlb_drop { TLB_DROP_EVICT, TLB_DROP_INVALIDATE, TLB_DROP_REPLACE };
typedef void (*tlb_drop_fn)(void *ctx, int structure, const struct tlb_entry *e,
                            enum tlb_drop why);

struct tlb {
    unsigned n;
    struct tlb_struct s[TLB_MAX_STRUCTS];
    /* Derived from the geometries by tlb_new(). */
    int8_t psc_of[MMU_MAX_LEVELS + 1];       /* PSC caching each level, or -1 */
    int8_t holder[2][3][TLB_NSIZES];         /* [side][level][size]: structure or -1 */
    uint8_t nprobe[2][3];                    /* distinct structures per side and level, */
    uint8_t probe[2][3][TLB_MAX_STRUCTS];    /* smallest page class first */
    bool rewalk_on_fault;
    tlb_stale_fn on_stale;                   /* the detector, off when NULL */
    void *stale_ctx;
    tlb_drop_fn on_drop;
    void *drop_ctx;
    struct tlb_stats st;
};

/* Sides of the hierarchy. */
enum { TLB_SIDE_D = 0, TLB_SIDE_I = 1 };

/* ---- configuration (tlbspec.c) ------------------------------------------ */

/*
 * Parse a spec (grammar in docs/tlb.md), e.g.
 *   "l1d:4k=64x4:lru,l1d:2m=32x4,l1i:4k=128x8,stlb:4k+2m=1536x12:plru"
 * An item may name a preset ("skylake", "zen2", "tiny"); a later structure
 * with the same name replaces an earlier one, so "skylake,stlb:4k+2m=...:plru"
 * varies a preset.  On error returns false and writes a message naming the
 * bad item into err.
 */
bool tlb_parse(const char *spec, struct tlb_config *cfg, char *err, size_t errlen);

/* The spec of a preset, or NULL; tlb_preset_name(i) lists them (NULL ends). */
const char *tlb_preset(const char *name);
const char *tlb_preset_name(unsigned i);

/* A configuration as a spec tlb_parse() accepts; returns the length. */
size_t tlb_format(const struct tlb_config *cfg, char *buf, size_t len);

/* ---- the model (tlb.c) --------------------------------------------------- */

/* NULL when memory runs out.  tlb_parse() has validated the configuration. */
struct tlb *tlb_new(const struct tlb_config *cfg);
void tlb_free(struct tlb *t);

/* Missing-invalidation detector: on every TLB hit and every walk begun from
 * a paging-structure-cache entry, re-read the entries the cached information
 * came from and report one that changed (once per cached entry).  NULL turns
 * it off (the default: it costs a memory read per level per hit). */
void tlb_set_detector(struct tlb *t, tlb_stale_fn fn, void *ctx);

/* Be told whenever an entry leaves a structure (for keeping an outer cache,
 * such as QEMU's TLB, a subset of the model's). */
void tlb_set_drop_hook(struct tlb *t, tlb_drop_fn fn, void *ctx);

/* The TLB entry an access to va would use now, without changing anything
 * (statistics, replacement state); NULL if none.  *structure gets its index. */
const struct tlb_entry *tlb_peek(const struct mmu *m, uint64_t va, enum mmu_access access,
                                 int *structure);

/* Where entry e of structure s came from. */
const struct tlb_sources *tlb_entry_sources(const struct tlb *t, unsigned s,
                                            const struct tlb_entry *e);

/* ---- architectural events (tlbinval.c), SDM §4.10.4.1 ---------------------
 * Each takes the struct mmu whose model (m->tlb) it acts on, and does nothing
 * to the model when none is attached.  They read only registers the event
 * does not change (CR3 for INVLPG, CR4.PCIDE for MOV to CR3, ...), so they
 * may be called before or after mmu_set_regs() loads the new value. */

/* INVLPG: the current PCID's entries for the page of va (any page size),
 * global entries for it whatever their PCID, and all paging-structure-cache
 * entries of the current PCID.  A non-canonical va is a no-op (as in 64-bit
 * mode). */
void tlb_invlpg(struct mmu *m, uint64_t va);

/* INVPCID type 0..3 with descriptor {pcid (bits 63:0 of the first quadword),
 * va}.  Returns false, invalidating nothing, when the instruction raises
 * #GP(0): type > 3, descriptor bits 63:12 set, type 0 with a non-canonical
 * va, or CR4.PCIDE = 0 with type 0/1 and a PCID other than 000H. */
bool tlb_invpcid(struct mmu *m, unsigned type, uint64_t pcid, uint64_t va);

/* MOV to CR3 of value (bit 63 included, as the source operand). */
void tlb_mov_cr3(struct mmu *m, uint64_t value);

/* MOV to CR4 and MOV to CR0 changing old to new. */
void tlb_mov_cr4(struct mmu *m, uint64_t old_cr4, uint64_t new_cr4);
void tlb_mov_cr0(struct mmu *m, uint64_t old_cr0, uint64_t new_cr0);

/* Everything, globals and all PCIDs included (reset, fault injection). */
void tlb_flush_all(struct tlb *t);

/* ---- statistics (tlbstats.c) --------------------------------------------- */

/* A per-structure table and the model-wide counters, for people. */
void tlb_print_stats(FILE *out, const struct tlb *t);
/* The same as one JSON object. */
void tlb_print_json(FILE *out, const struct tlb *t);

const char *tlb_event_name(enum tlb_event ev);
const char *tlb_policy_name(enum tlb_policy p);

#endif /* MMU_TLB_H */
