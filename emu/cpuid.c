/*
 * cpuid.c - the CPU identity mmulab shows its guests.
 *
 * QEMU would answer CPUID for its Icelake-Server model; we answer instead,
 * so that a guest sees exactly what this machine supports: what mmu/
 * enforces (NX, SMEP, SMAP, PGE, PAT, PSE-36, 1 GB pages, PCID, INVPCID),
 * MAXPHYADDR 40, SSE up to 4.2, SYSCALL, RDTSCP, FSGSBASE, and the
 * hypervisor bit with our signature at 0x40000000.  Not offered: protection
 * keys (Unicorn gives no way to read PKRU, which the MMU would need), 5-level
 * paging (the boot hand-off enters 4-level long mode), XSAVE/AVX.
 */
#include <string.h>

#include "emu/machine.h"

struct leaf {
    uint32_t leaf, eax, ebx, ecx, edx;
};

static uint32_t str4(const char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

#define B(n) (1u << (n))

static bool lookup(uint32_t leaf, uint32_t subleaf, struct leaf *out)
{
    const struct leaf table[] = {
        { 0x0, 0x7, str4("Genu"), str4("ntel"), str4("ineI") },
        /* Family 6, model 0x55, stepping 7; CLFLUSH line 8 qwords. */
        { 0x1, 0x00050657, 0x00000800,
          B(0) | B(9) | B(13) | B(17) | B(19) | B(20) | B(23) | B(31),  /* SSE3 SSSE3 CX16 PCID SSE4.1 SSE4.2 POPCNT HYPERVISOR */
          B(0) | B(2) | B(3) | B(4) | B(5) | B(6) | B(8) | B(9) | B(11) | B(13) | B(15) | B(16) |
              B(17) | B(19) | B(23) | B(24) | B(25) | B(26) },         /* FPU DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
        { 0x7, 0, B(0) | B(7) | B(10) | B(20), 0, 0 },                 /* FSGSBASE SMEP INVPCID SMAP */
        { 0x40000000, 0x40000000, str4("mmul"), str4("abmm"), str4("ulab") },
        { 0x80000000, 0x80000008, 0, 0, 0 },
        { 0x80000001, 0, 0, B(0), B(11) | B(20) | B(26) | B(27) | B(29) }, /* LAHF; SYSCALL NX 1GB RDTSCP LM */
        { 0x80000008, 0x00003028, 0, 0, 0 },                           /* 40-bit physical, 48-bit linear */
    };
    if (leaf == 0x7 && subleaf != 0)
        return false;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].leaf == leaf) {
            *out = table[i];
            return true;
        }
    }
    return false;
}

int machine_cpuid_hook(uc_engine *uc, void *user)
{
    struct machine *m = user;
    uint32_t leaf = (uint32_t)machine_reg(m, UC_X86_REG_EAX);
    uint32_t subleaf = (uint32_t)machine_reg(m, UC_X86_REG_ECX);
    struct leaf l = { 0 };
    lookup(leaf, subleaf, &l); /* unknown leaves read as zero */
    machine_set_reg(m, UC_X86_REG_RAX, l.eax);
    machine_set_reg(m, UC_X86_REG_RBX, l.ebx);
    machine_set_reg(m, UC_X86_REG_RCX, l.ecx);
    machine_set_reg(m, UC_X86_REG_RDX, l.edx);
    (void)uc;
    return 1; /* we answered: QEMU must not */
}
