/*
 * fill.c - Unicorn's TLB-fill hook: where every guest translation happens.
 *
 * In UC_TLB_VIRTUAL mode QEMU asks this hook on each miss of its internal
 * TLB, with the page-aligned linear address and the kind of access.  We
 * translate with mmu/ using the CPU state the walk depends on (the hook is
 * not told the privilege level: we keep it in m->cpl, re-reading CS when an
 * instruction that may change it has run), and answer with the physical page
 * and the rights QEMU may cache:
 *   - write only if the leaf's dirty flag is already set, so that the first
 *     write to a clean page misses again and the walk sets D (SDM §4.8);
 *   - rights for the current privilege context only: QEMU keeps separate
 *     TLBs per privilege (and per SMAP/AC state), so a later access from
 *     another context asks again.
 * A refused fill makes Unicorn stop with an exception; the walk record is
 * kept for the run loop, which delivers the #PF (or #GP) through the IDT.
 * With a TLB model attached (tlbmodel.h) the model answers instead of a
 * bare walk, and QEMU may cache only the side (data or fetch) that missed.
 */
#include "emu/machine.h"
#include "emu/tlbmodel.h"
#include "shared/x86.h"

/* Implicit supervisor accesses QEMU makes at CPL 3 (descriptor loads, the
 * I/O bitmap) land in the descriptor tables or the TSS. */
static bool in_system_tables(struct machine *m, uint64_t va)
{
    if (m->desc_stale) {
        uc_x86_mmr g, l, t;
        uc_reg_read(m->uc, UC_X86_REG_GDTR, &g);
        uc_reg_read(m->uc, UC_X86_REG_LDTR, &l);
        uc_reg_read(m->uc, UC_X86_REG_TR, &t);
        m->gdtr_base = g.base, m->gdtr_limit = g.limit;
        m->ldtr_base = l.base, m->ldtr_limit = l.limit;
        m->tr_base = t.base, m->tr_limit = t.limit;
        m->desc_stale = false;
    }
    /* va is page-aligned: a page overlapping a table counts. */
    return (va <= m->gdtr_base + m->gdtr_limit && va + 0xfff >= m->gdtr_base) ||
           (m->ldtr_limit && va <= m->ldtr_base + m->ldtr_limit && va + 0xfff >= m->ldtr_base) ||
           (m->tr_limit && va <= m->tr_base + m->tr_limit && va + 0xfff >= m->tr_base);
}

/* The context of an access to the page of va: privilege (CPL, RFLAGS.AC)
 * set in the MMU, and the flags of the translation (implicit supervisor
 * accesses).  The CPL is re-read while an instruction that may change it
 * runs; the block hook settles it once the instruction is done. */
unsigned machine_access_flags(struct machine *m, uint64_t va, enum mmu_access access)
{
    if (m->regs_stale)
        machine_sync_paging(m);
    if (m->cpl_stale)
        m->cpl = machine_reg(m, UC_X86_REG_CS) & 3;
    unsigned flags = 0;
    if (m->cpl == 3 && access != MMU_FETCH && in_system_tables(m, va & ~0xfffull))
        flags |= MMU_IMPLICIT;
    bool ac = m->cpl < 3 && m->mmu.paging.smap &&
              (machine_reg(m, UC_X86_REG_RFLAGS) & X86_RFLAGS_AC);
    mmu_set_privilege(&m->mmu, m->cpl, ac, 0);
    return flags;
}

bool machine_fill_hook(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *user)
{
    struct machine *m = user;
    (void)uc;
    m->stats.fills++;

    uint64_t pa;
    if (m->raising && raise_owns(m, va, &pa)) {
        e->paddr = pa;
        e->perms = UC_PROT_ALL;
        return true;
    }
    enum mmu_access access = type == UC_MEM_WRITE ? MMU_WRITE
                           : type == UC_MEM_FETCH ? MMU_FETCH : MMU_READ;
    unsigned flags = machine_access_flags(m, va, access);

    struct mmu_walk w;
    bool ok = m->tlbm ? tlbm_fill_translate(m, va, access, flags, &w)
                      : mmu_translate(&m->mmu, va, access, flags, &w);
    if (!ok) {
        m->stats.fill_faults++;
        m->fill_fault = true;
        m->fault_walk = w;
        return false;
    }
    e->paddr = w.pa & ~0xfffull;
    e->perms = (uc_prot)(((w.rights & MMU_R) ? UC_PROT_READ : 0) |
                         ((w.rights & MMU_W) && w.dirty ? UC_PROT_WRITE : 0) |
                         ((w.rights & MMU_X) ? UC_PROT_EXEC : 0));
    if (m->tlbm)
        tlbm_filled(m, va, access, &w, e);
    return true;
}
