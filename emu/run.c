/*
 * run.c - the run loop.
 *
 * Each turn: let the timer catch up with virtual time and take an interrupt
 * if one is due and the CPU accepts it; otherwise run the guest with
 * uc_emu_start until something needs us (a refused translation, an
 * exception, SYSCALL, HLT, a deadline, the exit port), then do what the CPU
 * would have done (deliver through the IDT, enter the kernel, idle until the
 * timer fires) and go round again.
 *
 * Interrupts are taken only between instructions, with RFLAGS.IF = 1 and
 * not in the shadow of STI/MOV SS; while one waits for IF, the block hook
 * checks IF at every block (QEMU ends a block after every instruction that
 * can set it).  Deadlines (the timer's expiry, --max-insns) are met exactly:
 * the block hook stops in front of the block that would cross one, and the
 * loop steps to the deadline's instruction with an `until` address.
 */
#include <inttypes.h>

#include "emu/dev/dev.h"
#include "emu/gdbtarget.h"
#include "emu/machine.h"
#include "shared/x86.h"

void machine_request_stop(struct machine *m, enum machine_stop why, int status)
{
    if (m->stop == STOP_NONE) {
        m->stop = why;
        m->exit_status = status;
    }
    uc_emu_stop(m->uc);
}

/* After an exit: bring the shadow state up to date with Unicorn. */
static void refresh_shadow(struct machine *m)
{
    machine_sync_cs(m);
    machine_sync_paging(m);
    m->desc_stale = true;
}

static uint64_t next_deadline(const struct machine *m)
{
    uint64_t d = apic_next_event(m);
    /* --max-insns counts executed instructions: idle time shifts it. */
    if (m->cfg.max_insns && m->cfg.max_insns + m->stats.idle < d)
        d = m->cfg.max_insns + m->stats.idle;
    return d;
}

/* The exception Unicorn reported through its interrupt hook. */
/* INT n, INT3, INTO and INT1 leave RIP past themselves: the length of the
 * instruction whose bytes end just before RIP, or 0 if none does. */
static unsigned software_insn_len(struct machine *m, unsigned v, uint64_t rip)
{
    uint8_t b[2] = { 0 };
    if (machine_virt_read(m, rip - 2, b, 2) != 2)
        return 0;
    if (b[0] == 0xcd && b[1] == v)
        return 2;
    if ((v == 3 && b[1] == 0xcc) || (v == 4 && b[1] == 0xce) || (v == 1 && b[1] == 0xf1))
        return 1;
    return 0;
}

/* The exception Unicorn reported through its interrupt hook. */
static void deliver_unicorn_exception(struct machine *m, uint64_t rip)
{
    unsigned v = (unsigned)m->intr_vector;
    /* A user-mode RDTSC trapped by the CR4.TSD we keep set (tsc.c). */
    if (v == X86_VEC_GP && m->cpl == 3 && !m->guest_tsd && tsc_emulate(m, rip)) {
        machine_forget_exception(m);
        m->vt.now++; /* the RDTSC ran, emulated */
        return;
    }
    uint32_t ec = 0;
    bool software;
    unsigned len = software_insn_len(m, v, rip);
    if (!machine_last_exception(m, &ec, &software)) /* QEMU's record unknown: the bytes */
        software = len != 0 || v >= 32;
    machine_forget_exception(m); /* we deliver it; QEMU must not remember it */
    struct event ev = {
        .vector = (uint8_t)v,
        .software = software,
        .has_error_code = event_has_error_code(v, software),
        .error_code = software ? 0 : ec,
        .rip = rip, /* the faulting instruction, or past a trap */
        .insn_len = (uint8_t)(software ? (len ? len : 2) : 0),
    };
    if (v < 32 && !software)
        m->stats.exceptions[v]++;
    else
        m->stats.software_interrupts++;
    deliver_event(m, &ev);
}

/* The fault our fill hook refused. */
static void deliver_fill_fault(struct machine *m, uint64_t rip)
{
    const struct mmu_walk *w = &m->fault_walk;
    struct event ev = { .rip = rip };
    if (w->fault == MMU_FAULT_GP) {
        /* Non-canonical: #SS(0) for a stack reference, else #GP(0). */
        ev.vector = fault_on_stack(m, w, rip) ? X86_VEC_SS : X86_VEC_GP;
        ev.has_error_code = true;
    } else {
        ev.vector = X86_VEC_PF;
        ev.has_error_code = true;
        ev.error_code = w->error_code;
        ev.cr2 = fault_exact_address(m, w, rip);
    }
    m->stats.exceptions[ev.vector]++;
    deliver_event(m, &ev);
}

static bool after_hlt(struct machine *m, uint64_t rip)
{
    uint8_t b = 0;
    return machine_virt_read(m, rip - 1, &b, 1) == 1 && b == 0xf4;
}

/* Take a due interrupt if the CPU accepts one now.  True if one was taken. */
static bool take_interrupt(struct machine *m, bool *waiting)
{
    int v = apic_pending(m);
    *waiting = false;
    if (v < 0)
        return false;
    uint64_t rflags = machine_reg(m, UC_X86_REG_RFLAGS);
    if (!(rflags & X86_RFLAGS_IF) || (!m->halted && vtime_in_interrupt_shadow(m))) {
        *waiting = true;
        return false;
    }
    apic_accept(m, v);
    m->halted = false;
    m->stats.interrupts++;
    struct event ev = { .vector = (uint8_t)v, .external = true,
                        .rip = machine_reg(m, UC_X86_REG_RIP) };
    deliver_event(m, &ev);
    return true;
}

static void handle_exit(struct machine *m, uc_err e, uint64_t rip)
{
    if (m->fill_fault && e == UC_ERR_EXCEPTION) {
        deliver_fill_fault(m, rip);
    } else if (m->intr_vector >= 0) {
        deliver_unicorn_exception(m, rip);
    } else if (m->syscall_pending) {
        syscall_enter(m);
    } else if (m->vt.stopped_at_block) {
        /* In front of a block: a deadline inside it, or an interrupt that IF
         * now admits.  Step exactly to the deadline's instruction, unless
         * the interrupt can be taken here (while one waits for IF with IF
         * still 0, a timer expiry is a deadline like any other). */
        uint64_t k = m->vt.deadline - m->vt.now;
        bool irq_ready = m->vt.poll_irq && (machine_reg(m, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF);
        if (!irq_ready && k > 0) {
            m->step_until = vtime_insn_address(m, rip, (unsigned)k);
            m->stepping = true;
            /* With the virtual TLB, Unicorn honours `until` only in code it
             * translates after being told: drop the block already translated. */
            uc_ctl_remove_cache(m->uc, rip, rip + m->vt.stopped_size);
        }
    } else if (e == UC_ERR_INSN_INVALID) {
        /* Unicorn stops on an undefined opcode instead of raising #UD. */
        struct event ev = { .vector = X86_VEC_UD, .rip = rip };
        m->stats.exceptions[X86_VEC_UD]++;
        deliver_event(m, &ev);
    } else if (e == UC_ERR_OK && m->gdb && gdbtarget_owns_exit(m)) {
        /* A watchpoint: the debugger stopped the run after the accessing instruction. */
    } else if (e == UC_ERR_OK && !m->stepping && after_hlt(m, rip)) {
        m->halted = true;
    } else if (e != UC_ERR_OK) {
        machine_fail(m, "the CPU stopped at 0x%" PRIx64 ": %s", rip, uc_strerror(e));
    }
}

int machine_run(struct machine *m)
{
    while (m->stop == STOP_NONE) {
        if (m->gdb && gdbtarget_traps(m)) /* a step done, a watchpoint hit: before interrupts */
            break;
        apic_advance(m, m->vt.now);
        if (m->cfg.max_insns && m->vt.now - m->stats.idle >= m->cfg.max_insns) {
            machine_request_stop(m, STOP_INSN_LIMIT, EXIT_INSN_LIMIT);
            snprintf(m->stop_message, sizeof m->stop_message,
                     "instruction limit reached (%" PRIu64 " instructions)",
                     m->vt.now - m->stats.idle);
            break;
        }
        bool waiting;
        if (take_interrupt(m, &waiting))
            continue;
        if (m->stop != STOP_NONE)
            break;
        if (m->gdb && gdbtarget_breaks(m)) /* a breakpoint at RIP, Ctrl-C */
            break;
        if (m->halted) {
            /* Idle: virtual time jumps to the next timer expiry. */
            uint64_t t = apic_next_event(m);
            if (!(machine_reg(m, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF) || t == UINT64_MAX) {
                machine_request_stop(m, STOP_HALTED, EXIT_HALTED);
                snprintf(m->stop_message, sizeof m->stop_message,
                         "HLT with %s: nothing can wake the CPU",
                         t == UINT64_MAX ? "no timer armed" : "interrupts disabled");
                break;
            }
            machine_event(m, "idle until %" PRIu64, t);
            m->stats.idle += t - m->vt.now;
            m->vt.now = t;
            continue;
        }

        /* An interrupt that waits for IF: check at every block; in an
         * interrupt shadow, run exactly one more instruction first. */
        bool if_set = machine_reg(m, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF;
        m->vt.poll_irq = waiting && !if_set;
        m->vt.deadline = next_deadline(m);
        if (waiting && if_set)
            m->vt.deadline = m->vt.now + 1; /* the shadow lasts one instruction */

        m->fill_fault = false;
        m->intr_vector = -1;
        m->syscall_pending = false;
        vtime_begin_run(&m->vt);
        m->vt.precise = m->stepping;
        vtime_arm(m);
        uint64_t rip = machine_reg(m, UC_X86_REG_RIP);
        uc_err e = uc_emu_start(m->uc, rip, m->stepping ? m->step_until : 0, 0, 0);
        rip = machine_reg(m, UC_X86_REG_RIP);
        if (m->vt.stopped_at_block && rip != m->vt.stopped_va) {
            /* QEMU stores RIP only when it leaves a block, so RIP may show an
             * earlier block: one that chained to this one by a direct jump,
             * or (Unicorn 2.1.1, with access and code hooks both present, as
             * in TLB precise mode) the last access hook's instruction.  The
             * block did not run: RIP is its start. */
            rip = m->vt.stopped_va;
            machine_set_reg(m, UC_X86_REG_RIP, rip);
        }
        vtime_settle(m, rip);
        bool stepped = m->stepping;
        m->vt.precise = false;
        m->stepping = false;
        m->stats.exits++;
        if (m->stop == STOP_EXIT_PORT)
            m->vt.now = m->exit_time; /* what ran after the write does not count */
        if (m->stop != STOP_NONE)
            break;
        refresh_shadow(m);
        if (stepped && e == UC_ERR_OK && rip == m->step_until && m->intr_vector < 0 &&
            !m->fill_fault && !m->syscall_pending)
            continue; /* arrived at the deadline */
        handle_exit(m, e, rip);
    }
    return m->exit_status;
}
