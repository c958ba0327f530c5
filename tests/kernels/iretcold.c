/*
 * iretcold.c - IRETQ to CPL 3 with QEMU's TLB empty.
 *
 * The machine learns the CPL lazily: the observer marks it stale before an
 * IRETQ, and the fill hook re-reads CS.  IRETQ reads its frame from the
 * kernel stack; when QEMU's TLB is empty (a MOV to CR3 just before) those
 * reads go through the fill hook, while CS still says CPL 0.  The CPL must
 * stay stale until the instruction is done, or user code would then run
 * with supervisor rights: here it reads a supervisor-only page, which must
 * raise #PF with U set.
 */
#include "tests/kernels/lib/ktest.h"

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define SUPER_VA 0x0000000000a00000ull

static volatile uint64_t pf_ec, pf_cr2;
static volatile unsigned pf_hits, ud_hits;

static void on_pf(struct frame *f)
{
    pf_hits++;
    pf_ec = f->error_code;
    pf_cr2 = read_cr2();
    ktest_user_return(f);
}

static void on_ud(struct frame *f)
{
    ud_hits++;
    ktest_user_return(f);
}

/* ktest_run_user, with a MOV to CR3 (QEMU flushes its TLB) right before
 * the IRETQ. */
void run_user_cold(uint64_t rip, uint64_t rsp, uint64_t rbx);
__asm__(".text\n"
        "run_user_cold:\n"
        "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
        "  mov %rsp, ktest_saved_rsp(%rip)\n"
        "  mov $0x1b, %eax\n mov %ax, %ds\n mov %ax, %es\n"
        "  pushq $0x1b\n pushq %rsi\n pushq $0x2\n pushq $0x23\n pushq %rdi\n"
        "  mov %rdx, %rbx\n"
        "  mov %cr3, %rax\n mov %rax, %cr3\n"
        "  iretq\n");

/* User code: read [RBX], then UD2 (back to the kernel if no fault). */
__asm__(".section .rodata\nu_read: mov (%rbx), %rax\n ud2\nu_end:\n.text\n");
extern const char u_read[], u_end[];

void ktest_main(void)
{
    tap_plan(3);
    ktest_on(14, on_pf);
    ktest_on(6, on_ud);
    ktest_user_code(UCODE_VA, u_read, (unsigned)(u_end - u_read));
    ktest_user_stack(USTACK_TOP);
    ktest_map(SUPER_VA, ktest_alloc_page(), X86_PTE_RW | X86_PTE_XD); /* supervisor only */
    run_user_cold(UCODE_VA, USTACK_TOP, SUPER_VA);
    tap_eq(pf_hits, 1, "the user read of a supervisor page faulted");
    tap_eq(pf_ec, X86_PF_P | X86_PF_U, "error code P|U (a user-mode read)");
    tap_eq(pf_cr2, SUPER_VA, "CR2");
}
