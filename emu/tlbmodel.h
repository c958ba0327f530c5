/*
 * tlbmodel.h - the TLB model (mmu/tlb.h) attached to the machine.
 *
 *   tlbmodel.c  attaching the model; keeping QEMU's own TLB coherent with
 *               it; the architectural events (INVLPG, MOV to CR0/CR3/CR4);
 *               the missing-invalidation detector's reports; statistics
 *   precise.c   precise mode: every access presented to the model from
 *               per-access hooks
 *
 * QEMU keeps a TLB of its own in front of the fill hook, and nothing but
 * the fill hook tells us what it holds.  So we keep a superset of it: the
 * pages filled since QEMU's TLB was last flushed ("qset", per side).  The
 * rule that makes the model, not QEMU, decide every translation:
 *
 *     QEMU's TLB holds only translations that the model's first-level TLB
 *     of that side holds.
 *
 * A fill hands QEMU what the model answered (hit or walk: the model now
 * holds it at the first level, by promotion or fill), for the kind of
 * access that missed only (read/write: the data side; fetch: the
 * instruction side).  When an entry leaves a first-level structure
 * (eviction, invalidation; the model's drop hook), QEMU's TLB is flushed if
 * the qset says QEMU may hold that translation; an entry rewritten in place
 * by a walk only if the walk found another page.  Unicorn
 * offers only a full flush (uc_ctl_flush_tlb, about 0.5 us); the qset keeps
 * those flushes to the evictions that matter.  docs/tlb.md, "The model in
 * the machine", says what this buys in each mode.
 */
#ifndef EMU_TLBMODEL_H
#define EMU_TLBMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unicorn/unicorn.h>

#include "mmu/tlb.h"

struct machine;

enum tlbm_mode { TLBM_FAST, TLBM_PRECISE };

/* What the integration did, beside the model's own counters. */
struct tlbm_counters {
    uint64_t fills;              /* QEMU-TLB misses answered by the model */
    uint64_t uncached_fills;     /* ... of a page size no structure of the side holds */
    uint64_t flushes_drop;       /* QEMU flushes: the model dropped what QEMU may hold */
    uint64_t flushes_alias;      /* precise: a physical page QEMU holds under another VA */
    uint64_t flushes_full;       /* the qset (or the alias map) was full */
    uint64_t flushes_uncached;   /* after a fill of a size the model does not cache */
    uint64_t data_hooks;         /* precise: data accesses presented by the access hook */
    uint64_t fetch_blocks;       /* precise: blocks whose fetches were presented */
    uint64_t invpcid;            /* INVPCID instructions emulated */
};

/* One slot of the qset: a page QEMU may hold, valid in the current epoch. */
struct tlbm_qslot {
    uint64_t key;                /* page base | page shift << 2 | side */
    uint32_t epoch;
};

/* Precise mode: the virtual page QEMU holds for a physical page (QEMU's
 * access hooks report physical addresses only; see precise.c). */
struct tlbm_rmap {
    uint64_t vpage;
    uint32_t epoch;
};

struct tlbm_other {              /* the same, for pages outside RAM (MMIO) */
    uint64_t ppage, vpage;
    uint32_t epoch;
};

/* Precise mode: one access presented to the model and its answer. */
struct tlbm_answer {
    uint64_t page;
    uint8_t access;
    bool valid, ok;
    struct mmu_walk w;
};

#define TLBM_PENDING 4
#define TLBM_OTHERS 8

struct tlbm {
    struct tlb *t;
    enum tlbm_mode mode;
    bool check;                  /* the missing-invalidation detector is on */
    struct tlbm_counters c;

    /* The qset (open addressing, linear probing). */
    struct tlbm_qslot *qset;
    uint32_t qmask, qcount, epoch;

    /* Precise mode (precise.c). */
    struct tlbm_rmap *rmap;      /* indexed by physical page, RAM only */
    uint64_t rmap_pages;
    struct tlbm_other other[TLBM_OTHERS];
    /* Accesses the fill hook presented, waiting for the hook that follows
     * (the access hook for data, the block hook for fetches), which must
     * not present them again. */
    struct tlbm_answer fill_data[TLBM_PENDING], fill_fetch[TLBM_PENDING];
    /* The pages of the page-crossing access being made: QEMU may ask the
     * fill hook for them after the access hook has presented them. */
    struct tlbm_answer cur[2];
    unsigned skip_reads;         /* hook calls of a split read still to come */

    bool in_access;              /* inside Unicorn's access hook (precise.c) */
    uint64_t *flush_pending;     /* a flush asked for there: its counter */

    bool replaced;               /* an entry QEMU may hold was rewritten in place */
    uint64_t replaced_target;    /* ... and the page it translated to */

    FILE *events;
};

/* Attach a model built from cfg; false with a message on failure. */
bool tlbm_attach(struct machine *m, const struct tlb_config *cfg, enum tlbm_mode mode,
                 bool check, char *err, size_t errlen);
void tlbm_free(struct machine *m);

/* Every access the machine presents to the model (mmu_access, then QEMU's
 * TLB made coherent with what the access did to the model). */
bool tlbm_access(struct machine *m, uint64_t va, enum mmu_access access, unsigned flags,
                 struct mmu_walk *w);

/* fill.c: translate for a QEMU-TLB miss, then narrow what QEMU may cache to
 * the side that missed and record it. */
bool tlbm_fill_translate(struct machine *m, uint64_t va, enum mmu_access access, unsigned flags,
                         struct mmu_walk *w);
void tlbm_filled(struct machine *m, uint64_t va, enum mmu_access access,
                 const struct mmu_walk *w, uc_tlb_entry *e);

/* Flush QEMU's TLB and forget what it held (counted in *why); asked for
 * inside the access hook, at the next tlbm_safe_point() (the next fill or,
 * in precise mode, block). */
void tlbm_flush_qemu(struct machine *m, uint64_t *why);
void tlbm_safe_point(struct machine *m);

/* Events (observe.c, machine.c). */
void tlbm_invlpg(struct machine *m, uint64_t va);
void tlbm_mov_cr3(struct machine *m, uint64_t value);
void tlbm_regs_changed(struct machine *m, const struct mmu_regs *old, const struct mmu_regs *now);

/* Statistics at exit. */
void tlbm_print_stats(struct machine *m, FILE *out);

/* tlbphase.c: the model's counters at each guest mark, and side by side
 * between marks (--stats; --stats-json "tlb_phases"). */
struct mark;
void tlbphase_mark(struct machine *m, struct mark *k);
void tlbphase_print(struct machine *m, FILE *out);
void tlbphase_json(struct machine *m, FILE *out);
void tlbm_print_json(struct machine *m, FILE *out);

/* precise.c */
bool precise_init(struct machine *m, char *err, size_t errlen);
void precise_free(struct machine *m);
/* A data fill of va -> pa: remember the pair (flushing QEMU's TLB if it
 * holds pa under another virtual page). */
void precise_filled(struct machine *m, uint64_t va, uint64_t pa);
/* The fill hook's translation in precise mode (see precise.c). */
bool precise_fill_translate(struct machine *m, uint64_t va, enum mmu_access access,
                            unsigned flags, struct mmu_walk *w);

#endif /* EMU_TLBMODEL_H */
