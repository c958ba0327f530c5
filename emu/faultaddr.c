/*
 * faultaddr.c - the exact linear address of a page fault, for CR2.
 *
 * Unicorn's fill hook is given the page of the access only.  The SDM wants
 * CR2 to hold "the linear address that generated the exception", so we
 * recompute it at the faulting instruction (RIP; the instruction has not
 * changed any register yet):
 *   - an instruction fetch: RIP itself, or the page's start when the
 *     instruction began on the page before;
 *   - a data access: decode the instruction and compute the addresses it
 *     accesses (explicit memory operands, the stack for PUSH/POP/CALL/RET
 *     and friends, RSI/RDI for string instructions); take the one in the
 *     faulting page, or the page's start for an access that began on the
 *     page before.
 * If nothing matches (an unusual instruction), the page's start is used.
 */
#include <capstone/capstone.h>

#include "emu/machine.h"

static int uc_reg_for(x86_reg r, bool *is32)
{
    static const struct { x86_reg r64, r32; int uc; } map[] = {
        { X86_REG_RAX, X86_REG_EAX, UC_X86_REG_RAX }, { X86_REG_RBX, X86_REG_EBX, UC_X86_REG_RBX },
        { X86_REG_RCX, X86_REG_ECX, UC_X86_REG_RCX }, { X86_REG_RDX, X86_REG_EDX, UC_X86_REG_RDX },
        { X86_REG_RSI, X86_REG_ESI, UC_X86_REG_RSI }, { X86_REG_RDI, X86_REG_EDI, UC_X86_REG_RDI },
        { X86_REG_RBP, X86_REG_EBP, UC_X86_REG_RBP }, { X86_REG_RSP, X86_REG_ESP, UC_X86_REG_RSP },
        { X86_REG_R8, X86_REG_R8D, UC_X86_REG_R8 }, { X86_REG_R9, X86_REG_R9D, UC_X86_REG_R9 },
        { X86_REG_R10, X86_REG_R10D, UC_X86_REG_R10 }, { X86_REG_R11, X86_REG_R11D, UC_X86_REG_R11 },
        { X86_REG_R12, X86_REG_R12D, UC_X86_REG_R12 }, { X86_REG_R13, X86_REG_R13D, UC_X86_REG_R13 },
        { X86_REG_R14, X86_REG_R14D, UC_X86_REG_R14 }, { X86_REG_R15, X86_REG_R15D, UC_X86_REG_R15 },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].r64 == r || map[i].r32 == r) {
            *is32 = map[i].r32 == r;
            return map[i].uc;
        }
    }
    return UC_X86_REG_INVALID;
}

static uint64_t reg_value(struct machine *m, x86_reg r)
{
    bool is32 = false;
    int id = uc_reg_for(r, &is32);
    if (id == UC_X86_REG_INVALID)
        return 0;
    uint64_t v = machine_reg(m, id);
    return is32 ? (uint32_t)v : v;
}

struct candidates {
    uint64_t addr[8];
    unsigned size[8];
    unsigned n;
};

static void add(struct candidates *c, uint64_t addr, unsigned size)
{
    if (c->n < 8) {
        c->addr[c->n] = addr;
        c->size[c->n++] = size ? size : 1;
    }
}

static uint64_t effective(struct machine *m, const cs_insn *in, const x86_op_mem *mem, bool code32)
{
    uint64_t ea = (uint64_t)mem->disp;
    if (mem->base == X86_REG_RIP)
        ea += in->address + in->size;
    else if (mem->base != X86_REG_INVALID)
        ea += reg_value(m, mem->base);
    if (mem->index != X86_REG_INVALID)
        ea += reg_value(m, mem->index) * (uint64_t)mem->scale;
    if (mem->segment == X86_REG_FS)
        ea += machine_reg(m, UC_X86_REG_FS_BASE);
    else if (mem->segment == X86_REG_GS)
        ea += machine_reg(m, UC_X86_REG_GS_BASE);
    return code32 ? (uint32_t)ea : ea;
}

/* The implicit accesses of stack and string instructions. */
static void implicit(struct machine *m, const cs_insn *in, struct candidates *c, bool code32)
{
    uint64_t rsp = machine_reg(m, UC_X86_REG_RSP);
    unsigned w = code32 ? 4 : 8;
    switch (in->id) {
    case X86_INS_PUSH: case X86_INS_PUSHFQ: case X86_INS_PUSHFD: case X86_INS_CALL:
    case X86_INS_ENTER:
        add(c, rsp - w, w);
        break;
    case X86_INS_POP: case X86_INS_POPFQ: case X86_INS_POPFD: case X86_INS_RET:
    case X86_INS_IRETQ: case X86_INS_IRETD: case X86_INS_RETF: case X86_INS_RETFQ:
        add(c, rsp, w);
        break;
    case X86_INS_LEAVE:
        add(c, machine_reg(m, UC_X86_REG_RBP), w);
        break;
    default:
        break;
    }
    /* String instructions: Capstone lists [rsi]/[rdi] as memory operands
     * already; REP forms advance them, and the fault is at their current value. */
}

uint64_t fault_exact_address(struct machine *m, const struct mmu_walk *w, uint64_t rip)
{
    uint64_t page = w->va & ~0xfffull;
    if (w->access == MMU_FETCH)
        return (rip & ~0xfffull) == page ? rip : page;

    uint8_t bytes[16];
    size_t len = machine_virt_read(m, rip, bytes, sizeof bytes);
    csh h;
    if (len == 0 || cs_open(CS_ARCH_X86, m->code32 ? CS_MODE_32 : CS_MODE_64, &h) != CS_ERR_OK)
        return page;
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *in = NULL;
    uint64_t exact = page;
    if (cs_disasm(h, bytes, len, rip, 1, &in) == 1) {
        struct candidates c = { .n = 0 };
        const cs_x86 *x = &in->detail->x86;
        for (unsigned i = 0; i < x->op_count; i++)
            if (x->operands[i].type == X86_OP_MEM && in->id != X86_INS_LEA &&
                in->id != X86_INS_NOP)
                add(&c, effective(m, in, &x->operands[i].mem, m->code32), x->operands[i].size);
        implicit(m, in, &c, m->code32);
        /* On the faulting page; else an access that crossed into it. */
        bool found = false;
        for (unsigned i = 0; i < c.n && !found; i++)
            if ((c.addr[i] & ~0xfffull) == page)
                exact = c.addr[i], found = true;
        for (unsigned i = 0; i < c.n && !found; i++)
            if (c.addr[i] < page && c.addr[i] + c.size[i] > page)
                exact = page, found = true;
        cs_free(in, 1);
    }
    cs_close(&h);
    return exact;
}
