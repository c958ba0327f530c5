/*
 * compat.c - 32-bit code at CPL 3 (compatibility mode: CS 0x2b, L = 0,
 * D = 1) meeting every kind of event, checking the frame the machine
 * pushed.  The raise to CPL 0 starts from 32-bit code here (RAISE_VA32),
 * the exact CR2 decodes 32-bit instructions, and virtual time counts 32-bit
 * blocks.
 *
 *   - #UD (UD2) and INT 0x80 through a DPL 3 gate: frame CS 0x2b, RIP, SS,
 *     RSP, RFLAGS; the handler sees the 32-bit code's registers;
 *   - #PF from a 32-bit load and from a PUSH onto an unmapped stack page:
 *     error code and the exact CR2;
 *   - SYSCALL from compatibility mode: #UD on this (Intel) CPU, as the SDM
 *     says (SYSCALL runs in 64-bit mode only), with EFER.SCE set;
 *   - RDTSC at CPL 3 (emulated through #GP with CR4.TSD): counts virtual time;
 *   - the APIC timer interrupting a 32-bit loop, which then goes on.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define UNMAPPED 0x12345678u
#define VECTOR 0x40

/* The 32-bit user code; each piece ends in UD2, which returns to the kernel. */
__asm__(".section .rodata\n"
        ".code32\n"
        "c_ud:\n"
        "  mov $0x11111111, %eax\n"
        "  mov $0x22222222, %ebx\n"
        "c_ud_at: ud2\n"
        "c_int:\n"
        "  mov $0x80808080, %eax\n"
        "  int $0x80\n"
        "c_int_after: ud2\n"
        "c_load:\n"
        "  mov $" "0x12345678" ", %esi\n"
        "c_load_at: mov (%esi), %eax\n"
        "  ud2\n"
        "c_push:\n"
        "  mov $0x700004, %esp\n"          /* 0x700000 is not mapped */
        "c_push_at: push %eax\n"
        "  ud2\n"
        "c_syscall:\n"
        "c_syscall_at: syscall\n"
        "  ud2\n"
        "c_rdtsc:\n"
        "  rdtsc\n"
        "  mov %eax, %esi\n"
        "  mov %edx, %edi\n"
        "  nop\n nop\n nop\n"
        "  rdtsc\n"
        "c_rdtsc_end: ud2\n"
        "c_spin:\n"
        "  xor %ecx, %ecx\n"
        "1: inc %ecx\n"
        "  cmp $200000, %ecx\n"
        "  jne 1b\n"
        "c_spin_end: ud2\n"
        "c_end:\n"
        ".code64\n"
        ".text\n");
extern const char c_ud[], c_ud_at[], c_int[], c_int_after[], c_load[], c_load_at[], c_push[],
    c_push_at[], c_syscall[], c_syscall_at[], c_rdtsc[], c_rdtsc_end[], c_spin[], c_spin_end[],
    c_end[];

static struct frame got, int_frame;
static unsigned ud_hits, int_hits, pf_hits, ticks;
static uint64_t cr2;
static volatile uint32_t *apic;

static uint64_t uva(const char *p)
{
    return UCODE_VA + (uint64_t)(p - c_ud);
}

static void on_ud(struct frame *f)
{
    got = *f;
    ud_hits++;
    ktest_user_return(f);
}

static void on_int80(struct frame *f)
{
    int_frame = *f;
    int_hits++;
}

static void on_pf(struct frame *f)
{
    got = *f;
    cr2 = read_cr2();
    pf_hits++;
    ktest_user_return(f);
}

static void on_timer(struct frame *f)
{
    if (f->cs == UCODE32)
        ticks++;
    apic[APIC_EOI / 4] = 0;
}

static void run(const char *at, uint64_t rflags)
{
    ktest_run_user(uva(at), USTACK_TOP, X86_RFLAGS_FIXED | rflags, UCODE32, 0);
}

static void events(void)
{
    run(c_ud, 0);
    tap_ok(ud_hits == 1 && got.cs == UCODE32 && got.rip == uva(c_ud_at) &&
               got.ss == UDATA && got.rsp == USTACK_TOP && got.error_code == 0,
           "#UD from 32-bit code: CS 0x%llx, RIP 0x%llx, SS 0x%llx, RSP 0x%llx",
           (unsigned long long)got.cs, (unsigned long long)got.rip,
           (unsigned long long)got.ss, (unsigned long long)got.rsp);
    tap_ok(got.rax == 0x11111111 && got.rbx == 0x22222222,
           "the handler sees the 32-bit code's EAX and EBX");

    ktest_gate(0x80, 3, 0, false);
    ktest_on(0x80, on_int80);
    run(c_int, 0);
    tap_ok(int_hits == 1 && int_frame.cs == UCODE32 && int_frame.rip == uva(c_int_after) &&
               int_frame.rax == 0x80808080 && int_frame.error_code == 0,
           "INT 0x80 from 32-bit code through a DPL 3 gate: RIP past it, EAX as set");
    tap_ok(ud_hits == 2 && got.rip == uva(c_int_after), "and the IRETQ went back to 32-bit code");
}

static void faults(void)
{
    run(c_load, 0);
    tap_ok(pf_hits == 1 && got.cs == UCODE32 && got.rip == uva(c_load_at),
           "#PF from a 32-bit load at RIP 0x%llx", (unsigned long long)got.rip);
    tap_eq(got.error_code, X86_PF_U, "its error code: user read, not present");
    tap_eq(cr2, UNMAPPED, "CR2 is the exact address of the load");

    run(c_push, 0);
    tap_ok(pf_hits == 2 && got.rip == uva(c_push_at) && got.rsp == 0x700004,
           "#PF from a 32-bit PUSH, ESP unchanged");
    tap_eq(got.error_code, X86_PF_U | X86_PF_W, "its error code: user write, not present");
    tap_eq(cr2, 0x700000, "CR2 is ESP - 4 (a 4-byte push)");
}

static void syscall_from_compat(void)
{
    wrmsr(X86_MSR_STAR, (0x10ull << 48) | ((uint64_t)KCODE << 32));
    wrmsr(X86_MSR_LSTAR, 0xdead0000);
    wrmsr(X86_MSR_CSTAR, 0xdead1000);
    wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | X86_EFER_SCE);
    unsigned before = ud_hits;
    run(c_syscall, 0);
    tap_ok(ud_hits == before + 1 && got.rip == uva(c_syscall_at) && got.cs == UCODE32,
           "SYSCALL in compatibility mode is #UD on an Intel CPU (RIP 0x%llx)",
           (unsigned long long)got.rip);
}

static void rdtsc_from_compat(void)
{
    run(c_rdtsc, 0);
    uint64_t t0 = got.rdi << 32 | (uint32_t)got.rsi, t1 = got.rdx << 32 | (uint32_t)got.rax;
    tap_ok(got.rip == uva(c_rdtsc_end), "32-bit RDTSC at CPL 3 is emulated and goes on");
    tap_eq(t1 - t0, 6, "and counts the instructions between two reads");
}

static void timer_in_compat(void)
{
    apic = (volatile uint32_t *)(uintptr_t)(BOOT_DIRECT_MAP + DEV_APIC_BASE);
    ktest_on(VECTOR, on_timer);
    apic[APIC_SVR / 4] = APIC_SVR_ENABLE | 0xff;
    apic[APIC_TIMER_DCR / 4] = 0xb;
    apic[APIC_LVT_TIMER / 4] = VECTOR | APIC_LVT_PERIODIC;
    apic[APIC_TIMER_ICR / 4] = 5000; /* every 50,000 instructions */
    run(c_spin, X86_RFLAGS_IF);
    apic[APIC_LVT_TIMER / 4] = APIC_LVT_MASKED;
    apic[APIC_TIMER_ICR / 4] = 0;
    tap_ok(ticks >= 10 && ticks <= 13, "the timer interrupted the 32-bit loop %u times", ticks);
    tap_ok(got.rip == uva(c_spin_end) && got.rcx == 200000,
           "and the loop ran to its end (ECX %llu)", (unsigned long long)got.rcx);
}

void ktest_main(void)
{
    tap_plan(15);
    ktest_on(6, on_ud);
    ktest_on(14, on_pf);
    ktest_user_code(UCODE_VA, c_ud, (unsigned)(c_end - c_ud));
    ktest_user_stack(USTACK_TOP);
    events();
    faults();
    syscall_from_compat();
    rdtsc_from_compat();
    timer_in_compat();
}
