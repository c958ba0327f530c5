/*
 * qemu.c - run a walk case on QEMU's own x86 page walker: Unicorn in its
 * default UC_TLB_CPU mode translates with QEMU's code on the same
 * guest-physical memory image.
 *
 * A one-instruction guest does the access: `mov rax,[rbx]`, `mov [rbx],rax`
 * or, for a fetch, execution starting at the address.  It runs from harness
 * pages mapped through a fixed slot of the case's top-level table, at CPL 0
 * or 3 (contexts saved once, after an IRET took the CPU to CPL 3: Unicorn
 * cannot raise the CPL through its register API).
 *
 * What QEMU translated to is observed, not inferred:
 *   - leaf pages point at physical memory nothing backs; QEMU's access to
 *     it reaches Unicorn's unmapped-memory hook, which is given the
 *     physical address (and stops the run);
 *   - a #PF or #GP reaches the interrupt hook; CR2 is read back;
 *   - an access that lands in the low image (tables shared across levels
 *     can do that) has no address to observe: a fetch is stopped by a code
 *     hook before the bytes there execute, a read returns a value and a
 *     write leaves one, which the caller checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>

#include "emu/selftest/qemu.h"
#include "shared/x86.h"

struct qemu_engine {
    uc_engine *uc;
    bool longmode;
    uint8_t *low;
    uc_context *ctx[2];        /* [0]: CPL 0, [1]: CPL 3 */
    uc_hook hooks[3];
    /* The current run. */
    uint64_t fetch_target;     /* stop before executing here, or ~0 */
    bool reached_target;
    int intno;
    uint64_t unmapped_pa;      /* physical address of an unbacked access, or ~0 */
};

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct qemu_engine *q = user;
    q->intno = (int)intno;
    uc_emu_stop(uc);
}

static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                        void *user)
{
    struct qemu_engine *q = user;
    (void)uc, (void)type, (void)size, (void)value;
    q->unmapped_pa = addr;
    return false;
}

/* Called before each instruction: the fetch of the target has succeeded. */
static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct qemu_engine *q = user;
    (void)size;
    if (addr == q->fetch_target) {
        q->reached_target = true;
        uc_emu_stop(uc);
    }
}

static bool fail(char *err, size_t len, const char *what, uc_err e)
{
    snprintf(err, len, "%s: %s", what, uc_strerror(e));
    return false;
}

/* Flat 64-bit or 32-bit code and data descriptors for CPL 0 and CPL 3. */
static void write_gdt(struct qemu_engine *q)
{
    uint64_t *gdt = (uint64_t *)(q->low + WC_GDT);
    gdt[1] = q->longmode ? 0x00209a0000000000ull : 0x00cf9a000000ffffull; /* 0x08 code, DPL 0 */
    gdt[2] = 0x00cf92000000ffffull;                                      /* 0x10 data, DPL 0 */
    gdt[3] = 0x00cff2000000ffffull;                                      /* 0x1b data, DPL 3 */
    gdt[4] = q->longmode ? 0x0020fa0000000000ull : 0x00cffa000000ffffull; /* 0x23 code, DPL 3 */
}

/* Save a CPL 0 context, IRET to CPL 3 (paging off), save a CPL 3 context. */
static bool make_contexts(struct qemu_engine *q, char *err, size_t len)
{
    uc_engine *uc = q->uc;
    uc_err e;
    write_gdt(q);
    uc_x86_mmr gdtr = { 0, WC_GDT, 5 * 8 - 1, 0 };
    if ((e = uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr)))
        return fail(err, len, "GDTR", e);
    /* Unicorn's reset segment caches are not usable for IRET: load real ones. */
    uint32_t data = 0x10, code = 0x08;
    static const int dsegs[] = { UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES };
    for (unsigned i = 0; !q->longmode && i < 3; i++)
        if ((e = uc_reg_write(uc, dsegs[i], &data)))
            return fail(err, len, "data segment", e);
    if (!q->longmode && (e = uc_reg_write(uc, UC_X86_REG_CS, &code)))
        return fail(err, len, "CS", e);

    for (int i = 0; i < 2; i++)
        if ((e = uc_context_alloc(uc, &q->ctx[i])))
            return fail(err, len, "context", e);
    if ((e = uc_context_save(uc, q->ctx[0])))
        return fail(err, len, "context save", e);

    /* IRET frame: RIP, CS, RFLAGS, RSP, SS (8 or 4 bytes each). */
    uint64_t frame[5] = { WC_HARNESS_CODE, 0x23, 0x2, WC_STACK, 0x1b };
    uint8_t *sp = q->low + WC_STACK - 0x100;
    if (q->longmode) {
        memcpy(sp, frame, sizeof frame);
        q->low[WC_HARNESS_CODE] = 0x48, q->low[WC_HARNESS_CODE + 1] = 0xcf; /* iretq */
    } else {
        for (int i = 0; i < 5; i++)
            memcpy(sp + 4 * i, &frame[i], 4);
        q->low[WC_HARNESS_CODE] = 0xcf; /* iretd */
    }
    uint64_t rsp = WC_STACK - 0x100;
    uc_reg_write(uc, q->longmode ? UC_X86_REG_RSP : UC_X86_REG_ESP, &rsp); /* 32-bit: RSP ignored */
    q->intno = -1;
    if ((e = uc_emu_start(uc, WC_HARNESS_CODE, 0, 0, 1)))
        return fail(err, len, "IRET to CPL 3", e);
    uint64_t cs = 0;
    uc_reg_read(uc, UC_X86_REG_CS, &cs);
    if (q->intno >= 0 || (cs & 3) != 3) {
        snprintf(err, len, "IRET to CPL 3 failed (exception %d, CS 0x%llx)", q->intno,
                 (unsigned long long)cs);
        return false;
    }
    if ((e = uc_context_save(uc, q->ctx[1])))
        return fail(err, len, "context save", e);
    /* Cases bring their own harness code; nothing else may stay in memory. */
    static const uint8_t zero[0x1000];
    for (uint64_t pa = 0; pa < WC_LOW_SIZE; pa += sizeof zero)
        uc_mem_write(uc, pa, zero, sizeof zero);
    return true;
}

struct qemu_engine *qemu_engine_new(bool longmode, char *err, size_t len)
{
    struct qemu_engine *q = calloc(1, sizeof *q);
    uc_err e;
    if (!q) {
        snprintf(err, len, "out of memory");
        return NULL;
    }
    q->longmode = longmode;
    if ((e = uc_open(UC_ARCH_X86, longmode ? UC_MODE_64 : UC_MODE_32, &q->uc))) {
        fail(err, len, "uc_open", e);
        free(q);
        return NULL;
    }
    /* Icelake-Server: SMEP, SMAP, PKU, LA57 and 1 GB pages are all in its CPUID. */
    if ((e = uc_ctl_set_cpu_model(q->uc, UC_CPU_X86_ICELAKE_SERVER))) {
        fail(err, len, "CPU model", e);
        goto bad;
    }
    q->low = mmap(NULL, WC_LOW_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q->low == MAP_FAILED) {
        q->low = NULL;
        snprintf(err, len, "cannot map the low memory");
        goto bad;
    }
    if ((e = uc_mem_map_ptr(q->uc, 0, WC_LOW_SIZE, UC_PROT_ALL, q->low))) {
        fail(err, len, "map low memory", e);
        goto bad;
    }
    if ((e = uc_hook_add(q->uc, &q->hooks[0], UC_HOOK_INTR, (void *)on_interrupt, q, 1, 0)) ||
        (e = uc_hook_add(q->uc, &q->hooks[1], UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, q, 1,
                         0)) ||
        (e = uc_hook_add(q->uc, &q->hooks[2], UC_HOOK_CODE, (void *)on_code, q, 1, 0))) {
        fail(err, len, "hooks", e);
        goto bad;
    }
    q->fetch_target = ~0ull;
    if (!make_contexts(q, err, len))
        goto bad;
    return q;
bad:
    qemu_engine_free(q);
    return NULL;
}

void qemu_engine_free(struct qemu_engine *q)
{
    if (!q)
        return;
    for (int i = 0; i < 2; i++)
        if (q->ctx[i])
            uc_context_free(q->ctx[i]);
    if (q->uc)
        uc_close(q->uc);
    if (q->low)
        munmap(q->low, WC_LOW_SIZE);
    free(q);
}

const uint8_t *qemu_engine_low(const struct qemu_engine *q)
{
    return q->low;
}

void qemu_engine_load(struct qemu_engine *q, const struct walk_case *c, const uint8_t *image)
{
    /* Through Unicorn, not memcpy: QEMU drops code it translated from these pages. */
    for (unsigned i = 0; i < c->npages; i++)
        uc_mem_write(q->uc, c->pages[i], image + c->pages[i], 0x1000);
}

void qemu_engine_zero(struct qemu_engine *q, uint64_t pa, uint64_t len)
{
    static const uint8_t zero[0x1000];
    for (uint64_t off = 0; off < len; off += sizeof zero)
        uc_mem_write(q->uc, pa + off, zero, sizeof zero);
}

/* Load the case's CPU state on top of the saved context. */
static void load_state(struct qemu_engine *q, const struct walk_case *c)
{
    uc_engine *uc = q->uc;
    uc_context_restore(uc, q->ctx[c->cpl == 3]);
    uc_x86_msr efer = { X86_MSR_EFER, c->regs.efer };
    uint64_t cr4 = c->regs.cr4, cr3 = c->regs.cr3, cr0 = c->regs.cr0;
    uint64_t rflags = X86_RFLAGS_FIXED | (c->ac ? X86_RFLAGS_AC : 0);
    uint64_t rbx = c->va, rax = c->data, zero = 0;
    uc_reg_write(uc, UC_X86_REG_MSR, &efer);
    uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
    uc_reg_write(uc, UC_X86_REG_CR3, &cr3);
    uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
    /* A 32-bit Unicorn ignores the 64-bit register names. */
    bool l = q->longmode;
    uc_reg_write(uc, l ? UC_X86_REG_RFLAGS : UC_X86_REG_EFLAGS, &rflags);
    uc_reg_write(uc, l ? UC_X86_REG_RBX : UC_X86_REG_EBX, &rbx);
    uc_reg_write(uc, l ? UC_X86_REG_RAX : UC_X86_REG_EAX, &rax);
    uc_reg_write(uc, l ? UC_X86_REG_RCX : UC_X86_REG_ECX, &zero);
    uc_reg_write(uc, l ? UC_X86_REG_RDX : UC_X86_REG_EDX, &zero);
}

void qemu_engine_run(struct qemu_engine *q, const struct walk_case *c, struct qemu_outcome *out)
{
    uc_engine *uc = q->uc;
    bool pkru = q->longmode && (c->regs.cr4 & X86_CR4_PKE);
    uint64_t code = wc_harness_va(c->mode) + (c->cpl == 3 ? 0x1000 : 0);
    uint64_t va = c->mode >= MMU_MODE_4LEVEL ? c->va : (uint32_t)c->va;
    uint64_t rip;
    size_t count;

    load_state(q, c);
    switch (c->access) {
    case MMU_READ:
        rip = code + (pkru ? WC_CODE_PKRU_READ : WC_CODE_READ);
        count = pkru ? 2 : 1;
        break;
    case MMU_WRITE:
        rip = code + (pkru ? WC_CODE_PKRU_WRITE : WC_CODE_WRITE);
        count = pkru ? 2 : 1;
        break;
    default:
        rip = pkru ? code + WC_CODE_PKRU_FETCH : va;
        count = pkru ? 3 : 1;
        break;
    }
    uc_ctl_flush_tlb(uc); /* the page tables are new */

    q->intno = -1;
    q->unmapped_pa = ~0ull;
    q->reached_target = false;
    q->fetch_target = c->access == MMU_FETCH ? va : ~0ull;
    uc_err e = uc_emu_start(uc, rip, 0, 0, count);
    q->fetch_target = ~0ull;

    memset(out, 0, sizeof *out);
    out->err = e;
    out->intno = q->intno;
    uc_reg_read(uc, UC_X86_REG_CR2, &out->cr2);
    uc_reg_read(uc, q->longmode ? UC_X86_REG_RAX : UC_X86_REG_EAX, &out->rax);
    if (q->intno == X86_VEC_PF) {
        out->kind = QEMU_PF;
    } else if (q->intno == X86_VEC_GP) {
        out->kind = QEMU_GP;
    } else if (q->intno >= 0) {
        out->kind = QEMU_HARNESS;
    } else if (q->unmapped_pa != ~0ull) {
        out->kind = QEMU_OK;
        out->pa = q->unmapped_pa;
    } else if (e != UC_ERR_OK) {
        out->kind = QEMU_HARNESS;
    } else if (c->access == MMU_FETCH && !q->reached_target) {
        out->kind = QEMU_HARNESS;
    } else {
        out->kind = QEMU_OK_LOW; /* landed in the low image: no address to observe */
    }
}
