/*
 * gdb.c - the kernel tests/gdb/test_machine_gdb.py debugs with a real gdb:
 * a function to break at (gdb_target), a variable to watch (gdb_watched), a
 * flag gdb sets to make it spin (gdb_spin: for Ctrl-C and re-attaching), and
 * a periodic timer running throughout, so that stops, steps and watchpoints
 * meet interrupts.  Alone it checks its own results and exits 0, and its
 * output (the tick count and the final virtual time) is the same on every
 * run, with or without a debugger that only looks.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

#define VECTOR 0x42

static volatile uint32_t *apic;
volatile unsigned gdb_ticks;
volatile uint64_t gdb_watched = 0x5eed;
volatile int gdb_spin; /* set by gdb: spin until gdb clears it */

/* Global, so that gdb finds them by name. */
uint64_t gdb_target(uint64_t x);
void gdb_spin_here(void);

static void apic_w(unsigned reg, uint32_t v) { apic[reg / 4] = v; }

static void on_timer(struct frame *f)
{
    (void)f;
    gdb_ticks++;
    apic_w(APIC_EOI, 0);
}

__attribute__((noinline)) uint64_t gdb_target(uint64_t x)
{
    __asm__ volatile("" ::: "memory"); /* keep it a real function */
    return x * 3 + 1;
}

__attribute__((noinline)) void gdb_spin_here(void)
{
    if (gdb_spin)
        kprintf("# spinning until gdb clears gdb_spin\n");
    while (gdb_spin)
        pause();
}

void ktest_main(void)
{
    tap_plan(3);
    apic = (volatile uint32_t *)(ktest_boot->direct_map + DEV_APIC_BASE);
    ktest_on(VECTOR, on_timer);
    apic_w(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    apic_w(APIC_TIMER_DCR, 0xb); /* divide by 1: 10 instructions per tick */
    apic_w(APIC_LVT_TIMER, VECTOR | APIC_LVT_PERIODIC);
    apic_w(APIC_TIMER_ICR, 997);
    sti();

    uint64_t sum = 0;
    for (uint64_t i = 0; i < 4; i++)
        sum += gdb_target(i);
    gdb_watched = 0x1234;
    gdb_watched += 1;
    for (volatile int i = 0; i < 20000; i++)
        ;
    gdb_spin_here();

    cli();
    apic_w(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_w(APIC_TIMER_ICR, 0);
    tap_eq(sum, 22, "gdb_target(0..3) summed");
    tap_eq(gdb_watched, 0x1235, "gdb_watched written twice");
    tap_ok(gdb_ticks > 10, "the timer ran throughout (%u ticks)", gdb_ticks);
    kprintf("# virtual time at the end: %llu\n", (unsigned long long)rdtsc());
}
