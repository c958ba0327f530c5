/*
 * trap.c - what happens on each exception and interrupt (trap.S saved the
 * context in a trapframe).
 *
 *   timer          end of the quantum: wake sleepers, switch threads
 *   #PF            vm_fault(): demand-zero pages, guard pages, stack growth;
 *                  what it cannot resolve becomes an exception for the user
 *                  thread (access violation with read/write/execute and the
 *                  address), or, inside copy_from_user/copy_to_user, a failed
 *                  copy; anywhere else in the kernel, a panic
 *   other faults   from user mode: exceptions with Windows's codes; from
 *                  kernel mode: a panic (#DF arrives on its own IST stack)
 */
#include "guest/kernel/kernel.h"

extern const char usercopy_insn[], usercopy_fail[];

/* Before any return to user mode: a thread told to terminate exits here. */
void trap_return_to_user(struct trapframe *tf)
{
    (void)tf;
    sched_poll();
    if (current->terminate_pending)
        thread_exit(current->exit_status);
}

bool usercopy_fixup(struct trapframe *tf, ntk_status status)
{
    if (tf->rip != (uint64_t)usercopy_insn)
        return false;
    tf->rip = (uint64_t)usercopy_fail;
    tf->rax = (uint64_t)(uint32_t)status;
    return true;
}

static int fault_access(uint64_t error)
{
    if (error & X86_PF_ID)
        return FAULT_EXECUTE;
    return (error & X86_PF_W) ? FAULT_WRITE : FAULT_READ;
}

static void page_fault(struct trapframe *tf, bool user)
{
    uint64_t va = read_cr2();
    int access = fault_access(tf->error);
    if (!user) {
        /* Only the copy routines touch user memory, with SMAP open. */
        if (tf->rip != (uint64_t)usercopy_insn || va >= USER_TOP ||
            (tf->error & X86_PF_RSVD) || current->proc == system_process)
            panic_trap("page fault in kernel mode", tf);
        ntk_status st = vm_fault(current->proc, va, access, true);
        if (!NTK_SUCCESS(st))
            usercopy_fixup(tf, st);
        return;
    }
    if (tf->error & X86_PF_RSVD)
        panic_trap("reserved bit set in a user page-table entry", tf);
    ntk_status st = vm_fault(current->proc, va, access, false);
    if (NTK_SUCCESS(st) || current->terminate_pending)
        return; /* resolved, or the thread ends on its way out anyway */
    if (st == NTK_STATUS_IN_PAGE_ERROR) /* the image or paging-file page could not be read */
        except_dispatch3(tf, st, 3, (uint64_t)access, va, (uint32_t)NTK_STATUS_DEVICE_DATA_ERROR);
    else
        except_dispatch(tf, st, 2, (uint64_t)access, va);
}

/* #GP from user mode: a privileged instruction, or a bad (non-canonical)
 * address, which Windows reports as an access violation at address -1. */
static void general_protection(struct trapframe *tf)
{
    uint8_t b[2] = { 0, 0 };
    copy_from_user(b, tf->rip, 2);
    bool privileged = b[0] == 0xf4 || b[0] == 0xfa || b[0] == 0xfb || /* hlt cli sti */
                      (b[0] >= 0xe4 && b[0] <= 0xe7) || (b[0] >= 0xec && b[0] <= 0xef) ||
                      b[0] == 0x6c || b[0] == 0x6d || b[0] == 0x6e || b[0] == 0x6f || /* ins/outs */
                      (b[0] == 0x0f && (b[1] == 0x01 || b[1] == 0x06 || b[1] == 0x08 ||
                                        b[1] == 0x09 || b[1] == 0x20 || b[1] == 0x22 ||
                                        b[1] == 0x30 || b[1] == 0x32 || b[1] == 0x00));
    if (privileged)
        except_dispatch(tf, NTK_STATUS_PRIVILEGED_INSTRUCTION, 0, 0, 0);
    else
        except_dispatch(tf, NTK_STATUS_ACCESS_VIOLATION, 2, FAULT_READ, ~0ull);
}

static void user_exception(struct trapframe *tf)
{
    switch (tf->vector) {
    case X86_VEC_DE: except_dispatch(tf, NTK_STATUS_INTEGER_DIVIDE_BY_ZERO, 0, 0, 0); break;
    case X86_VEC_DB: except_dispatch(tf, NTK_STATUS_SINGLE_STEP, 0, 0, 0); break;
    case X86_VEC_BP:
        tf->rip--; /* Windows reports the INT3 itself, and resumes there */
        except_dispatch(tf, NTK_STATUS_BREAKPOINT, 1, 0, 0);
        break;
    case X86_VEC_OF: except_dispatch(tf, (ntk_status)0xC0000095, 0, 0, 0); break;
    case X86_VEC_BR: except_dispatch(tf, NTK_STATUS_ARRAY_BOUNDS_EXCEEDED, 0, 0, 0); break;
    case X86_VEC_UD: except_dispatch(tf, NTK_STATUS_ILLEGAL_INSTRUCTION, 0, 0, 0); break;
    case X86_VEC_GP: general_protection(tf); break;
    case X86_VEC_SS: except_dispatch(tf, NTK_STATUS_ACCESS_VIOLATION, 2, FAULT_READ, ~0ull); break;
    case X86_VEC_AC: except_dispatch(tf, NTK_STATUS_DATATYPE_MISALIGNMENT, 0, 0, 0); break;
    case X86_VEC_MF: except_dispatch(tf, (ntk_status)0xC00002B4, 0, 0, 0); break;
    case X86_VEC_XM: except_dispatch(tf, (ntk_status)0xC00002B5, 0, 0, 0); break;
    default: panic_trap("unexpected exception from user mode", tf);
    }
}

void trap(struct trapframe *tf)
{
    bool user = (tf->cs & 3) == 3;
    switch (tf->vector) {
    case VEC_TIMER:
        timer_eoi();
        sched_timer_tick(user);
        return;
    case VEC_SPURIOUS:
        return;
    case X86_VEC_PF:
        page_fault(tf, user);
        break;
    case X86_VEC_DF:
        panic_trap("double fault", tf);
    case X86_VEC_NMI:
        panic_trap("NMI", tf);
    default:
        if (!user)
            panic_trap(tf->vector < 32 ? "exception in kernel mode" : "unexpected interrupt", tf);
        user_exception(tf);
        break;
    }
    if (user)
        trap_return_to_user(tf);
}
