/*
 * exceptions.c - exceptions and software interrupts, at CPL 0 and CPL 3,
 * each checked against the exact frame the machine must push (SDM Vol. 3A
 * §6.14): RIP (the faulting instruction, or past a trap), CS, RFLAGS, RSP,
 * SS, the error code and CR2, on the right stack (the current one at CPL 0,
 * RSP0 from CPL 3), aligned to 16 bytes.
 *
 * A non-canonical address is #GP(0), or #SS(0) when it references the stack
 * segment (an SS override, an RSP or RBP base, PUSH and friends).
 *
 * Expected values are taken by the probe itself just before the faulting
 * instruction (RSP, RFLAGS, the instruction's address), so they are the
 * architecture's answer, not a copy of the emulator's.
 */
#include "tests/kernels/lib/ktest.h"

/* What a kernel-mode probe saw right before its instruction. */
volatile uint64_t probe_rip, probe_rsp, probe_rflags, probe_resume;

/* What the handler saw. */
static struct frame got;
static uint64_t got_cr2, got_frame_rsp;
static volatile unsigned hits;

static void on_event(struct frame *f)
{
    got = *f;
    got_cr2 = read_cr2();
    got_frame_rsp = ktest_frame_rsp;
    hits++;
    if (f->cs == UCODE || f->cs == UCODE32) {
        ktest_user_return(f);
    } else {
        f->rip = probe_resume;
        f->rsp = probe_rsp; /* a faulting CALL has pushed its return address */
    }
}

/*
 * Run one instruction at CPL 0 after recording RSP, RFLAGS and its address;
 * a handler resumes after it.  `in` goes in RBX.
 */
#define PROBE(insn, in)                                                                   \
    __asm__ volatile("lea 2f(%%rip), %%rax\n\tmov %%rax, probe_resume(%%rip)\n\t"          \
                     "lea 1f(%%rip), %%rax\n\tmov %%rax, probe_rip(%%rip)\n\t"             \
                     "mov %%rsp, probe_rsp(%%rip)\n\t"                                     \
                     "pushfq\n\tpop %%rax\n\tmov %%rax, probe_rflags(%%rip)\n\t"           \
                     "1: " insn "\n\t2:"                                                   \
                     : : "b"(in) : "rax", "rcx", "rdx", "memory", "cc")

static bool has_error_code(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

/* The frame's base (just above SS) must be 16-byte aligned (§6.14.2). */
static uint64_t frame_top(void)
{
    return got_frame_rsp + (has_error_code((unsigned)got.vector) ? 48 : 40);
}

static void check_kernel_at(const char *what, unsigned vector, uint64_t ec, uint64_t rip,
                            uint64_t rsp)
{
    tap_ok(hits == 1 && got.vector == vector, "%s: vector %u (got %llu, %u events)", what,
           vector, (unsigned long long)got.vector, hits);
    tap_ok(got.rip == rip && got.cs == KCODE && got.ss == KDATA,
           "%s: RIP 0x%llx CS 0x%llx SS 0x%llx (want RIP 0x%llx)", what,
           (unsigned long long)got.rip, (unsigned long long)got.cs,
           (unsigned long long)got.ss, (unsigned long long)rip);
    tap_ok(got.rsp == rsp && got.rflags == probe_rflags,
           "%s: pushed RSP 0x%llx RFLAGS 0x%llx (want 0x%llx, 0x%llx)", what,
           (unsigned long long)got.rsp, (unsigned long long)got.rflags,
           (unsigned long long)rsp, (unsigned long long)probe_rflags);
    tap_ok(got.error_code == ec, "%s: error code 0x%llx (want 0x%llx)", what,
           (unsigned long long)got.error_code, (unsigned long long)ec);
    tap_ok(frame_top() % 16 == 0 && frame_top() <= rsp && rsp - frame_top() < 16,
           "%s: frame on the current stack, aligned (top 0x%llx)", what,
           (unsigned long long)frame_top());
    hits = 0;
}

static void check_kernel(const char *what, unsigned vector, uint64_t ec, uint64_t rip)
{
    check_kernel_at(what, vector, ec, rip, probe_rsp);
}

static void kernel_probes(void)
{
    uint64_t ro = 0x0000400000000000ull, rsvd = ro + 0x1000, nx = ro + 0x2000;
    ktest_map(ro, ktest_alloc_page(), 0);                   /* read-only */
    ktest_map(rsvd, ktest_alloc_page(), X86_PTE_RW);
    *ktest_pte(rsvd) |= 1ull << 51;                         /* reserved with MAXPHYADDR 40 */
    invlpg(rsvd);
    uint64_t nxpa = ktest_alloc_page();
    *(uint8_t *)phys_to_virt(nxpa) = 0xc3;                  /* ret */
    ktest_map(nx, nxpa, X86_PTE_XD);

    PROBE("ud2", 0);
    check_kernel("#UD (ud2)", 6, 0, probe_rip);
    PROBE("int3", 0);
    check_kernel("#BP (int3) traps past it", 3, 0, probe_rip + 1);
    PROBE("mov (%%rbx), %%rax", 0x8000000000000000ull);
    check_kernel("#GP on a non-canonical address", 13, 0, probe_rip);
    PROBE("mov %%ss:(%%rbx), %%rax", 0x8000000000000000ull);
    check_kernel("#SS on a non-canonical stack-segment address", 12, 0, probe_rip);
    PROBE("div %%rbx", 0);
    check_kernel("#DE (divide by zero)", 0, 0, probe_rip);

    PROBE("mov (%%rbx), %%rax", 0x0000600000000000ull);
    check_kernel("#PF read, not present", 14, 0, probe_rip);
    tap_eq(got_cr2, 0x0000600000000000ull, "CR2 of the not-present read");
    PROBE("movb $1, 8(%%rbx)", 0x0000600000000000ull);
    check_kernel("#PF write, not present", 14, X86_PF_W, probe_rip);
    tap_eq(got_cr2, 0x0000600000000008ull, "CR2 of the not-present write");
    PROBE("movq $1, (%%rbx)", ro + 0x10);
    check_kernel("#PF write to a read-only page (CR0.WP)", 14, X86_PF_P | X86_PF_W, probe_rip);
    tap_eq(got_cr2, ro + 0x10, "CR2 of the read-only write");
    PROBE("mov (%%rbx), %%rax", rsvd + 0x20);
    check_kernel("#PF on a reserved bit", 14, X86_PF_P | X86_PF_RSVD, probe_rip);
    tap_eq(got_cr2, rsvd + 0x20, "CR2 of the reserved-bit fault");
    /* A fetch fault is reported at the target: RIP is where the call went. */
    PROBE("call *%%rbx", nx);
    /* The CALL pushed its return address before the fetch at its target faulted. */
    check_kernel_at("#PF fetch from an execute-disable page", 14, X86_PF_P | X86_PF_ID, nx,
                    probe_rsp - 8);
    tap_eq(got_cr2, nx, "CR2 of the fetch fault");
}

/* ---- CPL 3 ---- */

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull

/* User snippets: the first instruction is the one that traps. */
__asm__(".section .rodata\n"
        "u_read: mov (%rbx), %rax\n ud2\n"
        "u_write: movq $0, (%rbx)\n ud2\n"
        "u_hlt: hlt\n ud2\n"
        "u_int3: int3\n ud2\n"
        "u_int80: int $0x80\n ud2\n"
        "u_call: call *%rbx\n ud2\n"
        "u_push: mov %rbx, %rsp\n u_push_at: push %rax\n ud2\n"
        "u_end:\n"
        ".text\n");
extern const char u_read[], u_write[], u_hlt[], u_int3[], u_int80[], u_call[], u_push[],
    u_push_at[], u_end[];

static uint64_t uva(const char *snippet)
{
    return UCODE_VA + (uint64_t)(snippet - u_read);
}

static void run_user(const char *snippet, uint64_t rbx)
{
    hits = 0;
    ktest_run_user(uva(snippet), USTACK_TOP, X86_RFLAGS_FIXED | X86_RFLAGS_IF, UCODE, rbx);
}

static void check_user(const char *what, unsigned vector, uint64_t ec, uint64_t rip,
                       uint64_t rsp)
{
    uint64_t rsp0 = (uint64_t)(ktest_rsp0_stack + KTEST_STACK_SIZE);
    tap_ok(hits == 1 && got.vector == vector, "%s: vector %u (got %llu)", what, vector,
           (unsigned long long)got.vector);
    tap_ok(got.rip == rip && got.cs == UCODE && got.ss == UDATA && got.rsp == rsp,
           "%s: RIP 0x%llx CS 0x%llx SS 0x%llx RSP 0x%llx", what, (unsigned long long)got.rip,
           (unsigned long long)got.cs, (unsigned long long)got.ss, (unsigned long long)got.rsp);
    tap_ok(got.rflags == (X86_RFLAGS_FIXED | X86_RFLAGS_IF), "%s: pushed RFLAGS 0x%llx", what,
           (unsigned long long)got.rflags);
    tap_ok(got.error_code == ec, "%s: error code 0x%llx (want 0x%llx)", what,
           (unsigned long long)got.error_code, (unsigned long long)ec);
    tap_ok(frame_top() == rsp0, "%s: frame on the RSP0 stack (top 0x%llx, RSP0 0x%llx)", what,
           (unsigned long long)frame_top(), (unsigned long long)rsp0);
    hits = 0;
}

static void user_probes(void)
{
    ktest_user_code(UCODE_VA, u_read, (unsigned)(u_end - u_read));
    ktest_user_stack(USTACK_TOP);
    uint64_t unx = 0x0000000000500000ull;
    ktest_map(unx, ktest_alloc_page(), X86_PTE_US | X86_PTE_XD);
    uint64_t kernel_data = (uint64_t)&hits;

    run_user(u_read, kernel_data);
    check_user("user read of a supervisor page", 14, X86_PF_P | X86_PF_U, uva(u_read), USTACK_TOP);
    tap_eq(got_cr2, kernel_data, "CR2 of the user read");
    run_user(u_write, 0x0000000000700000ull);
    check_user("user write, not present", 14, X86_PF_W | X86_PF_U, uva(u_write), USTACK_TOP);
    run_user(u_call, unx);
    check_user("user fetch from an execute-disable page", 14, X86_PF_P | X86_PF_U | X86_PF_ID,
               unx, USTACK_TOP - 8);
    run_user(u_hlt, 0);
    check_user("HLT at CPL 3", 13, 0, uva(u_hlt), USTACK_TOP);
    run_user(u_push, 0x8000000000000008ull);
    check_user("PUSH with a non-canonical RSP: #SS", 12, 0, uva(u_push_at),
               0x8000000000000008ull);

    ktest_gate(3, 0, 0, true);
    run_user(u_int3, 0);
    check_user("INT3 through a DPL 0 gate", 13, 3 * 8 + 2, uva(u_int3), USTACK_TOP);
    ktest_gate(3, 3, 0, true);
    run_user(u_int3, 0);
    check_user("INT3 through a DPL 3 gate", 3, 0, uva(u_int3) + 1, USTACK_TOP);
    ktest_gate(0x80, 0, 0, false);
    run_user(u_int80, 0);
    check_user("INT 0x80 through a DPL 0 gate", 13, 0x80 * 8 + 2, uva(u_int80), USTACK_TOP);
    ktest_gate(0x80, 3, 0, false);
    run_user(u_int80, 0);
    check_user("INT 0x80 through a DPL 3 gate", 0x80, 0, uva(u_int80) + 2, USTACK_TOP);
}

static void smap_smep(void)
{
    uint64_t user_page = UCODE_VA; /* mapped U by user_probes */
    write_cr4(read_cr4() | X86_CR4_SMAP | X86_CR4_SMEP);
    PROBE("mov (%%rbx), %%rax", user_page);
    check_kernel("SMAP: supervisor read of a user page", 14, X86_PF_P, probe_rip);
    PROBE("stac\n\t1: mov (%%rbx), %%rax\n\tclac", user_page);
    tap_ok(hits == 0, "SMAP: the same read with EFLAGS.AC set (STAC) succeeds");
    PROBE("call *%%rbx", user_page);
    check_kernel_at("SMEP: supervisor fetch from a user page", 14, X86_PF_P | X86_PF_ID, user_page,
                    probe_rsp - 8);
    write_cr4(read_cr4() & ~(X86_CR4_SMAP | X86_CR4_SMEP));
}

void ktest_main(void)
{
    tap_plan(10 * 5 + 5 + 9 * 5 + 1 + 5 + 1 + 5);
    for (unsigned v = 0; v < 32; v++)
        ktest_on(v, on_event);
    ktest_on(0x80, on_event);
    kernel_probes();
    user_probes();
    smap_smep();
}
