/*
 * trap.S - the entry of every exception and interrupt.
 *
 * The CPU pushes SS, RSP, RFLAGS, CS, RIP (and an error code for some
 * exceptions) on the kernel stack: RSP0 of the TSS when it comes from user
 * mode, an IST stack for #DF and NMI.  Each vector's stub pushes a zero
 * where the CPU pushes no error code, then the vector number, and jumps to
 * the common code, which saves the general registers so that the stack holds
 * a struct trapframe (kernel.h), and calls trap(tf).  trap_return pops it.
 */
#include "guest/lib/isr.inc"
    .text
    ISR_TABLE

isr_common:
    SAVE_GPRS
    cld
    mov %rsp, %rdi
    call trap
    /* fall through */

/* Pop the trapframe at RSP and return to where it says (IRETQ). */
    .globl trap_return
trap_return:
    RESTORE_GPRS
    add $16, %rsp          /* vector, error code */
    iretq
    .section .note.GNU-stack, "", @progbits
