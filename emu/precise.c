/*
 * precise.c - precise mode: every access the guest makes is presented to
 * the TLB model once, in program order, so the model's counters (and its
 * replacement state, and the detector) see what a processor's TLBs see.
 *
 * Data accesses.  Unicorn's access hook (UC_HOOK_MEM_READ|WRITE) runs for
 * every load and store, after QEMU's own TLB has translated it (or asked
 * the fill hook), and reports the *physical* address only (Unicorn 2.1.1;
 * RIP is exact there).  We get the virtual page back from a map that the
 * fill hook keeps: the virtual page QEMU holds for each physical page.  For
 * that map to be unambiguous QEMU may hold a physical page under one virtual
 * page at a time: a fill that would make a second alias flushes QEMU's TLB
 * first (aliases are rare in kernels, common in the TLB benchmark, which
 * maps many virtual pages to few frames; a flush costs about 0.5 us).
 *
 * When QEMU's TLB misses, the fill hook runs first: it presents the access
 * and leaves its answer in fill_data; the access hook that follows takes it
 * instead of presenting again.  When QEMU's TLB hits, the access hook
 * presents the access.  QEMU holds only what the model's first level holds
 * (tlbmodel.h), so the model must then hit, with the physical page QEMU
 * used: anything else is a bug in the machine, and stops it.
 *
 * An access that crosses a page is two accesses, one per page, presented
 * by the access hook.  QEMU then splits it: a read calls the access hook
 * again for each half (skipped: skip_reads), a write does not; the fill
 * hook, asked for either page meanwhile, reuses the answers (cur).
 *
 * Fetches.  QEMU fetches when it translates a block and checks its TLB only
 * when it looks a block up, so fetches are presented by a block hook, once
 * per page the block spans (one or two), as the block starts: instruction
 * fetch runs ahead of execution by up to a block, as a processor's does.
 * A fetch the fill hook presented (fill_fetch) is not presented again.  By
 * the idempotence of repeated hits (docs/tlb.md) only the instruction side's
 * hit and lookup counts depend on this granularity.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/tlbmodel.h"

static uint64_t page_of(uint64_t a)
{
    return a & ~0xfffull;
}

/* ---- physical page -> the virtual page QEMU holds it under --------------- */

static bool rmap_get(const struct tlbm *tm, uint64_t pa, uint64_t *vpage)
{
    uint64_t pp = pa >> 12;
    if (pp < tm->rmap_pages) {
        const struct tlbm_rmap *r = &tm->rmap[pp];
        *vpage = r->vpage;
        return r->epoch == tm->epoch;
    }
    for (unsigned i = 0; i < TLBM_OTHERS; i++) {
        const struct tlbm_other *o = &tm->other[i];
        if (o->epoch == tm->epoch && o->ppage == pp) {
            *vpage = o->vpage;
            return true;
        }
    }
    return false;
}

void precise_filled(struct machine *m, uint64_t va, uint64_t pa)
{
    struct tlbm *tm = m->tlbm;
    uint64_t pp = pa >> 12, vpage = page_of(va);
    if (pp < tm->rmap_pages) {
        struct tlbm_rmap *r = &tm->rmap[pp];
        if (r->epoch == tm->epoch && r->vpage != vpage)
            tlbm_flush_qemu(m, &tm->c.flushes_alias);
        *r = (struct tlbm_rmap){ vpage, tm->epoch };
        return;
    }
    struct tlbm_other *free_slot = NULL;
    for (unsigned i = 0; i < TLBM_OTHERS; i++) {
        struct tlbm_other *o = &tm->other[i];
        if (o->epoch != tm->epoch) {
            if (!free_slot)
                free_slot = o;
        } else if (o->ppage == pp) {
            if (o->vpage != vpage) {
                tlbm_flush_qemu(m, &tm->c.flushes_alias);
                free_slot = o;
            } else {
                return;
            }
            break;
        }
    }
    if (!free_slot) {
        tlbm_flush_qemu(m, &tm->c.flushes_full);
        free_slot = &tm->other[0];
    }
    *free_slot = (struct tlbm_other){ pp, vpage, tm->epoch };
}

/* ---- presenting accesses -------------------------------------------------- */

static void present(struct machine *m, uint64_t va, enum mmu_access access,
                    struct tlbm_answer *a)
{
    unsigned flags = machine_access_flags(m, va, access);
    a->page = page_of(va);
    a->access = (uint8_t)access;
    a->valid = true;
    a->ok = tlbm_access(m, va, access, flags, &a->w);
}

/* Take the answer the fill hook left for (page, access), if any. */
static bool take(struct tlbm_answer *list, uint64_t page, enum mmu_access access,
                 struct tlbm_answer *out)
{
    for (unsigned i = 0; i < TLBM_PENDING; i++) {
        struct tlbm_answer *a = &list[i];
        if (a->valid && a->page == page && a->access == access) {
            *out = *a;
            a->valid = false;
            return true;
        }
    }
    return false;
}

static void keep(struct tlbm_answer *list, const struct tlbm_answer *a)
{
    unsigned slot = 0;
    for (unsigned i = 0; i < TLBM_PENDING; i++)
        if (!list[i].valid) {
            slot = i;
            break;
        }
    list[slot] = *a;
}

static void forget(struct tlbm_answer *list, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        list[i].valid = false;
}

static void precise_forget(struct machine *m)
{
    struct tlbm *tm = m->tlbm;
    forget(tm->fill_data, TLBM_PENDING);
    forget(tm->fill_fetch, TLBM_PENDING);
    forget(tm->cur, 2);
    tm->skip_reads = 0;
}

bool precise_fill_translate(struct machine *m, uint64_t va, enum mmu_access access,
                            unsigned flags, struct mmu_walk *w)
{
    struct tlbm *tm = m->tlbm;
    uint64_t page = page_of(va);
    for (unsigned i = 0; i < 2; i++) {
        const struct tlbm_answer *a = &tm->cur[i];
        if (a->valid && a->page == page && a->access == access) {
            *w = a->w; /* a page of the access being made: already presented */
            return a->ok;
        }
    }
    struct tlbm_answer a = { .page = page, .access = (uint8_t)access, .valid = true };
    a.ok = tlbm_access(m, va, access, flags, &a.w);
    *w = a.w;
    if (a.ok) /* a refused fill is a fault: no hook follows */
        keep(access == MMU_FETCH ? tm->fill_fetch : tm->fill_data, &a);
    return a.ok;
}

/* QEMU used a translation the model does not give: stop, loudly. */
static void mismatch(struct machine *m, uint64_t va, enum mmu_access access, uint64_t pa,
                     const struct tlbm_answer *a)
{
    machine_fail(m, "precise mode: QEMU %s 0x%" PRIx64 " at physical 0x%" PRIx64
                    " but the TLB model %s (a bug in mmulab)",
                 access == MMU_FETCH ? "fetched" : access == MMU_WRITE ? "wrote" : "read", va,
                 pa, !a->ok ? "faults" : "translates elsewhere");
}

static void on_access(uc_engine *uc, uc_mem_type type, uint64_t pa, int size, int64_t value,
                      void *user)
{
    struct machine *m = user;
    struct tlbm *tm = m->tlbm;
    (void)uc, (void)value;
    if (m->raising || m->stop != STOP_NONE)
        return;
    enum mmu_access access = type == UC_MEM_WRITE ? MMU_WRITE : MMU_READ;
    if (tm->skip_reads && access == MMU_READ) {
        tm->skip_reads--; /* QEMU reading one half of a split read */
        return;
    }
    uint64_t vpage;
    if (!rmap_get(tm, pa, &vpage)) {
        machine_fail(m, "precise mode: an access to physical 0x%" PRIx64
                        " through a translation QEMU did not get from the model (a bug in mmulab)",
                     pa);
        return;
    }
    uint64_t va = vpage | (pa & 0xfff);
    tm->c.data_hooks++;
    forget(tm->cur, 2);
    tm->in_access = true;
    struct tlbm_answer a;
    if (!take(tm->fill_data, vpage, access, &a)) {
        present(m, va, access, &a);
        if (!a.ok || page_of(a.w.pa) != page_of(pa)) {
            tm->in_access = false;
            mismatch(m, va, access, pa, &a);
            return;
        }
    }
    forget(tm->fill_data, TLBM_PENDING); /* fills no hook followed (probes) */
    if ((pa & 0xfff) + (unsigned)size > 0x1000) {
        tm->cur[0] = a;
        present(m, vpage + 0x1000, access, &tm->cur[1]);
        if (access == MMU_READ)
            tm->skip_reads = 2;
    }
    tm->in_access = false;
}

static void fetch(struct machine *m, uint64_t va)
{
    struct tlbm *tm = m->tlbm;
    struct tlbm_answer a;
    if (take(tm->fill_fetch, page_of(va), MMU_FETCH, &a))
        return;
    present(m, va, MMU_FETCH, &a);
    if (!a.ok)
        mismatch(m, va, MMU_FETCH, 0, &a);
}

static void on_block(uc_engine *uc, uint64_t va, uint32_t size, void *user)
{
    struct machine *m = user;
    struct tlbm *tm = m->tlbm;
    (void)uc;
    if (m->raising || m->stop != STOP_NONE)
        return;
    tlbm_safe_point(m);
    tm->c.fetch_blocks++;
    fetch(m, va);
    uint64_t last = va + (size ? size - 1 : 0);
    if (page_of(last) != page_of(va))
        fetch(m, page_of(last));
    precise_forget(m);
}

bool precise_init(struct machine *m, char *err, size_t errlen)
{
    struct tlbm *tm = m->tlbm;
    tm->rmap_pages = m->ram_size >> 12;
    tm->rmap = calloc(tm->rmap_pages, sizeof *tm->rmap);
    if (!tm->rmap) {
        snprintf(err, errlen, "out of memory for precise mode");
        return false;
    }
    uc_hook h;
    uc_err e;
    /* Added after the machine's own block hook (virtual time), so that a
     * block the time keeper stops before it runs presents nothing. */
    if ((e = uc_hook_add(m->uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)on_access, m,
                         1, 0)) ||
        (e = uc_hook_add(m->uc, &h, UC_HOOK_BLOCK, (void *)on_block, m, 1, 0))) {
        snprintf(err, errlen, "cannot add the precise-mode hooks: %s", uc_strerror(e));
        return false;
    }
    return true;
}

void precise_free(struct machine *m)
{
    free(m->tlbm->rmap);
    m->tlbm->rmap = NULL;
}
