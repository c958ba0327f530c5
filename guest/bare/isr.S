/*
 * isr.S - one stub per vector: push a zero error code where the CPU pushes
 * none, push the vector, save the general registers, call ktest_dispatch
 * with the frame, restore, drop vector and error code, IRETQ.
 */
#include "guest/lib/isr.inc"
    .text
    ISR_TABLE

isr_common:
    SAVE_GPRS
    mov %rsp, %rdi
    cld
    call ktest_dispatch
    RESTORE_GPRS
    add $16, %rsp          /* vector, error code */
    iretq

/* ktest_enter_user(rip, rsp, cs, rflags) */
    .globl ktest_enter_user
ktest_enter_user:
    mov $0x1b, %eax
    mov %ax, %ds
    mov %ax, %es
    pushq $0x1b          /* SS */
    pushq %rsi           /* RSP */
    pushq %rcx           /* RFLAGS */
    pushq %rdx           /* CS */
    pushq %rdi           /* RIP */
    iretq

/*
 * void ktest_run_user(rip, rsp, rflags, cs, rbx): run at CPL 3 (with RBX as
 * given) until a handler calls ktest_user_return(frame), which resumes here
 * at CPL 0.
 */
    .text
    .globl ktest_run_user, ktest_user_resume
ktest_run_user:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, ktest_saved_rsp(%rip)
    mov $0x1b, %eax
    mov %ax, %ds
    mov %ax, %es
    pushq $0x1b
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rdi
    mov %r8, %rbx
    iretq
ktest_user_resume:
    mov $0x10, %eax
    mov %ax, %ds
    mov %ax, %es
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

    .data
    .globl ktest_saved_rsp
ktest_saved_rsp:
    .quad 0
    .section .note.GNU-stack, "", @progbits
