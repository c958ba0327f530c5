/*
 * pfloop.c - demand paging from user mode, many times: a CPL 3 loop stores
 * to 4096 consecutive pages that are not present; the #PF handler maps each
 * one and returns to the faulting store.  Every #PF must report the store's
 * address as RIP (a restartable fault), and the loop must run exactly 4096
 * times.  (A kernel seeing RIP at the loop head instead resumes one
 * instruction too early and the loop overruns; seen with the NT-like
 * kernel's benchmark, see docs/kernel.md, "Machine issues".)
 */
#include "tests/kernels/lib/ktest.h"

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define DATA_VA 0x0000000010000000ull
#define PAGES 4096

/* RDI = DATA_VA; RCX = 0; store to base + RCX, RCX += 4096, until 4096 pages;
 * then ud2.  RBX counts the stores. */
__asm__(".section .rodata\n"
        "u_loop:\n"
        "  mov $0x10000000, %edi\n"
        "  xor %ecx, %ecx\n"
        "  xor %ebx, %ebx\n"
        "  push %rdi\n"
        "1: mov (%rsp), %rdx\n"
        "  add %rcx, %rdx\n"
        "  add $4096, %rcx\n"
        "u_store: movb $1, (%rdx)\n"
        "  inc %rbx\n"
        "  cmp $" "0x1000000" ", %rcx\n"
        "  jne 1b\n"
        "  ud2\n"
        "u_end:\n"
        ".text\n");
extern const char u_loop[], u_store[], u_end[];

static unsigned faults, wrong_rip;
static uint64_t first_wrong;
static struct frame done;

static void on_pf(struct frame *f)
{
    uint64_t va = read_cr2() & ~0xfffull;
    faults++;
    if (f->rip != UCODE_VA + (uint64_t)(u_store - u_loop)) {
        if (!wrong_rip++)
            first_wrong = f->rip;
    }
    ktest_map(va, ktest_alloc_page(), X86_PTE_US | X86_PTE_RW | X86_PTE_XD);
    invlpg(USTACK_TOP - 8); /* as a kernel may: the stack's entry goes too */
}

static void on_ud(struct frame *f)
{
    done = *f;
    ktest_user_return(f);
}

void ktest_main(void)
{
    tap_plan(3);
    ktest_on(14, on_pf);
    ktest_on(6, on_ud);
    ktest_user_code(UCODE_VA, u_loop, (unsigned)(u_end - u_loop));
    ktest_user_stack(USTACK_TOP);
    ktest_run_user(UCODE_VA, USTACK_TOP, X86_RFLAGS_FIXED, UCODE, 0);
    tap_eq(faults, PAGES, "one page fault per page");
    tap_ok(wrong_rip == 0, "every fault reported the store as RIP (%u did not, first 0x%llx)",
           wrong_rip, (unsigned long long)first_wrong);
    tap_eq(done.rbx, PAGES, "the loop stored exactly once per page");
}
