/*
 * syscall.S - the SYSCALL entry (IA32_LSTAR).
 *
 * SYSCALL leaves RIP in RCX and RFLAGS in R11, loads the kernel's CS and SS,
 * masks RFLAGS with IA32_FMASK (IF, TF, DF, AC cleared) and does not switch
 * stacks.  One CPU, interrupts off: the user RSP can wait in a global while
 * we load the current thread's kernel stack.  We build the same trapframe an
 * interrupt would (vector VEC_SYSCALL), call syscall_dispatch, and return
 * with SYSRETQ when the frame still describes an ordinary 64-bit user
 * context, else through trap_return (IRETQ) - after NtContinue, for
 * example, or when an exception is being dispatched.
 */
#include "guest/lib/isr.inc"
    .text
    .globl syscall_entry
syscall_entry:
    mov %rsp, syscall_user_rsp(%rip)
    mov cpu_syscall_stack(%rip), %rsp
    pushq $0x1b                     /* SS: user data */
    pushq syscall_user_rsp(%rip)    /* RSP */
    pushq %r11                      /* RFLAGS */
    pushq $0x23                     /* CS: user code */
    pushq %rcx                      /* RIP */
    pushq $0                        /* error code */
    pushq $0x100                    /* vector: VEC_SYSCALL */
    SAVE_GPRS
    mov %rsp, %rdi
    call syscall_dispatch
    /* SYSRETQ only for a plain 64-bit user frame with a canonical user RIP;
     * a non-canonical RCX would fault at CPL 0 on the user's stack. */
    cmpq $0x100, 15*8(%rsp)
    jne trap_return
    cmpq $0x23, 18*8(%rsp)
    jne trap_return
    movabs $0x00007fffffffffff, %rax
    cmpq %rax, 17*8(%rsp)
    ja trap_return
    RESTORE_GPRS                    /* RCX and R11 are overwritten below */
    mov 16(%rsp), %rcx              /* RIP */
    mov 32(%rsp), %r11              /* RFLAGS */
    mov 40(%rsp), %rsp              /* the user stack */
    sysretq

    .bss
    .align 8
syscall_user_rsp:
    .quad 0
    .section .note.GNU-stack, "", @progbits
