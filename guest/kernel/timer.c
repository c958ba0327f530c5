/*
 * timer.c - the local APIC timer (shared/devices.h), one-shot, counting
 * virtual time (100 MHz input, divide by 1: one count per 10 ns).
 *
 * The kernel arms it when the CPU goes idle, for the next sleeper's
 * deadline: the machine then jumps virtual time straight to the expiry.
 * Threads also change at kernel boundaries (sched.c, sched_poll).  It is also armed for every 1 ms quantum, which is true
 * time slicing, unless the command line says "nopreempt".
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"

static volatile uint32_t *apic;
bool timer_preempt;

static void apic_write(unsigned reg, uint32_t v)
{
    apic[reg / 4] = v;
}

void timer_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

/* Expire at virtual time `when` (ns), or as soon as possible if passed. */
void timer_arm_at(uint64_t when)
{
    uint64_t now = now_ns(), ticks = when > now ? (when - now + 9) / 10 : 1;
    apic_write(APIC_TIMER_ICR, ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks);
}

void timer_disarm(void)
{
    apic_write(APIC_TIMER_ICR, 0);
}

void timer_init(const struct boot_info *bi)
{
    apic = (volatile uint32_t *)(DMAP + bi->apic_base);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
    apic_write(APIC_TIMER_DCR, 0xb); /* divide by 1 */
    apic_write(APIC_LVT_TIMER, VEC_TIMER); /* one-shot */
    timer_preempt = !cmdline_get("nopreempt", NULL, 0);
    if (timer_preempt)
        timer_arm_at(now_ns() + TIMER_QUANTUM_NS);
}
