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
#include <stdlib.h>
#include <string.h>

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

/* The accesses an instruction makes: address, size, and whether it goes
 * through SS (a stack access: #SS rather than #GP when non-canonical). */
struct candidates {
    uint64_t addr[8];
    unsigned size[8];
    bool stack[8];
    unsigned n;
};

static void add(struct candidates *c, uint64_t addr, unsigned size, bool stack)
{
    if (c->n < 8) {
        c->addr[c->n] = addr;
        c->stack[c->n] = stack;
        c->size[c->n++] = size ? size : 1;
    }
}

/* A memory operand addresses SS by an override, or by default when its
 * base is RSP or RBP (SDM Vol. 1 §3.7.4). */
static bool uses_ss(const x86_op_mem *mem)
{
    if (mem->segment != X86_REG_INVALID)
        return mem->segment == X86_REG_SS;
    switch (mem->base) {
    case X86_REG_RSP: case X86_REG_ESP: case X86_REG_RBP: case X86_REG_EBP:
        return true;
    default:
        return false;
    }
}

/* What CR2 needs of an instruction: its memory operands and its kind. */
struct decoded {
    uint64_t rip;
    uint8_t bytes[16];
    uint8_t len;             /* of the instruction; 0: entry unused */
    bool code32;
    unsigned id;             /* x86_insn */
    unsigned nmem;
    x86_op_mem mem[4];
    uint8_t mem_size[4];
};

/* Faults recur at the same instructions (a loop over fresh pages, a
 * memset): decoded instructions are kept, checked against the bytes. */
#define DECODED_CACHE 64

struct fault_decoder {
    csh h;                   /* operand details on */
    struct decoded cache[DECODED_CACHE];
};

static uint64_t effective(struct machine *m, const struct decoded *d, const x86_op_mem *mem)
{
    uint64_t ea = (uint64_t)mem->disp;
    if (mem->base == X86_REG_RIP)
        ea += d->rip + d->len;
    else if (mem->base != X86_REG_INVALID)
        ea += reg_value(m, mem->base);
    if (mem->index != X86_REG_INVALID)
        ea += reg_value(m, mem->index) * (uint64_t)mem->scale;
    if (mem->segment == X86_REG_FS)
        ea += machine_reg(m, UC_X86_REG_FS_BASE);
    else if (mem->segment == X86_REG_GS)
        ea += machine_reg(m, UC_X86_REG_GS_BASE);
    return d->code32 ? (uint32_t)ea : ea;
}

/* The implicit accesses of stack and string instructions. */
static void implicit(struct machine *m, const struct decoded *d, struct candidates *c)
{
    uint64_t rsp = machine_reg(m, UC_X86_REG_RSP);
    unsigned w = d->code32 ? 4 : 8;
    switch (d->id) {
    case X86_INS_PUSH: case X86_INS_PUSHFQ: case X86_INS_PUSHFD: case X86_INS_CALL:
    case X86_INS_ENTER:
        add(c, rsp - w, w, true);
        break;
    case X86_INS_POP: case X86_INS_POPFQ: case X86_INS_POPFD: case X86_INS_RET:
    case X86_INS_IRETQ: case X86_INS_IRETD: case X86_INS_RETF: case X86_INS_RETFQ:
        add(c, rsp, w, true);
        break;
    case X86_INS_LEAVE:
        add(c, machine_reg(m, UC_X86_REG_RBP), w, true);
        break;
    default:
        break;
    }
    /* String instructions: Capstone lists [rsi]/[rdi] as memory operands
     * already; REP forms advance them, and the fault is at their current value. */
}

void fault_exact_free(struct machine *m)
{
    if (m->fdec) {
        cs_close(&m->fdec->h);
        free(m->fdec);
    }
}

/* Decode the instruction at rip, or find it decoded already. */
static const struct decoded *decode(struct machine *m, uint64_t rip)
{
    uint8_t bytes[16];
    size_t len = machine_virt_read(m, rip, bytes, sizeof bytes);
    if (len == 0)
        return NULL;
    if (!m->fdec) {
        m->fdec = calloc(1, sizeof *m->fdec);
        if (!m->fdec)
            return NULL;
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &m->fdec->h) != CS_ERR_OK) {
            free(m->fdec);
            m->fdec = NULL;
            return NULL;
        }
        cs_option(m->fdec->h, CS_OPT_DETAIL, CS_OPT_ON);
    }
    struct decoded *d = &m->fdec->cache[(rip ^ (rip >> 6)) % DECODED_CACHE];
    if (d->len && d->rip == rip && d->code32 == m->code32 && d->len <= len &&
        memcmp(d->bytes, bytes, d->len) == 0)
        return d;

    csh h = m->fdec->h;
    cs_option(h, CS_OPT_MODE, m->code32 ? CS_MODE_32 : CS_MODE_64);
    cs_insn *in = NULL;
    d->len = 0;
    if (cs_disasm(h, bytes, len, rip, 1, &in) != 1)
        return NULL;
    const cs_x86 *x = &in->detail->x86;
    *d = (struct decoded){ .rip = rip, .len = (uint8_t)in->size, .code32 = m->code32,
                           .id = in->id };
    memcpy(d->bytes, bytes, in->size);
    for (unsigned i = 0; i < x->op_count && d->nmem < 4; i++) {
        if (x->operands[i].type == X86_OP_MEM && in->id != X86_INS_LEA && in->id != X86_INS_NOP) {
            d->mem[d->nmem] = x->operands[i].mem;
            d->mem_size[d->nmem++] = x->operands[i].size;
        }
    }
    cs_free(in, 1);
    return d;
}

/* The accesses of the instruction at rip, as it is about to run. */
static bool accesses(struct machine *m, uint64_t rip, struct candidates *c)
{
    const struct decoded *d = decode(m, rip);
    if (!d)
        return false;
    c->n = 0;
    for (unsigned i = 0; i < d->nmem; i++)
        add(c, effective(m, d, &d->mem[i]), d->mem_size[i], uses_ss(&d->mem[i]));
    implicit(m, d, c);
    return true;
}

uint64_t fault_exact_address(struct machine *m, const struct mmu_walk *w, uint64_t rip)
{
    uint64_t page = w->va & ~0xfffull;
    if (w->access == MMU_FETCH)
        return (rip & ~0xfffull) == page ? rip : page;
    struct candidates c;
    if (!accesses(m, rip, &c))
        return page;
    /* On the faulting page; else an access that crossed into it. */
    for (unsigned i = 0; i < c.n; i++)
        if ((c.addr[i] & ~0xfffull) == page)
            return c.addr[i];
    return page;
}

bool fault_on_stack(struct machine *m, const struct mmu_walk *w, uint64_t rip)
{
    uint64_t page = w->va & ~0xfffull;
    struct candidates c;
    if (w->access == MMU_FETCH || !accesses(m, rip, &c))
        return false;
    for (unsigned i = 0; i < c.n; i++)
        if ((c.addr[i] & ~0xfffull) == page ||
            (c.addr[i] < page && c.addr[i] + c.size[i] > page))
            return c.stack[i];
    return false;
}
