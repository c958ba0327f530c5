/*
 * test_except.c - exceptions delivered to the user-mode dispatcher: the
 * frame on the stack (shared/nt/exception.h), the record's code, address
 * and parameters for each kind of fault, the CONTEXT's registers, resuming
 * with a changed context (NtContinue), and NtRaiseException.  TAP.
 */
#include "guest/user/ntk.h"

static struct ntk_exception_record rec;
static struct ntk_context ctx;
static uint64_t rec_addr, ctx_addr, handler_rsp;
static unsigned calls;
static uint64_t skip; /* bytes to skip past the faulting instruction */
static uint64_t new_rbx;

static bool handler(struct ntk_exception_record *r, struct ntk_context *c)
{
    rec = *r;
    ctx = *c;
    rec_addr = (uint64_t)r;
    ctx_addr = (uint64_t)c;
    __asm__ volatile("mov %%rsp, %0" : "=r"(handler_rsp));
    calls++;
    c->rip += skip;
    if (new_rbx)
        c->rbx = new_rbx;
    return true;
}

/* Each snippet: the faulting instruction at its label, 2 bytes long where
 * the test skips it. */
__asm__(".text\n"
        ".globl do_int3, do_ud2, do_hlt, do_div0, int3_at, ud2_at, hlt_at, div_at, do_regs, regs_at\n"
        "do_int3: int3_at: int3\n ret\n"
        "do_ud2: ud2_at: ud2\n ret\n"
        "do_hlt: hlt_at: hlt\n nop\n ret\n"
        "do_div0: xor %ecx, %ecx\n mov $1, %eax\n xor %edx, %edx\n div_at: div %ecx\n ret\n"
        /* do_regs: RBX = 0x1111, R12 = 0x2222, fault, then return RBX (the handler may change it) */
        "do_regs: push %rbx\n push %r12\n mov $0x1111, %ebx\n mov $0x2222, %r12d\n"
        "regs_at: ud2\n mov %rbx, %rax\n pop %r12\n pop %rbx\n ret\n");
/* raise_first_chance(record, context): fill the context so that resuming it
 * returns from this function (SysV callee-saved registers, RSP, RIP), then
 * NtRaiseException(record, context, TRUE). */
__asm__(".text\n.globl raise_first_chance\n"
        "raise_first_chance:\n"
        "  mov %rbx, 0x90(%rsi)\n mov %rbp, 0xa0(%rsi)\n mov %r12, 0xd8(%rsi)\n"
        "  mov %r13, 0xe0(%rsi)\n mov %r14, 0xe8(%rsi)\n mov %r15, 0xf0(%rsi)\n"
        "  mov %rsp, 0x98(%rsi)\n lea 1f(%rip), %rax\n mov %rax, 0xf8(%rsi)\n"
        "  movl $0x100003, 0x30(%rsi)\n"
        "  mov %rdi, %rcx\n mov %rsi, %rdx\n mov $1, %r8d\n"
        "  sub $40, %rsp\n call NtRaiseException\n add $40, %rsp\n"
        "1: ret\n");
void raise_first_chance(struct ntk_exception_record *r, struct ntk_context *c);
void do_int3(void), do_ud2(void), do_hlt(void), do_div0(void);
uint64_t do_regs(void);
extern const char int3_at[], ud2_at[], hlt_at[], div_at[], regs_at[];

int main(void)
{
    tap_plan(22);
    set_exception_handler(handler);

    skip = 1; /* Windows reports INT3 at itself; resume past it */
    do_int3();
    tap_ok(calls == 1 && rec.exception_code == (uint32_t)NTK_STATUS_BREAKPOINT &&
               rec.exception_address == (uint64_t)int3_at && ctx.rip == (uint64_t)int3_at,
           "int3: STATUS_BREAKPOINT, address and RIP at the INT3");
    tap_ok(rec.number_parameters == 1 && rec.exception_information[0] == 0,
           "int3: one parameter, 0");
    tap_ok(ctx_addr % 16 == 0 && rec_addr == ctx_addr + NTK_DISPATCH_RECORD_OFFSET,
           "frame: CONTEXT 16-byte aligned, the record 0x4f0 above it");
    tap_ok(ctx.rsp > ctx_addr + NTK_DISPATCH_FRAME_SIZE - 16 && ctx.rsp <= ctx_addr + NTK_DISPATCH_FRAME_SIZE + 16,
           "frame: right below the faulting RSP");
    tap_ok(handler_rsp < ctx_addr, "the dispatcher ran on the same stack, below the frame");
    tap_ok(ctx.context_flags == (NTK_CONTEXT_FULL | NTK_CONTEXT_SEGMENTS) && ctx.seg_cs == 0x23 &&
               ctx.seg_ss == 0x2b - 0x10 && (ctx.eflags & 0x200),
           "CONTEXT: flags FULL|SEGMENTS, CS 0x23, SS 0x1b, IF set");
    tap_eq(ctx.mx_csr, 0x1f80, "CONTEXT: MXCSR (the FXSAVE image's)");

    skip = 2;
    do_ud2();
    tap_ok(rec.exception_code == (uint32_t)NTK_STATUS_ILLEGAL_INSTRUCTION &&
               rec.exception_address == (uint64_t)ud2_at && rec.number_parameters == 0,
           "ud2: STATUS_ILLEGAL_INSTRUCTION at the instruction");
    skip = 1;
    do_hlt();
    tap_ok(rec.exception_code == (uint32_t)NTK_STATUS_PRIVILEGED_INSTRUCTION &&
               rec.exception_address == (uint64_t)hlt_at,
           "hlt in user mode: STATUS_PRIVILEGED_INSTRUCTION");
    skip = 2;
    do_div0();
    tap_ok(rec.exception_code == (uint32_t)NTK_STATUS_INTEGER_DIVIDE_BY_ZERO &&
               rec.exception_address == (uint64_t)div_at,
           "div by 0: STATUS_INTEGER_DIVIDE_BY_ZERO");
    uint64_t noncanon = 0x8000000000000000ull;
    skip = 3; /* mov (%rax), %cl? the probe below is 3 bytes: mov (%rax),%rax */
    uint64_t v = 0;
    __asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(noncanon) : "memory");
    (void)v;
    tap_ok(rec.exception_code == (uint32_t)NTK_STATUS_ACCESS_VIOLATION &&
               rec.number_parameters == 2 && rec.exception_information[1] == ~0ull,
           "a non-canonical address: access violation at address -1 (#GP)");

    skip = 2;
    new_rbx = 0xabcdef;
    uint64_t got = do_regs();
    tap_ok(ctx.rbx == 0x1111 && ctx.r12 == 0x2222 && ctx.rip == (uint64_t)regs_at,
           "CONTEXT holds the registers at the fault (RBX, R12, RIP)");
    tap_eq(got, 0xabcdef, "NtContinue resumes with the handler's registers (RBX changed)");
    new_rbx = 0;

    struct ntk_exception_record r;
    memset(&r, 0, sizeof r);
    r.exception_code = 0xe0001234;
    r.number_parameters = 3;
    r.exception_information[0] = 1, r.exception_information[1] = 2, r.exception_information[2] = 3;
    struct ntk_context c;
    memset(&c, 0, sizeof c);
    unsigned before = calls;
    skip = 0;
    raise_first_chance(&r, &c);
    tap_ok(calls == before + 1 && rec.exception_code == 0xe0001234 && rec.number_parameters == 3 &&
               rec.exception_information[2] == 3,
           "NtRaiseException (first chance) reaches the dispatcher with our record");
    tap_eq(ctx.rip == c.rip, 1, "and our context");

    struct ntk_context bad;
    tap_status(NtContinue((struct ntk_context *)0xffff800000000000ull, 0),
               NTK_STATUS_ACCESS_VIOLATION, "NtContinue with a kernel pointer");
    memset(&bad, 0, sizeof bad);
    tap_status(NtRaiseException((struct ntk_exception_record *)0x10, &bad, 1),
               NTK_STATUS_ACCESS_VIOLATION, "NtRaiseException with a bad record pointer");
    r.number_parameters = 16;
    tap_status(NtRaiseException(&r, &bad, 1), NTK_STATUS_INVALID_PARAMETER,
               "NtRaiseException with 16 parameters");

    /* NtContinue may not raise the privilege level or set IOPL. */
    skip = 2;
    new_rbx = 0;
    calls = 0;
    do_ud2();
    tap_ok(calls == 1, "exceptions keep coming after all that");
    uint64_t rfl;
    __asm__ volatile("pushfq; pop %0" : "=r"(rfl));
    tap_ok((rfl & 0x3000) == 0 && (rfl & 0x200), "IOPL 0, IF 1 after NtContinue");
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    tap_eq(cs, 0x23, "still at CPL 3");
    tap_eq(exceptions_dispatched, 8, "8 exceptions went through KiUserExceptionDispatcher");
    return tap_done();
}
