/*
 * raise.c - take the CPU from CPL 3 to CPL 0.
 *
 * Unicorn never delivers interrupts through the IDT, and its register API
 * cannot raise the CPL in 64-bit mode (a write to CS or SS changes only the
 * selector; the hidden descriptor caches and QEMU's CPL stay as they are).
 * Restoring a saved CPL 0 context would do it, but then every other piece of
 * architectural state (general, x87, SSE, control and model-specific
 * registers...) would have to be written back, and anything forgotten would
 * be silently wrong.
 *
 * Instead we let QEMU change privilege the architectural way: a far CALL
 * through a 64-bit call gate (SDM Vol. 3A §5.8.3.1), which QEMU executes
 * natively, loading CS from a DPL 0 code descriptor and switching to the
 * stack named by the TSS.  The gate, the descriptor, the TSS and the stack
 * are private: for the duration of one instruction GDTR and TR point at
 * pages of our own, mapped only at linear addresses the guest contract
 * reserves (shared/bootinfo.h), and put back right after.  Nothing the guest
 * can see changes except CS, SS, RSP and RIP, which the caller (delivery or
 * SYSCALL) sets next anyway.
 *
 * Layout of the private pages (RAISE_VA64 = the last 12 KB of the address
 * space; RAISE_VA32 = the last 12 KB below 4 GB, used only to start the far
 * call from 32-bit compatibility-mode code):
 *   page 0 +0x000  64-bit code:  call far [rip + m16:32 at +0x40]
 *          +0x040  m16:32 far pointer (offset ignored, selector 0x1b: the gate)
 *          +0x100  the gate's target: HLT, which ends the run at CPL 0
 *          +0x200  32-bit code:  call far 0x1b:0 (opcode 9A)
 *          +0x800  private GDT: null, 0x08 64-bit code DPL 0, 0x10 data DPL 0,
 *                  0x18 64-bit call gate DPL 3 -> 0x08:target (16 bytes)
 *   page 1         private 64-bit TSS: RSP0 = top of page 2
 *   page 2         private stack
 */
#include <string.h>
#include <sys/mman.h>

#include "emu/machine.h"
#include "shared/bootinfo.h"
#include "shared/x86.h"

#define PAGE_CODE 0
#define PAGE_TSS 1
#define PAGE_STACK 2
#define GDT_OFF 0x800
#define TARGET_OFF 0x100
#define CODE32_OFF 0x200
#define GATE_SEL 0x18

static uint64_t desc_code64_dpl0(void)
{
    /* L = 1, P = 1, DPL = 0, S = 1, type = execute/read, accessed (so QEMU
     * has nothing to write back). */
    return 0x00209b0000000000ull;
}

static void build_pages(uint8_t *p)
{
    uint8_t *code = p + PAGE_CODE * 0x1000;
    uint64_t target = RAISE_VA64 + TARGET_OFF;

    /* call far [rip + disp32]: FF /3, disp relative to the next instruction. */
    code[0] = 0xff, code[1] = 0x1d;
    int32_t disp = 0x40 - 6;
    memcpy(code + 2, &disp, 4);
    uint32_t off = 0;
    uint16_t sel = GATE_SEL | 3;
    memcpy(code + 0x40, &off, 4);
    memcpy(code + 0x44, &sel, 2);
    /* HLT ends uc_emu_start.  (Stopping with `until` at the target instead
     * costs a fresh translation every time: Unicorn translates an exit
     * address anew on each run, and each translation scans QEMU's TLB.) */
    code[TARGET_OFF] = 0xf4;
    /* call far ptr16:32 (compatibility mode only). */
    code[CODE32_OFF] = 0x9a;
    memcpy(code + CODE32_OFF + 1, &off, 4);
    memcpy(code + CODE32_OFF + 5, &sel, 2);

    uint64_t *gdt = (uint64_t *)(code + GDT_OFF);
    gdt[1] = desc_code64_dpl0();
    gdt[2] = 0x00cf93000000ffffull;
    /* 64-bit call gate (type 0xC), P = 1, DPL = 3, selector 0x08. */
    gdt[3] = (target & 0xffff) | (0x08ull << 16) | (0xecull << 40) | (((target >> 16) & 0xffff) << 48);
    gdt[4] = target >> 32;

    uint64_t rsp0 = RAISE_VA64 + (PAGE_STACK + 1) * 0x1000 - 16;
    memcpy(p + PAGE_TSS * 0x1000 + 4, &rsp0, 8);
    uint16_t iomap = 0x68; /* no I/O bitmap */
    memcpy(p + PAGE_TSS * 0x1000 + 0x66, &iomap, 2);
}

bool raise_init(struct machine *m, char *err, size_t errlen)
{
    m->priv = mmap(NULL, RAISE_PAGES * 0x1000, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->priv == MAP_FAILED) {
        m->priv = NULL;
        snprintf(err, errlen, "cannot allocate the privilege-raise pages");
        return false;
    }
    build_pages(m->priv);
    uc_err e = uc_mem_map_ptr(m->uc, RAISE_PA, RAISE_PAGES * 0x1000, UC_PROT_ALL, m->priv);
    if (e) {
        snprintf(err, errlen, "cannot map the privilege-raise pages: %s", uc_strerror(e));
        return false;
    }
    return true;
}

bool raise_owns(const struct machine *m, uint64_t va, uint64_t *pa)
{
    (void)m;
    if (va >= RAISE_VA64)
        *pa = RAISE_PA + (va - RAISE_VA64);
    else if (va >= RAISE_VA32 && va < RAISE_VA32 + 0x1000)
        *pa = RAISE_PA + (va - RAISE_VA32);
    else
        return false;
    return true;
}

/* Is the code segment cs a 32-bit (compatibility-mode) one?  Its
 * descriptor, read from the guest's GDT or LDT, has L = 0. */
bool machine_cs_is_32bit(struct machine *m, uint64_t cs)
{
    uc_x86_mmr table;
    uc_reg_read(m->uc, (cs & 4) ? UC_X86_REG_LDTR : UC_X86_REG_GDTR, &table);
    uint64_t desc = 0;
    if ((cs & ~7ull) + 7 > table.limit ||
        machine_virt_read(m, table.base + (cs & ~7ull), &desc, 8) != 8)
        return false;
    return !(desc & (1ull << 53));
}

bool raise_to_cpl0(struct machine *m)
{
    uc_engine *uc = m->uc;
    uc_x86_mmr gdtr, tr;
    uint64_t cs = machine_reg(m, UC_X86_REG_CS);
    /* The run loop keeps code32 for the CS it last saw (refresh_shadow). */
    bool compat = cs == m->code32_cs ? m->code32 : machine_cs_is_32bit(m, cs);
    uc_reg_read(uc, UC_X86_REG_GDTR, &gdtr);
    uc_reg_read(uc, UC_X86_REG_TR, &tr);

    uc_x86_mmr pgdtr = { 0, RAISE_VA64 + GDT_OFF, 5 * 8 - 1, 0 };
    /* QEMU keeps the descriptor's high dword in flags: type 9 (64-bit TSS,
     * available) at bits 11:8, P at bit 15. */
    uc_x86_mmr ptr = { 0x28, RAISE_VA64 + PAGE_TSS * 0x1000, 0x67, 0x8900 };
    uc_reg_write(uc, UC_X86_REG_GDTR, &pgdtr);
    uc_reg_write(uc, UC_X86_REG_TR, &ptr);

    m->raising = true;
    vtime_arm(m);
    int outer_vector = m->intr_vector;
    m->intr_vector = -1;
    uint64_t start = compat ? RAISE_VA32 + CODE32_OFF : RAISE_VA64;
    uc_err e = uc_emu_start(uc, start, 0, 0, 0);
    m->raising = false;
    uint64_t rip = machine_reg(m, UC_X86_REG_RIP);

    uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
    uc_reg_write(uc, UC_X86_REG_TR, &tr);
    uint64_t now = machine_reg(m, UC_X86_REG_CS);
    int raise_vector = m->intr_vector;
    m->intr_vector = outer_vector;
    if (e != UC_ERR_OK || (now & 3) != 0 || raise_vector >= 0 ||
        rip != RAISE_VA64 + TARGET_OFF + 1) {
        machine_fail(m, "privilege raise failed (%s, CS 0x%llx, RIP 0x%llx, exception %d)",
                     uc_strerror(e), (unsigned long long)now, (unsigned long long)rip,
                     raise_vector);
        return false;
    }
    m->cpl = 0;
    m->cpl_stale = false;
    m->stats.raises++;
    return true;
}
