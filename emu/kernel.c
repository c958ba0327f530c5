/*
 * kernel.c - put a kernel in the machine: the boot hand-off (loader/boot.c)
 * into RAM, its entry state into the CPU, and its privileged-instruction
 * sites under observation (observe.c).
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "emu/kernel.h"
#include "emu/machine.h"
#include "shared/x86.h"

static void load_cpu(struct machine *m, const struct boot_cpu *c)
{
    uc_engine *uc = m->uc;
    uc_x86_mmr gdtr = { 0, c->gdtr_base, c->gdtr_limit, 0 };
    uc_x86_msr efer = { X86_MSR_EFER, c->efer };
    /* Order matters to QEMU: long mode and PAE before paging. */
    uc_reg_write(uc, UC_X86_REG_MSR, &efer);
    machine_set_reg(m, UC_X86_REG_CR4, c->cr4);
    machine_set_reg(m, UC_X86_REG_CR3, c->cr3);
    machine_set_reg(m, UC_X86_REG_CR0, c->cr0);
    uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
    /* In 64-bit mode these set the selectors; Unicorn's reset descriptor
     * caches already describe flat 64-bit CPL 0 segments. */
    machine_set_reg(m, UC_X86_REG_CS, c->cs);
    machine_set_reg(m, UC_X86_REG_SS, c->ds);
    machine_set_reg(m, UC_X86_REG_DS, c->ds);
    machine_set_reg(m, UC_X86_REG_ES, c->ds);
    machine_set_reg(m, UC_X86_REG_RFLAGS, X86_RFLAGS_FIXED);
    machine_set_reg(m, UC_X86_REG_RSP, c->rsp);
    machine_set_reg(m, UC_X86_REG_RDI, c->rdi);
    machine_set_reg(m, UC_X86_REG_RIP, c->rip);
    m->cpl = 0;
    machine_cs_loaded64(m, (uint16_t)c->cs);
    m->desc_stale = true;
    machine_sync_paging(m);
}

bool machine_load_kernel(struct machine *m, const struct elf_image *k, const struct boot_params *p,
                         struct loader_error *err)
{
    struct boot_cpu cpu;
    if (!boot_prepare(m->ram, m->ram_size, k, p, &cpu, err))
        return false;
    load_cpu(m, &cpu);
    char msg[256];
    for (unsigned i = 0; i < k->nsegments; i++) {
        const struct elf_segment *s = &k->seg[i];
        if (!(s->flags & PF_X) || !s->filesz)
            continue;
        if (!observe_scan(m, m->ram + s->paddr, s->vaddr, s->filesz, msg, sizeof msg))
            return loader_fail(err, k->name, "%s", msg);
    }
    machine_event(m, "boot: entry 0x%" PRIx64 ", %zu privileged-instruction sites observed",
                  cpu.rip, m->nsites);
    return true;
}
