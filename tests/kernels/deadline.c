/*
 * deadline.c - the run loop stops at exact virtual times (timer expiries)
 * wherever they fall:
 *
 *   - in a loop of two translation blocks that jump to each other directly
 *     (QEMU chains such blocks and does not update RIP between them): each
 *     block increments its own counter, and however the expiries fall, both
 *     counters end equal and no instruction ran twice;
 *   - with IF = 0 while an interrupt is already pending and the periodic
 *     timer keeps expiring: the machine must keep running (the pending
 *     interrupt waits for IF, the later expiries only set the same request
 *     bit), and the interrupt is taken once, right after STI's shadow.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

#define VECTOR 0x41

static volatile uint32_t *apic;
static volatile unsigned ticks;

static void apic_w(unsigned reg, uint32_t v) { apic[reg / 4] = v; }

static void on_timer(struct frame *f)
{
    (void)f;
    ticks++;
    apic_w(APIC_EOI, 0);
}

static void timer_periodic(uint32_t ticks_per_period)
{
    apic_w(APIC_TIMER_DCR, 0xb); /* divide by 1: 10 instructions per tick */
    apic_w(APIC_LVT_TIMER, VECTOR | APIC_LVT_PERIODIC);
    apic_w(APIC_TIMER_ICR, ticks_per_period);
}

static void timer_off(void)
{
    apic_w(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_w(APIC_TIMER_ICR, 0);
}

static uint64_t count_a, count_b;

static void chained_blocks(void)
{
    uint64_t n = 20000;
    count_a = count_b = 0;
    ticks = 0;
    timer_periodic(97); /* 970 instructions: expiries land all over both blocks */
    sti();
    /* Block A: inc, jmp (direct, same page: QEMU chains it).  Block B: inc,
     * dec, jnz back to A.  The nops shift where the expiries fall. */
    __asm__ volatile("1: incq %[a]\n\tnop\n\tjmp 2f\n"
                     "2: incq %[b]\n\tnop\n\tnop\n\tdec %[n]\n\tjnz 1b"
                     : [a] "+m"(count_a), [b] "+m"(count_b), [n] "+r"(n)
                     :
                     : "memory", "cc");
    cli();
    timer_off();
    tap_ok(ticks > 100, "the timer interrupted the loop (%u times)", ticks);
    tap_eq(count_a, 20000, "block A ran exactly 20000 times");
    tap_eq(count_b, 20000, "block B ran exactly 20000 times");
}

static void pending_while_masked(void)
{
    ticks = 0;
    cli();
    timer_periodic(10); /* 100 instructions */
    for (volatile int i = 0; i < 2000; i++) /* many expiries with IF = 0 */
        ;
    unsigned before = ticks;
    timer_off();
    __asm__ volatile("sti\n\tnop\n\tnop\n\tcli" ::: "memory");
    tap_ok(before == 0 && ticks == 1,
           "expiries while IF = 0 did not stall the machine; one interrupt after STI "
           "(%u before, %u after)", before, ticks);
}

void ktest_main(void)
{
    tap_plan(4);
    apic = (volatile uint32_t *)(ktest_boot->direct_map + DEV_APIC_BASE);
    ktest_on(VECTOR, on_timer);
    apic_w(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    chained_blocks();
    pending_while_masked();
}
