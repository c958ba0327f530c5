/*
 * irqwait.c - a one-shot timer expires while the kernel runs with IF = 0:
 * the machine steps to the deadline inside a block, then keeps running
 * (calls, pushes, returns: fib) with the interrupt waiting, and delivers it
 * at the STI.  irqwait_stress.c does the same 500 times over, at a
 * different instruction each time (docs/kernel.md, "Machine issues found").
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

#define VECTOR 0x40
static volatile uint32_t *apic;
static volatile unsigned ticks;

/* Calls and pushes: a deadline landing anywhere must not change the result. */
__attribute__((noinline)) static uint64_t fib(uint64_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void on_timer(struct frame *f)
{
    (void)f;
    ticks++;
    apic[APIC_EOI / 4] = 0;
    apic[APIC_LVT_TIMER / 4] = APIC_LVT_MASKED;
}

void ktest_main(void)
{
    tap_plan(4);
    apic = (volatile uint32_t *)(ktest_boot->direct_map + DEV_APIC_BASE);
    ktest_on(VECTOR, on_timer);
    apic[APIC_SVR / 4] = APIC_SVR_ENABLE | 0xff;
    apic[APIC_TIMER_DCR / 4] = 0xb;                       /* divide by 1 */
    apic[APIC_LVT_TIMER / 4] = VECTOR;
    apic[APIC_TIMER_ICR / 4] = 1000;                      /* every 10,000 instructions */
    uint64_t t0 = rdtsc();
    uint64_t sum = 0;
    for (volatile uint64_t i = 0; i < 200000; i++)        /* about a million instructions */
        sum += i;
    uint64_t f = fib(24);
    uint64_t spent = rdtsc() - t0;
    tap_ok(spent > 100000, "ran %llu instructions with IF = 0 past the expiry",
           (unsigned long long)spent);
    tap_eq(ticks, 0, "no interrupt while IF = 0");
    tap_eq(f, 46368, "fib(24), computed across the deadline, is right");
    __asm__ volatile("sti; nop; cli" ::: "memory");
    tap_eq(ticks, 1, "the waiting interrupt arrived after STI");
}
