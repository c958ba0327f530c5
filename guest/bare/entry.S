/* entry.S - the test kernel's first instruction (the boot stack is usable). */
    .section .text.entry, "ax"
    .globl _start
_start:
    xor %rbp, %rbp
    call ktest_start
1:  hlt
    jmp 1b
    .section .note.GNU-stack, "", @progbits
