/*
 * irqwait_stress.c - timer deadlines inside running code, many times over
 * (two machine bugs the guest kernel found; docs/kernel.md, "Machine issues
 * found"):
 *
 * 1. A one-shot timer armed for 100 + 10 i instructions, expiring inside a
 *    recursive computation (fib) run with IF = 0, then taken at STI; 500
 *    times.  (The run loop once lost its place here: a stop in front of a
 *    block entered by a chained jump left RIP at an earlier block.)
 * 2. The timer re-armed while its interrupt still waits for IF.  (The run
 *    loop once stopped in front of the new deadline's block for ever: it
 *    did not step to a deadline while an interrupt waited for IF.)
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

#define VECTOR 0x40
static volatile uint32_t *apic;
static volatile unsigned ticks;

__attribute__((noinline)) static uint64_t fib(uint64_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void on_timer(struct frame *f)
{
    (void)f;
    ticks++;
    apic[APIC_EOI / 4] = 0;
}

void ktest_main(void)
{
    tap_plan(3);
    apic = (volatile uint32_t *)(ktest_boot->direct_map + DEV_APIC_BASE);
    ktest_on(VECTOR, on_timer);
    apic[APIC_SVR / 4] = APIC_SVR_ENABLE | 0xff;
    apic[APIC_TIMER_DCR / 4] = 0xb; /* divide by 1 */
    /* 1. The deadline at 500 different instructions of a recursive computation. */
    unsigned wrong = 0;
    for (unsigned i = 0; i < 500; i++) {
        apic[APIC_LVT_TIMER / 4] = VECTOR;
        apic[APIC_TIMER_ICR / 4] = 10 + i; /* 100 + 10 i instructions */
        if (fib(14) != 377)
            wrong++;
        __asm__ volatile("sti; nop; cli" ::: "memory"); /* take it */
    }
    tap_eq(wrong, 0, "fib(14) right with the deadline at 500 different places");
    tap_eq(ticks, 500, "and each of those interrupts arrived");
    /* 2. Re-armed while its interrupt waits for IF. */
    apic[APIC_TIMER_ICR / 4] = 10;
    fib(14);                        /* expires: the interrupt waits */
    apic[APIC_TIMER_ICR / 4] = 10;  /* a new deadline while it waits */
    tap_eq(fib(14), 377, "a new deadline while an interrupt waits for IF");
}
