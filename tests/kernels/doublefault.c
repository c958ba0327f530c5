/*
 * doublefault.c - interrupt stacks (IST) and double faults (SDM Vol. 3A
 * §6.14.5, §6.15 "Interrupt 8").
 *
 *   - a gate with IST 1 switches to that stack even without a privilege
 *     change, and from CPL 3 it is used instead of RSP0;
 *   - a #PF whose delivery faults again (the kernel stack is not mapped) is
 *     a double fault, delivered on its own IST stack, error code 0, with CR2
 *     holding the stack address the second #PF could not write;
 *   - a #PF whose gate is not present (#NP while delivering it) is a double
 *     fault too;
 *   - a #UD whose gate is not present is handled serially: #NP is delivered.
 */
#include "tests/kernels/lib/ktest.h"

#define UCODE_VA 0x0000000000400000ull
#define USTACK_TOP 0x0000000000800000ull
#define UNMAPPED_STACK 0x0000500000001000ull /* never mapped */

static struct frame got;
static uint64_t got_cr2, got_rsp;
static unsigned hits;
volatile uint64_t resume_at, resume_rsp;

static void on_event(struct frame *f)
{
    got = *f;
    got_cr2 = read_cr2();
    got_rsp = ktest_frame_rsp;
    hits++;
    if (f->cs == UCODE) {
        ktest_user_return(f);
    } else {
        f->rip = resume_at;
        f->rsp = resume_rsp;
    }
}

static uint64_t ist_top(unsigned n)
{
    return (uint64_t)((n == 1 ? ktest_ist1_stack : ktest_ist2_stack) + KTEST_STACK_SIZE);
}

/* Run `insn` with RSP = rsp (if non-zero); a handler resumes after it. */
#define TRAP(insn, rsp)                                                                 \
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, resume_at(%%rip)\n\t"         \
                     "mov %%rsp, resume_rsp(%%rip)\n\t"                                \
                     "test %0, %0\n\tjz 2f\n\tmov %0, %%rsp\n"                         \
                     "2: " insn "\n1:"                                                  \
                     : : "r"((uint64_t)(rsp)) : "rax", "memory", "cc")

__asm__(".section .rodata\nu_ud: ud2\nu_end:\n.text\n");
extern const char u_ud[], u_end[];

void ktest_main(void)
{
    tap_plan(14);
    for (unsigned v = 0; v < 32; v++)
        ktest_on(v, on_event);

    /* IST without a privilege change. */
    ktest_gate(6, 0, 1, false);
    TRAP("ud2", 0);
    tap_ok(hits == 1 && got.vector == 6, "#UD delivered through an IST gate");
    tap_eq(got_rsp + 40, ist_top(1), "the frame sits at the top of IST1 (CPL 0 -> 0)");
    tap_ok(got.cs == KCODE && got.rsp == resume_rsp, "it records the interrupted CPL 0 stack");

    /* IST from CPL 3: IST1, not RSP0. */
    ktest_user_code(UCODE_VA, u_ud, (unsigned)(u_end - u_ud));
    ktest_user_stack(USTACK_TOP);
    hits = 0;
    ktest_run_user(UCODE_VA, USTACK_TOP, X86_RFLAGS_FIXED, UCODE, 0);
    tap_ok(hits == 1 && got.cs == UCODE && got.rip == UCODE_VA, "#UD from CPL 3");
    tap_eq(got_rsp + 40, ist_top(1), "the frame sits at the top of IST1, not RSP0");

    /* #PF while delivering #PF: double fault, on IST2. */
    ktest_gate(8, 0, 2, false);
    hits = 0;
    TRAP("movabs 0x600000000000, %%rax", UNMAPPED_STACK);
    tap_ok(hits == 1 && got.vector == 8, "#PF with an unmapped stack becomes #DF (vector %llu)",
           (unsigned long long)got.vector);
    tap_eq(got.error_code, 0, "#DF error code");
    tap_eq(got_rsp + 48, ist_top(2), "the #DF frame sits at the top of IST2");
    tap_eq(got_cr2, UNMAPPED_STACK - 8, "CR2 = the first frame slot the CPU could not write (SS)");
    tap_eq(got.rsp, UNMAPPED_STACK, "the #DF frame records the interrupted RSP");

    /* #PF whose gate is not present: #NP while delivering -> #DF. */
    uint8_t saved[16];
    struct desc_ptr idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint8_t *pf_gate = (uint8_t *)idtr.base + 16 * 14;
    memcpy(saved, pf_gate, 16);
    pf_gate[5] &= 0x7f;
    hits = 0;
    TRAP("movabs 0x600000000000, %%rax", 0);
    tap_ok(hits == 1 && got.vector == 8, "#PF through a not-present gate becomes #DF (vector %llu)",
           (unsigned long long)got.vector);
    tap_eq(got.error_code, 0, "#DF error code");
    memcpy(pf_gate, saved, 16);

    /* #UD whose gate is not present: benign then contributory: serial #NP. */
    ktest_gate(6, 0, 0, false);
    uint8_t *ud_gate = (uint8_t *)idtr.base + 16 * 6;
    ud_gate[5] &= 0x7f;
    hits = 0;
    TRAP("ud2", 0);
    tap_ok(hits == 1 && got.vector == 11, "#UD through a not-present gate delivers #NP (vector %llu)",
           (unsigned long long)got.vector);
    /* Error code: IDT flag (bit 1), EXT (bit 0), index 6. */
    tap_eq(got.error_code, 6 * 8 + 2 + 1, "#NP error code names IDT entry 6");
}
