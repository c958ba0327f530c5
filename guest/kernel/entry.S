/* entry.S - the kernel's first instruction.  The boot hand-off gives us
 * long mode, a 16 KB stack and the boot information in RDI
 * (shared/bootinfo.h); kmain never returns. */
    .section .text.entry, "ax"
    .globl _start
_start:
    xor %rbp, %rbp
    call kmain
1:  hlt
    jmp 1b
    .section .note.GNU-stack, "", @progbits
