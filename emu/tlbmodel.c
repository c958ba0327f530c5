/*
 * tlbmodel.c - the TLB model in the machine: attaching it, keeping QEMU's
 * TLB a subset of the model's first level (see tlbmodel.h), the
 * architectural events that reach the model from the observer, and the
 * detector's reports.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/tlbmodel.h"
#include "shared/x86.h"

#define QSET_BITS 13 /* 8192 slots: flushed (all) when half full */

static unsigned kind_level(unsigned kind)
{
    return kind == TLB_L1D || kind == TLB_L1I ? 1 : 2;
}

static unsigned kind_sides(unsigned kind)
{
    switch (kind) {
    case TLB_L1D: case TLB_L2D: return 1u << TLB_SIDE_D;
    case TLB_L1I: case TLB_L2I: return 1u << TLB_SIDE_I;
    case TLB_STLB: return 1u << TLB_SIDE_D | 1u << TLB_SIDE_I;
    default: return 0;
    }
}

static unsigned class_of_shift(unsigned shift)
{
    return shift >= 30 ? TLB_1G : shift >= 21 ? TLB_2M : TLB_4K;
}

/* ---- what QEMU's TLB may hold ------------------------------------------- */

static uint64_t qkey(uint64_t base, unsigned shift, unsigned side)
{
    return base | (uint64_t)shift << 2 | side;
}

static uint32_t qhash(const struct tlbm *tm, uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & tm->qmask;
}

static bool qset_has(const struct tlbm *tm, uint64_t key)
{
    for (uint32_t i = qhash(tm, key);; i = (i + 1) & tm->qmask) {
        const struct tlbm_qslot *s = &tm->qset[i];
        if (s->epoch != tm->epoch)
            return false;
        if (s->key == key)
            return true;
    }
}

void tlbm_flush_qemu(struct machine *m, uint64_t *why)
{
    struct tlbm *tm = m->tlbm;
    if (tm->in_access) {
        /* Inside Unicorn's access hook QEMU still uses the TLB entry of the
         * access being made: flushing now would pull it from under it (a
         * crash).  The next fill or block, whichever comes first, flushes. */
        if (!tm->flush_pending)
            tm->flush_pending = why;
        return;
    }
    uc_ctl_flush_tlb(m->uc);
    (*why)++;
    tm->qcount = 0;
    if (++tm->epoch == 0) { /* wrapped: every slot would look current */
        memset(tm->qset, 0, (tm->qmask + 1) * sizeof *tm->qset);
        if (tm->rmap)
            memset(tm->rmap, 0, tm->rmap_pages * sizeof *tm->rmap);
        memset(tm->other, 0, sizeof tm->other);
        tm->epoch = 1;
    }
}

static void qset_add(struct machine *m, uint64_t key)
{
    struct tlbm *tm = m->tlbm;
    if (qset_has(tm, key))
        return;
    if (tm->qcount >= (tm->qmask + 1) / 2)
        tlbm_flush_qemu(m, &tm->c.flushes_full);
    uint32_t i = qhash(tm, key);
    while (tm->qset[i].epoch == tm->epoch)
        i = (i + 1) & tm->qmask;
    tm->qset[i] = (struct tlbm_qslot){ key, tm->epoch };
    tm->qcount++;
}

/* The model dropped entry e from structure si: QEMU must not keep it. */
static void on_drop(void *ctx, int si, const struct tlb_entry *e, enum tlb_drop why)
{
    struct machine *m = ctx;
    struct tlbm *tm = m->tlbm;
    const struct tlb_struct *s = &tm->t->s[si];
    if (s->g.kind == TLB_PSC)
        return; /* walks only: QEMU caches no paging-structure entries */
    unsigned level = kind_level(s->g.kind), sides = kind_sides(s->g.kind);
    unsigned cls = class_of_shift(e->page_shift);
    uint64_t base = (e->vpn << e->shift) & ~((1ull << e->page_shift) - 1);
    (void)why;
    for (unsigned side = 0; side < 2; side++) {
        if (!(sides & (1u << side)))
            continue;
        /* A second-level entry matters only for a page size no first-level
         * structure of the side holds. */
        if (level == 2 && tm->t->holder[side][1][cls] >= 0)
            continue;
        if (!qset_has(tm, qkey(base, e->page_shift, side)))
            continue;
        if (why == TLB_DROP_REPLACE) {
            /* Rewritten in place by a walk for the same page (a write that
             * must set D, mostly): QEMU may keep it if the walk finds the
             * same page; tlbm_access() decides when the walk is done. */
            tm->replaced = true;
            tm->replaced_target = e->target;
            return;
        }
        tlbm_flush_qemu(m, &tm->c.flushes_drop);
        return;
    }
}

bool tlbm_access(struct machine *m, uint64_t va, enum mmu_access access, unsigned flags,
                 struct mmu_walk *w)
{
    struct tlbm *tm = m->tlbm;
    bool ok = mmu_access(&m->mmu, va, access, flags, w);
    if (tm->replaced) {
        tm->replaced = false;
        if (!ok || w->page_base != tm->replaced_target)
            tlbm_flush_qemu(m, &tm->c.flushes_drop);
    }
    return ok;
}

/* ---- the detector -------------------------------------------------------- */

static void on_stale(void *ctx, const struct tlb_stale *r)
{
    struct machine *m = ctx;
    struct tlbm *tm = m->tlbm;
    uint64_t rip = machine_reg(m, UC_X86_REG_RIP);
    uint64_t now = vtime_at(m, rip);
    const char *level = mmu_level_name((enum mmu_mode)m->mmu.paging.mode, r->level);
    const char *what = mmu_access_name((enum mmu_access)r->access);
    const char *sname = tm->t->s[r->structure].name;
    fprintf(stderr,
            "mmulab: tlb-check: missing invalidation at time %" PRIu64 ", RIP 0x%" PRIx64
            ": %s of 0x%" PRIx64 " used a stale %s entry (PCID %u); the %s at physical 0x%" PRIx64
            " was 0x%016" PRIx64 " when cached and is 0x%016" PRIx64 " now\n",
            now, rip, what, r->va, sname, r->pcid, level, r->entry_pa, r->old_value,
            r->new_value);
    if (tm->events)
        fprintf(tm->events,
                "%12" PRIu64 " tlb-check: stale %s entry used: %s 0x%" PRIx64 " (PCID %u, RIP 0x%" PRIx64
                "): %s at 0x%" PRIx64 " 0x%016" PRIx64 " -> 0x%016" PRIx64 "\n",
                now, sname, what, r->va, r->pcid, rip, level, r->entry_pa, r->old_value,
                r->new_value);
}

/* ---- attaching ----------------------------------------------------------- */

bool tlbm_attach(struct machine *m, const struct tlb_config *cfg, enum tlbm_mode mode,
                 bool check, char *err, size_t errlen)
{
    struct tlbm *tm = calloc(1, sizeof *tm);
    if (!tm || !(tm->t = tlb_new(cfg)) ||
        !(tm->qset = calloc(1u << QSET_BITS, sizeof *tm->qset))) {
        if (tm)
            tlb_free(tm->t);
        free(tm);
        snprintf(err, errlen, "out of memory for the TLB model");
        return false;
    }
    tm->mode = mode;
    tm->check = check;
    tm->qmask = (1u << QSET_BITS) - 1;
    tm->epoch = 1;
    tm->events = m->events;
    m->tlbm = tm;
    mmu_attach_tlb(&m->mmu, tm->t);
    tlb_set_drop_hook(tm->t, on_drop, m);
    if (check)
        tlb_set_detector(tm->t, on_stale, m);
    if (mode == TLBM_PRECISE && !precise_init(m, err, errlen)) {
        tlbm_free(m);
        return false;
    }
    return true;
}

void tlbm_free(struct machine *m)
{
    struct tlbm *tm = m->tlbm;
    if (!tm)
        return;
    precise_free(m);
    mmu_attach_tlb(&m->mmu, NULL);
    tlb_free(tm->t);
    free(tm->qset);
    free(tm);
    m->tlbm = NULL;
}

/* ---- fills ---------------------------------------------------------------- */

void tlbm_safe_point(struct machine *m)
{
    struct tlbm *tm = m->tlbm;
    if (tm->flush_pending) {
        uint64_t *why = tm->flush_pending;
        tm->flush_pending = NULL;
        tlbm_flush_qemu(m, why);
    }
}

bool tlbm_fill_translate(struct machine *m, uint64_t va, enum mmu_access access, unsigned flags,
                         struct mmu_walk *w)
{
    tlbm_safe_point(m);
    if (m->tlbm->mode == TLBM_PRECISE)
        return precise_fill_translate(m, va, access, flags, w);
    return tlbm_access(m, va, access, flags, w);
}

void tlbm_filled(struct machine *m, uint64_t va, enum mmu_access access,
                 const struct mmu_walk *w, uc_tlb_entry *e)
{
    struct tlbm *tm = m->tlbm;
    unsigned side = access == MMU_FETCH ? TLB_SIDE_I : TLB_SIDE_D;
    /* QEMU keeps read, write and fetch rights in one entry: grant only the
     * side that missed, so that the other side's first access reaches the
     * model too (an instruction fetch must not ride on a data entry). */
    if (side == TLB_SIDE_I)
        e->perms &= UC_PROT_EXEC;
    else
        e->perms &= ~UC_PROT_EXEC;
    tm->c.fills++;
    if (m->mmu.paging.mode == MMU_MODE_OFF)
        return; /* linear = physical: nothing cached, nothing to invalidate */
    unsigned shift = (unsigned)__builtin_ctzll(w->page_size);
    unsigned cls = class_of_shift(shift);
    if (tm->t->holder[side][1][cls] < 0 && tm->t->holder[side][2][cls] < 0) {
        /* The model caches no page of this size on this side: QEMU must
         * not keep it either, past this access (the next fill or block). */
        tm->c.uncached_fills++;
        if (!tm->flush_pending)
            tm->flush_pending = &tm->c.flushes_uncached;
    }
    /* The alias map first: it may flush QEMU's TLB, and what QEMU is about
     * to hold must be recorded after that. */
    if (tm->mode == TLBM_PRECISE && side == TLB_SIDE_D)
        precise_filled(m, va, w->pa);
    qset_add(m, qkey(va & ~(w->page_size - 1), shift, side));
}

/* ---- events ----------------------------------------------------------------- */

void tlbm_invlpg(struct machine *m, uint64_t va)
{
    if (m->regs_stale)
        machine_sync_paging(m); /* INVLPG acts on the current PCID */
    tlb_invlpg(&m->mmu, va);
}

void tlbm_mov_cr3(struct machine *m, uint64_t value)
{
    if (m->regs_stale)
        machine_sync_paging(m); /* CR4.PCIDE decides what MOV to CR3 flushes */
    machine_event(m, "tlb: mov to cr3 0x%" PRIx64 "%s", value,
                  (value & X86_CR3_NOFLUSH) && m->mmu.paging.pcide ? " (no flush)" : "");
    tlb_mov_cr3(&m->mmu, value);
}

void tlbm_regs_changed(struct machine *m, const struct mmu_regs *old, const struct mmu_regs *now)
{
    if (old->cr0 == 0)
        return; /* the boot hand-off loading the first values: no guest event */
    if (old->cr4 != now->cr4)
        tlb_mov_cr4(&m->mmu, old->cr4, now->cr4);
    if (old->cr0 != now->cr0)
        tlb_mov_cr0(&m->mmu, old->cr0, now->cr0);
    if (old->efer != now->efer) /* no invalidation (docs/tlb.md); the mode may change */
        machine_event(m, "tlb: efer 0x%" PRIx64 " -> 0x%" PRIx64, old->efer, now->efer);
}

/* ---- statistics ------------------------------------------------------------- */

static const char *mode_name(enum tlbm_mode mode)
{
    return mode == TLBM_PRECISE ? "precise" : "fast";
}

void tlbm_print_stats(struct machine *m, FILE *out)
{
    struct tlbm *tm = m->tlbm;
    const struct tlbm_counters *c = &tm->c;
    char spec[1024];
    struct tlb_config cfg = { .n = tm->t->n, .rewalk_on_fault = tm->t->rewalk_on_fault };
    for (unsigned i = 0; i < tm->t->n; i++)
        cfg.s[i] = tm->t->s[i].g;
    tlb_format(&cfg, spec, sizeof spec);
    fprintf(out, "TLB model, %s mode: %s\n", mode_name(tm->mode), spec);
    tlb_print_stats(out, tm->t);
    fprintf(out, "machine: %" PRIu64 " QEMU-TLB fills answered by the model (%" PRIu64
                 " of a page size the model does not cache); QEMU TLB flushed %" PRIu64
                 " times for evictions and invalidations, %" PRIu64 " for aliases, %" PRIu64
                 " when its record was full, %" PRIu64 " after uncached fills; %" PRIu64
                 " INVPCID emulated\n",
            c->fills, c->uncached_fills, c->flushes_drop, c->flushes_alias, c->flushes_full,
            c->flushes_uncached, c->invpcid);
    if (tm->mode == TLBM_PRECISE)
        fprintf(out, "precise: %" PRIu64 " data accesses and %" PRIu64
                     " blocks of fetches presented by hooks\n",
                c->data_hooks, c->fetch_blocks);
}

void tlbm_print_json(struct machine *m, FILE *out)
{
    struct tlbm *tm = m->tlbm;
    const struct tlbm_counters *c = &tm->c;
    fprintf(out, "{\"mode\":\"%s\",\"check\":%s,\"qemu_fills\":%" PRIu64
                 ",\"uncached_fills\":%" PRIu64 ",\"qemu_flushes_drop\":%" PRIu64
                 ",\"qemu_flushes_alias\":%" PRIu64 ",\"qemu_flushes_full\":%" PRIu64
                 ",\"qemu_flushes_uncached\":%" PRIu64 ",\"invpcid_emulated\":%" PRIu64
                 ",\"precise_data_hooks\":%" PRIu64 ",\"precise_fetch_blocks\":%" PRIu64
                 ",\"model\":",
            mode_name(tm->mode), tm->check ? "true" : "false", c->fills, c->uncached_fills,
            c->flushes_drop, c->flushes_alias, c->flushes_full, c->flushes_uncached, c->invpcid,
            c->data_hooks, c->fetch_blocks);
    tlb_print_json(out, tm->t);
    fputs("}", out);
}
