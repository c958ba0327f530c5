/* entry.S - the kernel's first instruction: the boot hand-off gives us a
 * stack and the boot information in RDI (shared/bootinfo.h). */
    .section .text.entry, "ax"
    .globl _start
_start:
    xor %rbp, %rbp
    call kmain
1:  hlt
    jmp 1b
    .section .note.GNU-stack, "", @progbits
