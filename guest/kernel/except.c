/*
 * except.c - exceptions to user mode (the contract: shared/nt/exception.h).
 *
 * A user thread's fault or trap becomes an EXCEPTION_RECORD plus a CONTEXT
 * written on its own user stack, and the thread resumes in the process's
 * user-mode dispatcher (ntdll's KiUserExceptionDispatcher).  The dispatcher
 * resumes the thread with NtContinue, or gives up with NtRaiseException(...,
 * FirstChance = FALSE): the process then ends with the exception code as its
 * exit status and a one-line report on the console - as it does at once
 * when it has no dispatcher, or when the frame cannot be written.
 */
#include "guest/kernel/kernel.h"

const char *except_name(ntk_status code)
{
    switch (code) {
    case NTK_STATUS_ACCESS_VIOLATION: return "access violation";
    case NTK_STATUS_GUARD_PAGE_VIOLATION: return "guard page violation";
    case NTK_STATUS_STACK_OVERFLOW: return "stack overflow";
    case NTK_STATUS_BREAKPOINT: return "breakpoint";
    case NTK_STATUS_SINGLE_STEP: return "single step";
    case NTK_STATUS_INTEGER_DIVIDE_BY_ZERO: return "integer divide by zero";
    case NTK_STATUS_ILLEGAL_INSTRUCTION: return "illegal instruction";
    case NTK_STATUS_PRIVILEGED_INSTRUCTION: return "privileged instruction";
    case NTK_STATUS_DATATYPE_MISALIGNMENT: return "datatype misalignment";
    case NTK_STATUS_ARRAY_BOUNDS_EXCEEDED: return "array bounds exceeded";
    case NTK_STATUS_NO_MEMORY: return "no memory";
    case NTK_STATUS_IN_PAGE_ERROR: return "in-page error";
    default: return "exception";
    }
}

void except_unhandled(struct process *p, const struct ntk_exception_record *r, uint64_t rip)
{
    kprintf("process %u (%s): unhandled exception 0x%08x (%s) at 0x%llx", p->pid, p->name,
            r->exception_code, except_name((ntk_status)r->exception_code),
            (unsigned long long)rip);
    if ((r->exception_code == (uint32_t)NTK_STATUS_ACCESS_VIOLATION ||
         r->exception_code == (uint32_t)NTK_STATUS_GUARD_PAGE_VIOLATION ||
         r->exception_code == (uint32_t)NTK_STATUS_IN_PAGE_ERROR) &&
        r->number_parameters >= 2) {
        uint64_t kind = r->exception_information[0];
        kprintf(": %s 0x%llx", kind == 1 ? "writing" : kind == 8 ? "executing" : "reading",
                (unsigned long long)r->exception_information[1]);
    }
    kprintf("\n");
    process_terminate(p, (int32_t)r->exception_code);
    panic("process_terminate returned");
}

static void save_fpu(uint8_t *area)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
}

static void context_from_frame(struct ntk_context *c, const struct trapframe *tf)
{
    memset(c, 0, sizeof *c);
    c->context_flags = NTK_CONTEXT_FULL | NTK_CONTEXT_SEGMENTS;
    c->seg_cs = UCODE;
    c->seg_ss = c->seg_ds = c->seg_es = c->seg_fs = c->seg_gs = UDATA;
    c->eflags = (uint32_t)tf->rflags;
    c->rax = tf->rax, c->rcx = tf->rcx, c->rdx = tf->rdx, c->rbx = tf->rbx;
    c->rsp = tf->rsp, c->rbp = tf->rbp, c->rsi = tf->rsi, c->rdi = tf->rdi;
    c->r8 = tf->r8, c->r9 = tf->r9, c->r10 = tf->r10, c->r11 = tf->r11;
    c->r12 = tf->r12, c->r13 = tf->r13, c->r14 = tf->r14, c->r15 = tf->r15;
    c->rip = tf->rip;
    save_fpu(c->flt_save); /* the kernel never touches the FPU: this is the user's */
    c->mx_csr = *(uint32_t *)(c->flt_save + 24);
}

/* Write record + context on the user stack and send the thread to the
 * dispatcher (tf is its user frame). */
static void dispatch(struct trapframe *tf, const struct ntk_exception_record *r,
                     const struct ntk_context *c)
{
    struct process *p = current->proc;
    uint64_t sp = (c->rsp - NTK_DISPATCH_FRAME_SIZE) & ~15ull;
    if (!p->dispatcher || c->rsp < NTK_DISPATCH_FRAME_SIZE ||
        !NTK_SUCCESS(copy_to_user(sp, c, sizeof *c)) ||
        !NTK_SUCCESS(copy_to_user(sp + NTK_DISPATCH_RECORD_OFFSET, r, sizeof *r)))
        except_unhandled(p, r, r->exception_address);
    memset(tf, 0, sizeof *tf);
    tf->rip = p->dispatcher;
    tf->cs = UCODE;
    tf->ss = UDATA;
    tf->rsp = sp;
    tf->rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
    tf->rcx = sp + NTK_DISPATCH_RECORD_OFFSET;
    tf->rdx = sp;
}

void except_dispatch(struct trapframe *tf, ntk_status code, int nparams, uint64_t p0, uint64_t p1)
{
    except_dispatch3(tf, code, nparams, p0, p1, 0);
}

void except_dispatch3(struct trapframe *tf, ntk_status code, int nparams, uint64_t p0,
                      uint64_t p1, uint64_t p2)
{
    struct ntk_exception_record r;
    memset(&r, 0, sizeof r);
    r.exception_code = (uint32_t)code;
    r.exception_address = tf->rip;
    r.number_parameters = (uint32_t)nparams;
    r.exception_information[0] = p0;
    r.exception_information[1] = p1;
    r.exception_information[2] = p2;
    struct ntk_context c;
    context_from_frame(&c, tf);
    dispatch(tf, &r, &c);
}

/* Load a user-supplied CONTEXT into the frame: the user may set any
 * register, but not the privilege level, IOPL or other system flags. */
static void frame_from_context(struct trapframe *tf, const struct ntk_context *c)
{
    const uint64_t user_flags = X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF |
                                X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_OF |
                                X86_RFLAGS_AC | X86_RFLAGS_ID;
    tf->rax = c->rax, tf->rcx = c->rcx, tf->rdx = c->rdx, tf->rbx = c->rbx;
    tf->rsp = c->rsp, tf->rbp = c->rbp, tf->rsi = c->rsi, tf->rdi = c->rdi;
    tf->r8 = c->r8, tf->r9 = c->r9, tf->r10 = c->r10, tf->r11 = c->r11;
    tf->r12 = c->r12, tf->r13 = c->r13, tf->r14 = c->r14, tf->r15 = c->r15;
    tf->rip = c->rip;
    tf->rflags = (c->eflags & user_flags) | X86_RFLAGS_IF | X86_RFLAGS_FIXED;
    tf->cs = UCODE;
    tf->ss = UDATA;
    tf->vector = 0; /* return with IRETQ: every register as the context says */
}

static void load_fpu(struct ntk_context *c)
{
    /* FXRSTOR faults on reserved MXCSR bits: keep the defined ones. */
    uint32_t *mxcsr = (uint32_t *)(c->flt_save + 24);
    *mxcsr &= 0xffff;
    __asm__ volatile("fxrstor64 %0" ::"m"(*(uint8_t(*)[512])c->flt_save));
}

ntk_status except_continue(struct trapframe *tf, uint64_t context)
{
    struct ntk_context c;
    ntk_status st = copy_from_user(&c, context, sizeof c);
    if (!NTK_SUCCESS(st))
        return st;
    frame_from_context(tf, &c);
    if (c.context_flags & 0x8u)
        load_fpu(&c);
    return NTK_STATUS_SUCCESS;
}

ntk_status except_raise(struct trapframe *tf, uint64_t record, uint64_t context, bool first);
ntk_status except_raise(struct trapframe *tf, uint64_t record, uint64_t context, bool first)
{
    struct ntk_exception_record r;
    struct ntk_context c;
    ntk_status st = copy_from_user(&r, record, sizeof r);
    if (NTK_SUCCESS(st))
        st = copy_from_user(&c, context, sizeof c);
    if (!NTK_SUCCESS(st))
        return st;
    if (r.number_parameters > NTK_EXCEPTION_MAXIMUM_PARAMETERS)
        return NTK_STATUS_INVALID_PARAMETER;
    if (!first)
        except_unhandled(current->proc, &r, r.exception_address);
    frame_from_context(tf, &c);
    c.rsp = tf->rsp;
    dispatch(tf, &r, &c);
    return NTK_STATUS_SUCCESS;
}
