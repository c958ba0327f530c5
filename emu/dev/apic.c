/*
 * apic.c - the local APIC (xAPIC, memory-mapped at 0xfee00000), reduced to
 * what a uniprocessor kernel uses: ID, version, task priority, EOI, spurious
 * vector (software enable), in-service and request registers, and the timer
 * (LVT timer, initial and current count, divide configuration; one-shot and
 * periodic).  SDM Vol. 3A §11.5.4 describes the timer.
 *
 * The timer counts virtual time: its input clock is VTIME_APIC_HZ (100 MHz,
 * 10 instructions per tick) divided as the divide configuration says.  The
 * run loop asks for the next expiry as a deadline, so the interrupt arrives
 * at an exact instruction, run after run.
 */
#include <inttypes.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"

#define INSNS_PER_TICK (VTIME_TSC_HZ / VTIME_APIC_HZ)

/* Divide configuration (bits 0, 1 and 3) -> divisor (SDM Figure 11-10). */
static unsigned divisor(uint32_t dcr)
{
    static const unsigned div[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
    return div[(dcr & 3) | ((dcr >> 1) & 4)];
}

static uint64_t ticks_to_insns(const struct apic *a, uint64_t ticks)
{
    return ticks * divisor(a->dcr) * INSNS_PER_TICK;
}

static void set_bit(uint32_t *v, unsigned n)
{
    v[n / 32] |= 1u << (n % 32);
}

static int highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

static void start_timer(struct machine *m)
{
    struct apic *a = &m->apic;
    if (a->icr == 0) {
        a->period = 0;
        a->expiry = UINT64_MAX;
        return;
    }
    a->period = ticks_to_insns(a, a->icr);
    a->start = m->vt.now;
    a->expiry = a->start + a->period;
    /* Armed in the middle of a run: the run must stop in time for it. */
    if (a->expiry < m->vt.deadline) {
        m->vt.deadline = a->expiry;
        vtime_arm(m);
    }
}

uint64_t apic_next_event(const struct machine *m)
{
    return m->apic.expiry;
}

void apic_advance(struct machine *m, uint64_t now)
{
    struct apic *a = &m->apic;
    while (a->expiry <= now) {
        if (!(a->lvt_timer & APIC_LVT_MASKED) && (a->svr & APIC_SVR_ENABLE)) {
            unsigned v = a->lvt_timer & APIC_LVT_VECTOR;
            if (v >= 16)
                set_bit(a->irr, v);
            machine_event(m, "apic: timer expired, vector %u", v);
        }
        if (a->lvt_timer & APIC_LVT_PERIODIC) {
            a->start = a->expiry;
            a->expiry += a->period;
        } else {
            a->expiry = UINT64_MAX; /* one-shot: the count stays at 0 */
            a->start = now;
            a->period = 0;
        }
    }
}

int apic_pending(const struct machine *m)
{
    const struct apic *a = &m->apic;
    if (!(a->svr & APIC_SVR_ENABLE))
        return -1;
    int v = highest(a->irr);
    if (v < 0)
        return -1;
    /* Only a higher priority class than the task priority and than the
     * highest interrupt in service may interrupt (SDM §11.8.3). */
    int isr = highest(a->isr);
    unsigned ppr = a->tpr >> 4;
    if (isr >= 0 && (unsigned)isr >> 4 > ppr)
        ppr = (unsigned)isr >> 4;
    return ((unsigned)v >> 4) > ppr ? v : -1;
}

void apic_accept(struct machine *m, int v)
{
    struct apic *a = &m->apic;
    a->irr[v / 32] &= ~(1u << (v % 32));
    set_bit(a->isr, (unsigned)v);
}

static uint32_t current_count(const struct machine *m)
{
    const struct apic *a = &m->apic;
    if (a->expiry == UINT64_MAX || a->period == 0)
        return 0;
    uint64_t left = a->expiry > m->vt.now ? a->expiry - m->vt.now : 0;
    return (uint32_t)(left / (divisor(a->dcr) * INSNS_PER_TICK));
}

uint64_t apic_read(struct machine *m, uint64_t offset, unsigned size)
{
    const struct apic *a = &m->apic;
    (void)size;
    m->stats.mmio_reads++;
    if (offset >= APIC_ISR && offset < APIC_ISR + 0x80 && !(offset & 0xf))
        return a->isr[(offset - APIC_ISR) >> 4];
    if (offset >= APIC_IRR && offset < APIC_IRR + 0x80 && !(offset & 0xf))
        return a->irr[(offset - APIC_IRR) >> 4];
    switch (offset) {
    case APIC_ID: return 0;
    case APIC_VERSION: return 0x00050014; /* version 0x14, 6 LVT entries */
    case APIC_TPR: return a->tpr;
    case APIC_SVR: return a->svr;
    case APIC_LVT_TIMER: return a->lvt_timer;
    case APIC_TIMER_ICR: return a->icr;
    case APIC_TIMER_CCR: return current_count(m);
    case APIC_TIMER_DCR: return a->dcr;
    }
    return 0;
}

void apic_write(struct machine *m, uint64_t offset, unsigned size, uint64_t value)
{
    struct apic *a = &m->apic;
    uint32_t v = (uint32_t)value;
    (void)size;
    m->stats.mmio_writes++;
    switch (offset) {
    case APIC_TPR:
        a->tpr = v & 0xff;
        break;
    case APIC_EOI: {
        int isr = highest(a->isr);
        if (isr >= 0)
            a->isr[isr / 32] &= ~(1u << (isr % 32));
        break;
    }
    case APIC_SVR:
        a->svr = v & 0x1ff;
        if (!(a->svr & APIC_SVR_ENABLE)) /* software disable masks the LVT */
            a->lvt_timer |= APIC_LVT_MASKED;
        break;
    case APIC_LVT_TIMER:
        a->lvt_timer = v & (APIC_LVT_VECTOR | APIC_LVT_MASKED | APIC_LVT_PERIODIC);
        break;
    case APIC_TIMER_ICR:
        a->icr = v;
        start_timer(m);
        machine_event(m, "apic: timer %s, initial count %u, divide %u (%" PRIu64 " instructions)",
                      (a->lvt_timer & APIC_LVT_PERIODIC) ? "periodic" : "one-shot", v,
                      divisor(a->dcr), a->period);
        break;
    case APIC_TIMER_DCR:
        a->dcr = v & 0xb;
        break;
    default:
        break;
    }
}
