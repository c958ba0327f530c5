/*
 * syscall.c - SYSCALL into the kernel and SYSRETQ back, many times from
 * CPL 3, checking what the architecture says SYSCALL does (SDM Vol. 2B):
 * RCX = the next instruction, R11 = RFLAGS, RFLAGS masked by IA32_FMASK,
 * CS/SS from STAR (CPL 0), RIP = LSTAR, the stack untouched; and SYSRETQ
 * returning to CS 0x23 / SS 0x1b with RFLAGS from R11.  Without EFER.SCE,
 * SYSCALL is #UD.
 */
#include "tests/kernels/lib/ktest.h"

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define ROUNDS 1000

/* What the entry stub saw on each SYSCALL (the last one). */
volatile uint64_t seen_rcx, seen_r11, seen_rflags, seen_cs, seen_ss, seen_rsp, seen_count;
volatile uint64_t kernel_stack_top;

/* The entry: record, double RAX, return.  No stack switch needed for the
 * record (it writes globals), but it checks RSP is still the user's. */
__asm__(".text\n"
        "syscall_entry:\n"
        "  mov %rcx, seen_rcx(%rip)\n"
        "  mov %r11, seen_r11(%rip)\n"
        "  mov %rsp, seen_rsp(%rip)\n"
        "  pushfq\n"
        "  popq seen_rflags(%rip)\n"
        "  mov %cs, %rcx\n"
        "  mov %rcx, seen_cs(%rip)\n"
        "  mov %ss, %rcx\n"
        "  mov %rcx, seen_ss(%rip)\n"
        "  mov seen_rcx(%rip), %rcx\n"
        "  incq seen_count(%rip)\n"
        "  add %rax, %rax\n"
        "  sysretq\n");
extern const char syscall_entry[];

/* User code: ROUNDS calls with RAX = i, summing the results in RBX; then
 * ud2 to come back.  The address after SYSCALL is u_after. */
__asm__(".section .rodata\n"
        "u_loop:\n"
        "  xor %ebx, %ebx\n"
        "  xor %r12d, %r12d\n"
        "1: mov %r12, %rax\n"
        "  syscall\n"
        "u_after:\n"
        "  add %rax, %rbx\n"
        "  inc %r12\n"
        "  cmp $" "1000" ", %r12\n"
        "  jne 1b\n"
        "  ud2\n"
        "u_one:\n"
        "  syscall\n"
        "  ud2\n"
        "u_end:\n"
        ".text\n");
extern const char u_loop[], u_after[], u_one[], u_end[];

static struct frame got;
static unsigned hits;

static void on_ud(struct frame *f)
{
    got = *f;
    hits++;
    ktest_user_return(f);
}

static uint64_t uva(const char *p)
{
    return UCODE_VA + (uint64_t)(p - u_loop);
}

void ktest_main(void)
{
    const uint64_t fmask = X86_RFLAGS_IF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_AC;
    const uint64_t user_flags = X86_RFLAGS_FIXED | X86_RFLAGS_IF | X86_RFLAGS_DF;
    tap_plan(12);
    ktest_on(6, on_ud);
    ktest_user_code(UCODE_VA, u_loop, (unsigned)(u_end - u_loop));
    ktest_user_stack(USTACK_TOP);

    /* Without EFER.SCE: #UD at the SYSCALL itself. */
    ktest_run_user(uva(u_one), USTACK_TOP, user_flags, UCODE, 0);
    tap_ok(hits == 1 && got.vector == 6 && got.rip == uva(u_one),
           "SYSCALL without EFER.SCE is #UD at the instruction (RIP 0x%llx)",
           (unsigned long long)got.rip);
    tap_eq(seen_count, 0, "the kernel entry did not run");

    wrmsr(X86_MSR_STAR, (0x10ull << 48) | ((uint64_t)KCODE << 32));
    wrmsr(X86_MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(X86_MSR_FMASK, fmask);
    wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | X86_EFER_SCE);

    hits = 0;
    ktest_run_user(uva(u_loop), USTACK_TOP, user_flags, UCODE, 0);
    tap_eq(seen_count, ROUNDS, "SYSCALL round trips");
    tap_ok(hits == 1 && got.rip == uva(u_loop) + (uint64_t)(u_one - u_loop) - 2,
           "then user mode reached its UD2 (RIP 0x%llx)", (unsigned long long)got.rip);
    tap_eq(got.rbx, (uint64_t)ROUNDS * (ROUNDS - 1), "sum of the doubled RAX values returned");
    tap_eq(seen_rcx, uva(u_after), "RCX = the instruction after SYSCALL");
    /* R11 holds the user's RFLAGS, arithmetic flags of its loop included. */
    const uint64_t status = X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF |
                            X86_RFLAGS_SF | X86_RFLAGS_OF;
    tap_eq(seen_r11 & ~status, user_flags, "R11 = the user's RFLAGS (control bits)");
    tap_eq(seen_rflags, seen_r11 & ~fmask, "RFLAGS = R11 masked by IA32_FMASK");
    tap_eq(seen_cs, KCODE, "CS = STAR[47:32]");
    tap_eq(seen_ss, KDATA, "SS = STAR[47:32] + 8");
    tap_eq(seen_rsp, USTACK_TOP, "the stack was not switched");
    tap_ok(got.cs == UCODE && got.ss == UDATA && (got.rflags & ~status) == user_flags,
           "SYSRETQ returned to CS 0x23, SS 0x1b with the user's RFLAGS (0x%llx)",
           (unsigned long long)got.rflags);
}
