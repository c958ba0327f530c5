/*
 * switch.S - switching kernel stacks between threads (xv6's swtch).
 *
 * swtch(&old->ksp, new->ksp) saves the callee-saved registers on the old
 * thread's kernel stack, stores its RSP, loads the new thread's RSP and pops
 * the new thread's registers: it returns in the new thread, where that
 * thread once called swtch.  A new thread's stack is made to look as if it
 * had called swtch from thread_trampoline.
 */
    .text
    .globl swtch
swtch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* A new thread starts here, with its body in R12 and argument in R13. */
    .globl thread_trampoline
thread_trampoline:
    call sched_new_thread_begins
    mov %r13, %rdi
    call *%r12
    mov $0, %edi
    call thread_exit
    ud2
    .section .note.GNU-stack, "", @progbits
