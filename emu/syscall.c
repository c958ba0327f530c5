/*
 * syscall.c - SYSCALL (SDM Vol. 2B, "SYSCALL").  Unicorn only calls our hook
 * for it; the instruction's work is done here.  SYSRET needs no help: QEMU
 * executes it natively, lowering the CPL.
 *
 *   requires 64-bit mode and EFER.SCE, else #UD (our CPU is an Intel one:
 *   AMD's CPUs also take SYSCALL in compatibility mode, through CSTAR);
 *   RCX <- RIP of the next instruction, R11 <- RFLAGS;
 *   CS <- STAR[47:32] & ~3, SS <- STAR[47:32] + 8 (the flat descriptors the
 *   architecture implies: CPL 0, 64-bit code);
 *   RFLAGS <- RFLAGS & ~FMASK (and RF cleared);
 *   RIP <- LSTAR.
 * The stack does not change: the kernel switches it itself.
 */
#include <inttypes.h>

#include "emu/machine.h"
#include "shared/x86.h"

static uint64_t msr(struct machine *m, uint32_t id)
{
    uc_x86_msr r = { id, 0 };
    uc_reg_read(m->uc, UC_X86_REG_MSR, &r);
    return r.value;
}

void syscall_enter(struct machine *m)
{
    uint64_t rip = machine_reg(m, UC_X86_REG_RIP); /* Unicorn left it past SYSCALL */
    if (!(m->mmu.regs.efer & X86_EFER_SCE) || m->code32) {
        struct event ev = { .vector = X86_VEC_UD, .rip = rip - 2 };
        m->stats.exceptions[X86_VEC_UD]++;
        m->vt.now--; /* counted as its block ran, but a faulting SYSCALL does not complete */
        deliver_event(m, &ev);
        return;
    }
    uint64_t rflags = machine_reg(m, UC_X86_REG_RFLAGS);
    uint64_t rsp = machine_reg(m, UC_X86_REG_RSP);
    uint64_t star = msr(m, X86_MSR_STAR);
    uint64_t target = msr(m, X86_MSR_LSTAR);
    m->stats.syscalls++;
    uint64_t fmask = msr(m, X86_MSR_FMASK);
    machine_event(m, "syscall from CPL %u at 0x%" PRIx64 ", RAX 0x%" PRIx64, m->cpl, rip - 2,
                  machine_reg(m, UC_X86_REG_RAX));
    if (m->cpl != 0 && !raise_to_cpl0(m))
        return;
    uint16_t sel = (uint16_t)(star >> 32);
    machine_set_reg(m, UC_X86_REG_CS, sel & ~3u);
    machine_set_reg(m, UC_X86_REG_SS, (sel + 8u) & ~3u);
    machine_set_reg(m, UC_X86_REG_RCX, rip);
    machine_set_reg(m, UC_X86_REG_R11, rflags);
    machine_set_reg(m, UC_X86_REG_RFLAGS, (rflags & ~fmask & ~X86_RFLAGS_RF) | X86_RFLAGS_FIXED);
    machine_set_reg(m, UC_X86_REG_RSP, rsp);
    machine_set_reg(m, UC_X86_REG_RIP, target);
    machine_cs_loaded64(m, (uint16_t)(sel & ~3u));
}
