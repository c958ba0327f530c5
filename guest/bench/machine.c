/*
 * machine.c - the guest of `mmulab bench machine`.  The command line names
 * a phase and a count; each phase brackets what it measures with marks
 * (shared/devices.h DEV_MARK_PORT), which the host timestamps.
 *
 *   loop N       bench_loop over one page, N iterations       marks 1, 2
 *   loopshort N  bench_loop_short, the same                   marks 1, 2
 *   sweep        touch 4,096 distinct pages once (each a TLB fill), then one
 *                page 4,096 times the same way                marks 1, 2, 3
 *   syscall N    N null SYSCALL/SYSRETQ round trips from CPL 3 marks 1, 2
 *   pagefault N  N page faults from CPL 3, each handled by mapping a page
 *                and returning                                marks 1, 2
 * Mark 0 is the first thing ktest_main does (boot time).
 */
#include "guest/bare/ktest.h"
#include "shared/devices.h"

uint64_t bench_loop(const void *buf, uint64_t iterations);
uint64_t bench_loop_short(const void *buf, uint64_t iterations);

static void mark(uint32_t n)
{
    outl(DEV_MARK_PORT, n);
}

/* "phase=NAME n=COUNT" */
static uint64_t arg_n(void)
{
    const char *p = strchr(ktest_boot->cmdline, 'n');
    uint64_t v = 0;
    if (p && p[1] == '=')
        for (p += 2; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

static bool phase(const char *name)
{
    size_t len = strlen(name);
    return strncmp(ktest_boot->cmdline, "phase=", 6) == 0 &&
           strncmp(ktest_boot->cmdline + 6, name, len) == 0 &&
           (ktest_boot->cmdline[6 + len] == ' ' || ktest_boot->cmdline[6 + len] == 0);
}

static uint8_t page[4096] __attribute__((aligned(4096)));

#define SWEEP_VA 0x0000004000000000ull
#define SWEEP_PAGES 4096

static void sweep(void)
{
    uint64_t frames[16];
    for (unsigned i = 0; i < 16; i++)
        frames[i] = ktest_alloc_page();
    for (uint64_t i = 0; i < SWEEP_PAGES; i++)
        ktest_map(SWEEP_VA + i * 4096, frames[i % 16], X86_PTE_RW | X86_PTE_XD);
    write_cr3(read_cr3()); /* empty the TLB */
    volatile uint64_t sum = 0;
    mark(1);
    for (uint64_t i = 0; i < SWEEP_PAGES; i++)
        sum += *(volatile uint64_t *)(SWEEP_VA + i * 4096);
    mark(2);
    for (uint64_t i = 0; i < SWEEP_PAGES; i++)
        sum += *(volatile uint64_t *)(SWEEP_VA + (i & 0) * 4096);
    mark(3);
}

/* ---- CPL 3 phases ---- */

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define FAULT_VA 0x0000010000000000ull

__asm__(".text\n"
        "null_syscall: sysretq\n"
        ".section .rodata\n"
        "u_syscalls:\n"              /* RBX = count */
        "1: syscall\n dec %rbx\n jnz 1b\n ud2\n"
        "u_faults:\n"                /* RBX = count; touch a new page each time */
        " mov $0x10000000000, %rcx\n"
        "2: mov (%rcx), %rax\n add $4096, %rcx\n dec %rbx\n jnz 2b\n ud2\n"
        "u_end:\n"
        ".text\n");
extern const char null_syscall[], u_syscalls[], u_faults[], u_end[];

static uint64_t alias_frame;

static void on_ud(struct frame *f)
{
    ktest_user_return(f);
}

/* The trivial #PF handler: map the page (all to one frame) and return. */
static void on_pf(struct frame *f)
{
    (void)f;
    ktest_map(read_cr2() & ~0xfffull, alias_frame, X86_PTE_US | X86_PTE_XD);
}

static void user_phase(const char *code, uint64_t count)
{
    ktest_on(6, on_ud);
    ktest_user_code(UCODE_VA, u_syscalls, (unsigned)(u_end - u_syscalls));
    ktest_user_stack(USTACK_TOP);
    mark(1);
    ktest_run_user(UCODE_VA + (uint64_t)(code - u_syscalls), USTACK_TOP, X86_RFLAGS_FIXED,
                   UCODE, count);
    mark(2);
}

void ktest_main(void)
{
    mark(0);
    uint64_t n = arg_n();
    if (phase("loop")) {
        mark(1);
        bench_loop(page, n);
        mark(2);
    } else if (phase("loopshort")) {
        mark(1);
        bench_loop_short(page, n);
        mark(2);
    } else if (phase("sweep")) {
        sweep();
    } else if (phase("syscall")) {
        wrmsr(X86_MSR_STAR, (0x10ull << 48) | ((uint64_t)KCODE << 32));
        wrmsr(X86_MSR_LSTAR, (uint64_t)null_syscall);
        wrmsr(X86_MSR_FMASK, X86_RFLAGS_IF);
        wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | X86_EFER_SCE);
        user_phase(u_syscalls, n);
    } else if (phase("pagefault")) {
        alias_frame = ktest_alloc_page();
        /* The page tables for the whole range exist beforehand: the handler
         * then only writes a PTE. */
        for (uint64_t i = 0; i < n; i += 512)
            ktest_map(FAULT_VA + i * 4096, alias_frame, X86_PTE_US | X86_PTE_XD);
        for (uint64_t i = 0; i < n; i += 512)
            *ktest_pte(FAULT_VA + i * 4096) = 0;
        write_cr3(read_cr3());
        ktest_on(14, on_pf);
        user_phase(u_faults, n);
    } else {
        kprintf("bench: unknown command line \"%s\"\n", ktest_boot->cmdline);
        machine_exit(2);
    }
    machine_exit(0);
}
