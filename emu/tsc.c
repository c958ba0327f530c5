/*
 * tsc.c - a time-stamp counter that counts virtual time.
 *
 * QEMU's RDTSC reads the host's clock, which would make runs differ, and
 * Unicorn 2.1 offers no hook for it.  So:
 *   - at CPL 3, QEMU's CR4.TSD is kept set (whatever the guest wrote), so a
 *     user-mode RDTSC or RDTSCP raises #GP; the run loop recognises that
 *     #GP and emulates the instruction (tsc_emulate) unless the guest itself
 *     asked for TSD, in which case the #GP is the guest's;
 *   - at CPL 0, the kernel's RDTSC/RDTSCP sites carry observer hooks
 *     (observe.c) that emulate the instruction and skip it.
 * A guest reading CR4 sees TSD set; that is the one visible difference.
 * The counter is the virtual time at the instruction, in TSC ticks of 1 ns.
 */
#include "emu/machine.h"
#include "shared/x86.h"

bool tsc_emulate(struct machine *m, uint64_t rip)
{
    uint8_t b[3] = { 0 };
    if (machine_virt_read(m, rip, b, 3) < 2 || b[0] != 0x0f)
        return false;
    bool rdtscp = b[1] == 0x01 && b[2] == 0xf9;
    if (b[1] != 0x31 && !rdtscp)
        return false;
    uint64_t t = vtime_at(m, rip);
    machine_set_reg(m, UC_X86_REG_RAX, t & 0xffffffffu);
    machine_set_reg(m, UC_X86_REG_RDX, t >> 32);
    if (rdtscp) {
        uc_x86_msr aux = { X86_MSR_TSC_AUX, 0 };
        uc_reg_read(m->uc, UC_X86_REG_MSR, &aux);
        machine_set_reg(m, UC_X86_REG_RCX, aux.value & 0xffffffffu);
    }
    uint64_t next = rip + (rdtscp ? 3 : 2);
    machine_set_reg(m, UC_X86_REG_RIP, next);
    return true;
}

void tsc_force_trap(struct machine *m)
{
    uint64_t cr4 = machine_reg(m, UC_X86_REG_CR4);
    if (!(cr4 & X86_CR4_TSD)) {
        m->guest_tsd = false;
        machine_set_reg(m, UC_X86_REG_CR4, cr4 | X86_CR4_TSD);
    } else if (!m->tsd_forced) {
        m->guest_tsd = true;
    }
    m->tsd_forced = true;
}
