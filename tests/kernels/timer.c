/*
 * timer.c - the local APIC timer and interrupt delivery.
 *
 *   - a periodic timer preempts an endless loop at CPL 3; the interrupts
 *     arrive exactly one period (in virtual time) apart, and each frame
 *     shows the interrupted user context;
 *   - while RFLAGS.IF = 0 the interrupt waits; after STI it is taken only
 *     after the next instruction (the STI interrupt shadow);
 *   - STI; HLT idles until the timer fires, and the interrupt returns past
 *     the HLT; virtual time jumped to the expiry;
 *   - EOI and the in-service register.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define VECTOR 0x40
#define PERIOD_TICKS 10000 /* x 10 instructions per tick, divide by 1 */
#define PERIOD (PERIOD_TICKS * 10ull)

static volatile uint32_t *apic;
static uint64_t stamp[8];
static struct frame frames[8];
static volatile unsigned ticks;
static unsigned want_ticks;

static void apic_w(unsigned reg, uint32_t v) { apic[reg / 4] = v; }
static uint32_t apic_r(unsigned reg) { return apic[reg / 4]; }

static void on_timer(struct frame *f)
{
    uint64_t t = rdtsc();
    if (ticks < 8) {
        stamp[ticks] = t;
        frames[ticks] = *f;
    }
    ticks++;
    apic_w(APIC_EOI, 0);
    if (ticks == want_ticks && f->cs == UCODE) {
        apic_w(APIC_LVT_TIMER, APIC_LVT_MASKED);
        apic_w(APIC_TIMER_ICR, 0);
        ktest_user_return(f);
    }
}

__asm__(".section .rodata\nu_spin: 1: inc %rax\n jmp 1b\nu_end:\n.text\n");
extern const char u_spin[], u_end[];

static void periodic_preemption(void)
{
    ktest_user_code(UCODE_VA, u_spin, (unsigned)(u_end - u_spin));
    ktest_user_stack(USTACK_TOP);
    want_ticks = 5;
    ticks = 0;
    apic_w(APIC_TIMER_DCR, 0xb); /* divide by 1 */
    apic_w(APIC_LVT_TIMER, VECTOR | APIC_LVT_PERIODIC);
    apic_w(APIC_TIMER_ICR, PERIOD_TICKS);
    ktest_run_user(UCODE_VA, USTACK_TOP, X86_RFLAGS_FIXED | X86_RFLAGS_IF, UCODE, 0);
    tap_eq(ticks, 5, "timer interrupts before the loop was stopped");
    bool user = true, apart = true;
    for (unsigned i = 0; i < 5; i++) {
        user &= frames[i].cs == UCODE && frames[i].ss == UDATA && frames[i].rip >= UCODE_VA &&
                frames[i].rip < UCODE_VA + 5 && (frames[i].rflags & X86_RFLAGS_IF);
        if (i)
            apart &= stamp[i] - stamp[i - 1] == PERIOD;
    }
    tap_ok(user, "each interrupt preempted the CPL 3 loop (CS 0x23, RIP in the loop, IF set)");
    tap_ok(apart, "interrupts exactly %llu instructions apart (%llu, %llu, ...)",
           (unsigned long long)PERIOD, (unsigned long long)(stamp[1] - stamp[0]),
           (unsigned long long)(stamp[2] - stamp[1]));
    /* Each period is the loop plus the handler.  The interrupt lands on an
     * exact instruction, alternately inc or jmp when the handler's length is
     * odd, so the iterations per period may differ by one. */
    uint64_t d1 = frames[2].rax - frames[1].rax, d2 = frames[3].rax - frames[2].rax;
    tap_ok((d1 == d2 || d1 == d2 + 1 || d2 == d1 + 1) && 2 * d1 < PERIOD && 2 * d1 > PERIOD - 1000,
           "the loop ran %llu then %llu iterations (2 instructions each) in a period",
           (unsigned long long)d1, (unsigned long long)d2);
}

static void interrupt_shadow(void)
{
    /* IF = 0 through the expiry; the interrupt must wait for STI + 1. */
    ticks = 0;
    want_ticks = 100;
    apic_w(APIC_LVT_TIMER, VECTOR); /* one-shot */
    apic_w(APIC_TIMER_ICR, 10);     /* 100 instructions */
    for (volatile int i = 0; i < 1000; i++)
        ;
    unsigned before = ticks;
    extern const char after_sti[];
    __asm__ volatile("sti\n\tnop\nafter_sti:\n\tnop\n\tcli" ::: "memory");
    tap_ok(before == 0 && ticks == 1, "the interrupt waited while IF = 0 (%u before STI, %u after)",
           before, ticks);
    tap_eq(frames[0].rip, (uint64_t)after_sti, "taken after the instruction following STI");
    tap_ok(apic_r(APIC_ISR + 0x20) == 0, "EOI cleared the in-service bit");
}

static void idle(void)
{
    ticks = 0;
    apic_w(APIC_LVT_TIMER, VECTOR);
    uint64_t t0 = rdtsc();
    apic_w(APIC_TIMER_ICR, 1000000); /* 10 million instructions */
    extern const char after_hlt[];
    __asm__ volatile("sti\n\thlt\nafter_hlt:\n\tcli" ::: "memory");
    tap_eq(ticks, 1, "HLT woke on the timer");
    tap_eq(frames[0].rip, (uint64_t)after_hlt, "the interrupt returned past the HLT");
    tap_ok(stamp[0] - t0 >= 10000000 && stamp[0] - t0 < 10000100,
           "virtual time jumped to the expiry while idle (%llu instructions)",
           (unsigned long long)(stamp[0] - t0));
    tap_eq(apic_r(APIC_TIMER_CCR), 0, "a one-shot timer stops at 0");
}

void ktest_main(void)
{
    tap_plan(11);
    apic = (volatile uint32_t *)(ktest_boot->direct_map + DEV_APIC_BASE);
    ktest_on(VECTOR, on_timer);
    apic_w(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    periodic_preemption();
    interrupt_shadow();
    idle();
}
