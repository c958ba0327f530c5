/*
 * observe.c - the privileged instructions the MMU must know about.
 *
 * QEMU executes MOV to CR0/CR3/CR4, WRMSR, INVLPG, INVPCID, LGDT/LIDT/LLDT/
 * LTR and IRETQ/SYSRETQ natively, and Unicorn has no hook for them.  Only
 * the kernel (CPL 0) can execute them, so at load time we find every one in
 * the kernel's executable segments (a Capstone linear sweep) and put a code
 * hook on each site, and on nothing else: the hooks cost nothing elsewhere.
 *
 * A hook runs just before its instruction.  What it does:
 *   INVLPG      tell the MMU now (an invalidation may always happen early);
 *               and because QEMU caches large pages as 4 KB entries and its
 *               INVLPG drops one 4 KB entry, flush QEMU's whole TLB when the
 *               address lies in a 2 MB or 1 GB page; with a TLB model, the
 *               model invalidates (tlbmodel.c keeps QEMU's TLB in step);
 *   MOV CRn, WRMSR
 *               mark the paging registers stale; they are re-read from
 *               Unicorn (authoritative, after the instruction ran) at the
 *               next block or translation, whichever comes first (the TLB
 *               model hears of CR0/CR4 changes then, machine_sync_paging);
 *               a MOV to CR3 tells the TLB model now, with the source
 *               operand (bit 63: CR4.PCIDE's no-flush bit), because loading
 *               the same value again still invalidates;
 *   INVPCID     emulated and skipped: QEMU 5.0 (Unicorn 2.1) raises #UD for
 *               it although our CPUID offers it;
 *   LGDT, ...   mark the cached descriptor-table bases stale;
 *   IRET, SYSRET, far RET
 *               mark the CPL stale (it may drop to 3, and CS may become a
 *               32-bit segment);
 *   RDTSC, RDTSCP
 *               emulate with virtual time and skip (tsc.c).
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/observe.h"
#include "emu/tlbmodel.h"
#include "shared/x86.h"

static const char *const kind_names[OBS_COUNT] = {
    [OBS_INVLPG] = "invlpg", [OBS_MOV_CR] = "mov to CRn", [OBS_WRMSR] = "wrmsr",
    [OBS_INVPCID] = "invpcid", [OBS_DESCRIPTOR] = "lgdt/lidt/lldt/ltr",
    [OBS_PRIVILEGE] = "iret/sysret/far ret", [OBS_RDTSC] = "rdtsc",
};

const char *observe_kind_name(enum observe_kind k)
{
    return k < OBS_COUNT ? kind_names[k] : "?";
}

/* Capstone register -> Unicorn register, for addressing. */
static int uc_reg_of(x86_reg r)
{
    static const struct { x86_reg cs; int uc; } map[] = {
        { X86_REG_RAX, UC_X86_REG_RAX }, { X86_REG_RBX, UC_X86_REG_RBX },
        { X86_REG_RCX, UC_X86_REG_RCX }, { X86_REG_RDX, UC_X86_REG_RDX },
        { X86_REG_RSI, UC_X86_REG_RSI }, { X86_REG_RDI, UC_X86_REG_RDI },
        { X86_REG_RBP, UC_X86_REG_RBP }, { X86_REG_RSP, UC_X86_REG_RSP },
        { X86_REG_R8, UC_X86_REG_R8 }, { X86_REG_R9, UC_X86_REG_R9 },
        { X86_REG_R10, UC_X86_REG_R10 }, { X86_REG_R11, UC_X86_REG_R11 },
        { X86_REG_R12, UC_X86_REG_R12 }, { X86_REG_R13, UC_X86_REG_R13 },
        { X86_REG_R14, UC_X86_REG_R14 }, { X86_REG_R15, UC_X86_REG_R15 },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].cs == r)
            return map[i].uc;
    return UC_X86_REG_INVALID;
}

/* The linear address of an INVLPG operand at this moment. */
static uint64_t effective_address(struct machine *m, const struct observe_site *s)
{
    uint64_t ea = (uint64_t)s->disp;
    if (s->base == X86_REG_RIP)
        ea += s->va + s->size;
    else if (s->base != X86_REG_INVALID)
        ea += machine_reg(m, uc_reg_of(s->base));
    if (s->index != X86_REG_INVALID)
        ea += machine_reg(m, uc_reg_of(s->index)) * (uint64_t)s->scale;
    if (s->segment == X86_REG_FS)
        ea += machine_reg(m, UC_X86_REG_FS_BASE);
    else if (s->segment == X86_REG_GS)
        ea += machine_reg(m, UC_X86_REG_GS_BASE);
    return ea;
}

static const struct observe_site *find_site(const struct machine *m, uint64_t va)
{
    size_t lo = 0, hi = m->nsites;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->sites[mid].va < va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->nsites && m->sites[lo].va == va ? &m->sites[lo] : NULL;
}

/* Raise an exception at the instruction of a site, from its hook: deliver
 * it now and let execution go on at the handler (writing RIP in a code hook
 * redirects it; the instruction does not run).  CPL 0 only: from CPL 3 the
 * delivery would need a privilege change, which cannot run inside a hook. */
static void raise_at(struct machine *m, const struct observe_site *s, unsigned vector,
                     uint32_t error_code, uint64_t cr2)
{
    struct event ev = { .vector = (uint8_t)vector, .has_error_code = true,
                        .error_code = error_code, .cr2 = cr2, .rip = s->va };
    vtime_cut_block(m, s->va);
    m->stats.exceptions[vector]++;
    deliver_event(m, &ev);
    if (m->stop != STOP_NONE)
        uc_emu_stop(m->uc);
}

/*
 * INVPCID type, [descriptor] (SDM Vol. 2A): read the 16-byte descriptor
 * (PCID in bits 11:0 of the first quadword, a linear address in the second)
 * as the instruction would, check it, invalidate, and skip the instruction.
 * Without a model QEMU's whole TLB is flushed (it does not know PCIDs: it
 * holds the current address space only, which any type may invalidate).
 */
static void invpcid(struct machine *m, const struct observe_site *s)
{
    if (m->cpl != 0 || s->src == X86_REG_INVALID)
        return; /* left to QEMU (#UD) */
    if (m->regs_stale)
        machine_sync_paging(m);
    uint64_t type = machine_reg(m, uc_reg_of(s->src)), ea = effective_address(m, s);
    uint64_t desc[2];
    for (unsigned done = 0; done < sizeof desc;) {
        uint64_t a = ea + done;
        unsigned n = 0x1000 - (unsigned)(a & 0xfff);
        if (n > sizeof desc - done)
            n = (unsigned)sizeof desc - done;
        struct mmu_walk w;
        unsigned flags = machine_access_flags(m, a, MMU_READ);
        bool ok = m->tlbm ? tlbm_access(m, a, MMU_READ, flags, &w)
                          : mmu_translate(&m->mmu, a, MMU_READ, flags, &w);
        if (!ok) {
            if (w.fault == MMU_FAULT_PF)
                raise_at(m, s, X86_VEC_PF, w.error_code, w.cr2);
            else
                raise_at(m, s, X86_VEC_GP, 0, 0);
            return;
        }
        if (!machine_phys_read(m, w.pa, (uint8_t *)desc + done, n))
            memset((uint8_t *)desc + done, 0xff, n);
        done += n;
    }
    machine_event(m, "invpcid type %" PRIu64 ", PCID 0x%" PRIx64 ", address 0x%" PRIx64, type,
                  desc[0], desc[1]);
    if (!tlb_invpcid(&m->mmu, type > 3 ? 4 : (unsigned)type, desc[0], desc[1])) {
        raise_at(m, s, X86_VEC_GP, 0, 0);
        return;
    }
    if (m->tlbm)
        m->tlbm->c.invpcid++;
    else
        uc_ctl_flush_tlb(m->uc);
    machine_set_reg(m, UC_X86_REG_RIP, s->va + s->size);
    vtime_cut_block(m, s->va + s->size);
}

static void on_site(uc_engine *uc, uint64_t va, uint32_t size, void *user)
{
    struct machine *m = user;
    const struct observe_site *s = find_site(m, va);
    (void)uc, (void)size;
    if (!s || m->raising)
        return;
    m->stats.observed[s->kind]++;
    switch (s->kind) {
    case OBS_INVLPG: {
        uint64_t ea = effective_address(m, s);
        struct mmu_walk w;
        machine_event(m, "invlpg 0x%" PRIx64, ea);
        if (m->tlbm)
            tlbm_invlpg(m, ea);
        mmu_set_privilege(&m->mmu, 0, false, 0);
        if (mmu_translate(&m->mmu, ea, MMU_READ, MMU_DEBUG, &w) && w.page_size > X86_PAGE_4K)
            uc_ctl_flush_tlb(m->uc);
        break;
    }
    case OBS_MOV_CR:
        if (m->tlbm && s->cr == 3 && s->src != X86_REG_INVALID)
            tlbm_mov_cr3(m, machine_reg(m, uc_reg_of(s->src)));
        m->regs_stale = true;
        vtime_attend(&m->vt); /* the block hook syncs */
        break;
    case OBS_WRMSR:
        m->regs_stale = true;
        vtime_attend(&m->vt);
        break;
    case OBS_INVPCID:
        invpcid(m, s);
        break;
    case OBS_DESCRIPTOR:
        m->desc_stale = true;
        break;
    case OBS_PRIVILEGE:
        m->cpl_stale = true; /* until the instruction is done: the next block */
        vtime_attend(&m->vt);
        break;
    case OBS_RDTSC:
        /* Emulated and skipped: QEMU leaves the block here and goes on in a
         * new one at the next instruction, so the rest of this block will
         * not run (and is not counted). */
        if (tsc_emulate(m, va))
            vtime_cut_block(m, va + s->size);
        break;
    default:
        break;
    }
}

/* Classify one decoded instruction; false if it is not of interest. */
static bool classify(const cs_insn *in, struct observe_site *s)
{
    const cs_x86 *x = &in->detail->x86;
    switch (in->id) {
    case X86_INS_INVLPG:
        s->kind = OBS_INVLPG;
        if (x->op_count == 1 && x->operands[0].type == X86_OP_MEM) {
            const x86_op_mem *mem = &x->operands[0].mem;
            s->base = mem->base, s->index = mem->index, s->scale = mem->scale;
            s->disp = mem->disp, s->segment = mem->segment;
        }
        return true;
    case X86_INS_MOV:
        /* MOV to a control register: the destination is CRn. */
        if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
            x->operands[0].reg >= X86_REG_CR0 && x->operands[0].reg <= X86_REG_CR15) {
            s->kind = OBS_MOV_CR;
            s->cr = (uint8_t)(x->operands[0].reg - X86_REG_CR0);
            if (x->operands[1].type == X86_OP_REG)
                s->src = x->operands[1].reg;
            return true;
        }
        return false;
    case X86_INS_WRMSR:
        s->kind = OBS_WRMSR;
        return true;
    case X86_INS_INVPCID:
        s->kind = OBS_INVPCID;
        if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
            x->operands[1].type == X86_OP_MEM) {
            const x86_op_mem *mem = &x->operands[1].mem;
            s->src = x->operands[0].reg;
            s->base = mem->base, s->index = mem->index, s->scale = mem->scale;
            s->disp = mem->disp, s->segment = mem->segment;
        }
        return true;
    case X86_INS_LGDT: case X86_INS_LIDT: case X86_INS_LLDT: case X86_INS_LTR:
        s->kind = OBS_DESCRIPTOR;
        return true;
    case X86_INS_RDTSC: case X86_INS_RDTSCP:
        s->kind = OBS_RDTSC;
        return true;
    case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
    case X86_INS_SYSRET: case X86_INS_SYSRETQ: case X86_INS_RETF: case X86_INS_RETFQ:
        s->kind = OBS_PRIVILEGE;
        return true;
    default:
        return false;
    }
}

static int by_address(const void *a, const void *b)
{
    const struct observe_site *x = a, *y = b;
    return x->va < y->va ? -1 : x->va > y->va;
}

bool observe_scan(struct machine *m, const uint8_t *code, uint64_t va, uint64_t len, char *err,
                  size_t errlen)
{
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        snprintf(err, errlen, "cannot start Capstone");
        return false;
    }
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *in = cs_malloc(h);
    const uint8_t *p = code;
    size_t left = len;
    uint64_t addr = va;
    size_t first = m->nsites;
    while (left > 0) {
        if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
            p++, left--, addr++; /* data or padding: resynchronise */
            continue;
        }
        struct observe_site s = { .va = in->address, .size = in->size,
                                  .base = X86_REG_INVALID, .index = X86_REG_INVALID,
                                  .segment = X86_REG_INVALID, .src = X86_REG_INVALID };
        if (!classify(in, &s))
            continue;
        if (m->nsites == m->sites_cap) {
            size_t cap = m->sites_cap ? 2 * m->sites_cap : 64;
            struct observe_site *n = realloc(m->sites, cap * sizeof *n);
            if (!n) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            m->sites = n, m->sites_cap = cap;
        }
        m->sites[m->nsites++] = s;
    }
    cs_free(in, 1);
    cs_close(&h);
    for (size_t i = first; i < m->nsites; i++) {
        uc_hook hh;
        /* One hook per site: Unicorn only instruments code inside a hook's range. */
        uc_err e = uc_hook_add(m->uc, &hh, UC_HOOK_CODE, (void *)on_site, m, m->sites[i].va,
                               m->sites[i].va);
        if (e) {
            snprintf(err, errlen, "cannot hook 0x%" PRIx64 ": %s", m->sites[i].va, uc_strerror(e));
            return false;
        }
    }
    if (m->nsites) /* a kernel without sites has no array (qsort wants one) */
        qsort(m->sites, m->nsites, sizeof *m->sites, by_address);
    return true;
fail:
    cs_free(in, 1);
    cs_close(&h);
    return false;
}
