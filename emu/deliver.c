/*
 * deliver.c - deliver an exception or interrupt through the guest's IDT, as
 * the SDM describes for IA-32e mode (Vol. 3A §6.14, with §6.12 for the
 * checks and §6.15 for double faults).  Unicorn does none of this: it only
 * reports that an exception happened.
 *
 *   1. the 16-byte gate at IDTR.base + 16 * vector, within IDTR.limit;
 *   2. an interrupt (0xE) or trap (0xF) gate, present; for INT n, INT3 and
 *      INTO its DPL must be >= CPL;
 *   3. the target code segment: present, 64-bit, DPL <= CPL; the new CPL is
 *      its DPL;
 *   4. the stack: the IST slot if the gate names one, else RSP0 from the TSS
 *      on a privilege change, else the current RSP; aligned down to 16;
 *   5. push SS, RSP, RFLAGS, CS, RIP and the error code, if any;
 *   6. load CS:RIP from the gate, SS = NULL on a privilege change, clear TF,
 *      NT, RF (and IF for an interrupt gate); CR2 for a #PF.
 * Every system-table read is an implicit supervisor access through our MMU,
 * with its accessed flags set as hardware sets them.  A fault along the way
 * is an exception met while delivering: handled serially, or turned into a
 * #DF, or, during a #DF, into a triple fault that stops the machine.
 */
#include <inttypes.h>
#include <string.h>

#include "emu/log.h"
#include "emu/machine.h"
#include "emu/tlbmodel.h"
#include "shared/x86.h"

/* Exceptions that push an error code (SDM Table 6-1). */
static bool pushes_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
           vector == 29 || vector == 30;
}

bool event_has_error_code(unsigned vector, bool software)
{
    return !software && pushes_error_code(vector);
}

/* Classes for double-fault detection (SDM Table 6-4). */
enum fault_class { BENIGN, CONTRIBUTORY, PAGE_FAULT, DOUBLE_FAULT };

static enum fault_class classify(const struct event *ev)
{
    if (ev->software || ev->external)
        return BENIGN;
    switch (ev->vector) {
    case X86_VEC_DE: case X86_VEC_TS: case X86_VEC_NP: case X86_VEC_SS: case X86_VEC_GP:
        return CONTRIBUTORY;
    case X86_VEC_PF:
        return PAGE_FAULT;
    case X86_VEC_DF:
        return DOUBLE_FAULT;
    default:
        return BENIGN;
    }
}

/* The exception raised by a failed delivery step.  It returns to the
 * instruction that raised the event: a software interrupt did not complete. */
static void set_fault(struct event *out, unsigned vector, uint32_t error_code,
                      const struct event *ev)
{
    *out = (struct event){ .vector = (uint8_t)vector, .has_error_code = pushes_error_code(vector),
                           .error_code = error_code, .rip = ev->rip - ev->insn_len };
}

/* Error code for a selector or IDT entry (SDM Figure 6-6): EXT, IDT, TI. */
static uint32_t sel_error(const struct event *ev, uint32_t index_and_flags)
{
    return index_and_flags | (ev->software ? 0 : 1);
}

/*
 * Read a system table (implicit supervisor access) or write the frame
 * (a supervisor access at the new CPL, with the interrupted RFLAGS.AC).
 */
static bool system_access(struct machine *m, uint64_t va, void *buf, unsigned len, bool write,
                          const struct event *ev, struct event *nested)
{
    uint8_t *p = buf;
    for (unsigned done = 0; done < len;) {
        struct mmu_walk w;
        unsigned n = 0x1000 - ((va + done) & 0xfff);
        if (n > len - done)
            n = len - done;
        enum mmu_access access = write ? MMU_WRITE : MMU_READ;
        unsigned flags = write ? 0 : MMU_IMPLICIT;
        /* Through the TLB model if there is one, as a processor's are. */
        if (!(m->tlbm ? tlbm_access(m, va + done, access, flags, &w)
                      : mmu_translate(&m->mmu, va + done, access, flags, &w))) {
            if (w.fault == MMU_FAULT_GP)
                set_fault(nested, X86_VEC_GP, 0, ev);
            else {
                set_fault(nested, X86_VEC_PF, w.error_code, ev);
                nested->cr2 = w.cr2;
            }
            return false;
        }
        bool ok = write ? machine_phys_write(m, w.pa, p + done, n)
                        : machine_phys_read(m, w.pa, p + done, n);
        if (!ok && !write) /* outside RAM: reads see all-ones, writes vanish */
            memset(p + done, 0xff, n);
        done += n;
    }
    return true;
}

/* Steps 3: the code segment the gate names.  Returns its DPL, or -1. */
static int check_code_segment(struct machine *m, uint16_t sel, unsigned cpl,
                              const struct event *ev, struct event *nested)
{
    if ((sel & ~3u) == 0) {
        set_fault(nested, X86_VEC_GP, sel_error(ev, 0), ev);
        return -1;
    }
    uc_x86_mmr table;
    uc_reg_read(m->uc, (sel & 4) ? UC_X86_REG_LDTR : UC_X86_REG_GDTR, &table);
    uint64_t desc;
    if ((uint64_t)(sel & ~7u) + 7 > table.limit) {
        set_fault(nested, X86_VEC_GP, sel_error(ev, sel & ~3u), ev);
        return -1;
    }
    if (!system_access(m, table.base + (sel & ~7u), &desc, 8, false, ev, nested))
        return -1;
    bool s = desc & (1ull << 44), code = desc & (1ull << 43), p = desc & (1ull << 47);
    bool l = desc & (1ull << 53), d = desc & (1ull << 54), conforming = desc & (1ull << 42);
    unsigned dpl = (unsigned)(desc >> 45) & 3;
    if (!s || !code || !l || d || dpl > cpl) {
        set_fault(nested, X86_VEC_GP, sel_error(ev, sel & ~3u), ev);
        return -1;
    }
    if (!p) {
        set_fault(nested, X86_VEC_NP, sel_error(ev, sel & ~3u), ev);
        return -1;
    }
    return conforming ? (int)cpl : (int)dpl;
}

/* Step 4: the stack to push onto. */
static bool pick_stack(struct machine *m, unsigned ist, unsigned new_cpl, unsigned cpl,
                       const struct event *ev, struct event *nested, uint64_t *rsp)
{
    if (ist == 0 && new_cpl == cpl) {
        *rsp = machine_reg(m, UC_X86_REG_RSP);
    } else {
        uc_x86_mmr tr;
        uc_reg_read(m->uc, UC_X86_REG_TR, &tr);
        /* 64-bit TSS: RSP0-2 at 4, 12, 20; IST1-7 at 36 + 8 (n - 1). */
        uint32_t off = ist ? 36 + 8 * (ist - 1) : 4 + 8 * new_cpl;
        if (off + 7 > tr.limit) {
            set_fault(nested, X86_VEC_TS, sel_error(ev, tr.selector & ~3u), ev);
            return false;
        }
        if (!system_access(m, tr.base + off, rsp, 8, false, ev, nested))
            return false;
    }
    /* A non-canonical stack is #SS (SDM §6.14.4). */
    if ((uint64_t)((int64_t)(*rsp << 16) >> 16) != *rsp) {
        set_fault(nested, X86_VEC_SS, sel_error(ev, 0), ev);
        return false;
    }
    *rsp &= ~0xfull;
    return true;
}

/* Try once; on a fault met while delivering, describe it in *nested. */
static bool try_deliver(struct machine *m, const struct event *ev, struct event *nested)
{
    unsigned cpl = m->cpl;
    uint64_t old_rflags = machine_reg(m, UC_X86_REG_RFLAGS);
    mmu_set_privilege(&m->mmu, cpl, false, 0); /* implicit reads: the CPL does not matter */
    uc_x86_mmr idtr;
    uc_reg_read(m->uc, UC_X86_REG_IDTR, &idtr);

    /* 1. The gate. */
    uint32_t idt_err = sel_error(ev, ev->vector * 8u + 2); /* IDT flag */
    uint8_t gate[16];
    if (ev->vector * 16u + 15 > idtr.limit) {
        set_fault(nested, X86_VEC_GP, idt_err, ev);
        return false;
    }
    if (!system_access(m, idtr.base + ev->vector * 16u, gate, 16, false, ev, nested))
        return false;
    unsigned type = gate[5] & 0xf, dpl = (gate[5] >> 5) & 3, present = gate[5] >> 7;
    unsigned ist = gate[4] & 7;
    uint16_t sel = (uint16_t)(gate[2] | gate[3] << 8);
    uint64_t target = (uint64_t)gate[0] | (uint64_t)gate[1] << 8 | (uint64_t)gate[6] << 16 |
                      (uint64_t)gate[7] << 24 | (uint64_t)gate[8] << 32 |
                      (uint64_t)gate[9] << 40 | (uint64_t)gate[10] << 48 | (uint64_t)gate[11] << 56;

    /* 2. Gate type, privilege for software interrupts, presence. */
    if (type != 0xe && type != 0xf) {
        set_fault(nested, X86_VEC_GP, idt_err, ev);
        return false;
    }
    if (ev->software && dpl < cpl) {
        set_fault(nested, X86_VEC_GP, idt_err, ev);
        return false;
    }
    if (!present) {
        set_fault(nested, X86_VEC_NP, idt_err, ev);
        return false;
    }

    /* 3. The code segment. */
    int new_cpl = check_code_segment(m, sel, cpl, ev, nested);
    if (new_cpl < 0)
        return false;

    /* 4. The stack. */
    uint64_t rsp;
    if (!pick_stack(m, ist, (unsigned)new_cpl, cpl, ev, nested, &rsp))
        return false;

    /* 5. The frame, written only once every slot is known to be writable. */
    uint64_t frame[6] = {
        ev->error_code,
        ev->rip,
        machine_reg(m, UC_X86_REG_CS),
        old_rflags,
        machine_reg(m, UC_X86_REG_RSP),
        machine_reg(m, UC_X86_REG_SS),
    };
    bool with_ec = ev->has_error_code && !ev->software;
    unsigned nslots = with_ec ? 6 : 5;
    uint64_t new_rsp = rsp - 8 * nslots;
    mmu_set_privilege(&m->mmu, (unsigned)new_cpl, old_rflags & X86_RFLAGS_AC, 0);
    /* SS is pushed first, at the highest address: a fault reports the
     * first slot the CPU could not write.  The slots span at most two pages:
     * check the highest slot of each. */
    for (unsigned i = nslots; i-- > 0;) {
        struct mmu_walk w;
        if (i + 1 < nslots && ((new_rsp + 8 * i) >> 12) == ((new_rsp + 8 * (i + 1)) >> 12))
            continue;
        if (!mmu_translate(&m->mmu, new_rsp + 8 * i, MMU_WRITE, MMU_NO_AD, &w)) {
            set_fault(nested, w.fault == MMU_FAULT_GP ? X86_VEC_SS : X86_VEC_PF,
                      w.fault == MMU_FAULT_GP ? sel_error(ev, 0) : w.error_code, ev);
            nested->cr2 = w.cr2;
            return false;
        }
    }
    if (!system_access(m, new_rsp, with_ec ? frame : frame + 1, 8 * nslots, true, ev, nested))
        return false;

    /* 6. The new context.  From CPL 3, QEMU itself lowers the CPL first. */
    if (cpl == 3 && new_cpl == 0 && !raise_to_cpl0(m))
        return true; /* the machine has stopped with a message */
    machine_set_reg(m, UC_X86_REG_CS, (sel & ~3u) | (unsigned)new_cpl);
    machine_cs_loaded64(m, (uint16_t)((sel & ~3u) | (unsigned)new_cpl));
    if ((unsigned)new_cpl != cpl)
        machine_set_reg(m, UC_X86_REG_SS, (unsigned)new_cpl);
    uint64_t rflags = old_rflags & ~(X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_VM);
    if (type == 0xe)
        rflags &= ~X86_RFLAGS_IF;
    machine_set_reg(m, UC_X86_REG_RFLAGS, rflags);
    machine_set_reg(m, UC_X86_REG_RSP, new_rsp);
    machine_set_reg(m, UC_X86_REG_RIP, target);
    if (ev->vector == X86_VEC_PF && !ev->software && !ev->external)
        machine_set_cr2(m, ev->cr2);
    m->cpl = (uint8_t)new_cpl;
    m->cpl_stale = false;
    return true;
}

static const char *vector_name(unsigned v)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
        "#SS", "#GP", "#PF", "?", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    };
    return v < 32 && names[v] ? names[v] : "INT";
}

void deliver_event(struct machine *m, const struct event *first)
{
    struct event ev = *first, nested;
    struct event chain[4]; /* for the triple-fault message: at most #X, #PF, #DF */
    for (unsigned depth = 0;; depth++) {
        if (depth < 4)
            chain[depth] = ev;
        machine_event(m, "deliver %s vector %u, error code 0x%x, RIP 0x%" PRIx64 "%s",
                      ev.external ? "interrupt" : ev.software ? "software interrupt" : "exception",
                      ev.vector, ev.error_code, ev.rip, depth ? " (while delivering)" : "");
        if (try_deliver(m, &ev, &nested))
            return;
        /* A fault while delivering (SDM §6.15, Tables 6-4 and 6-5). */
        enum fault_class a = classify(&ev), b = classify(&nested);
        if (b == PAGE_FAULT) /* CR2 is loaded when the #PF is detected, even if it becomes #DF */
            machine_set_cr2(m, nested.cr2);
        if (a == DOUBLE_FAULT) {
            char text[128];
            int used = 0;
            for (unsigned i = 0; i <= depth && i < 4; i++)
                used += snprintf(text + used, sizeof text - (size_t)used, "%s(0x%x) -> ",
                                 vector_name(chain[i].vector), chain[i].error_code);
            snprintf(m->stop_message, sizeof m->stop_message,
                     "triple fault: %s while delivering the double fault; chain: %s%s",
                     vector_name(nested.vector), text, vector_name(nested.vector));
            m->stop = STOP_TRIPLE_FAULT;
            m->exit_status = EXIT_TRIPLE_FAULT;
            return;
        }
        if ((a == CONTRIBUTORY && b == CONTRIBUTORY) ||
            (a == PAGE_FAULT && (b == CONTRIBUTORY || b == PAGE_FAULT))) {
            set_fault(&ev, X86_VEC_DF, 0, first);
        } else {
            ev = nested; /* handled serially: the second is delivered instead */
        }
    }
}
