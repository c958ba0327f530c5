/*
 * chkstk.S - ___chkstk_ms, the stack probe gcc calls (mingw-w64) before a
 * frame of 4 KB or more: RAX = the bytes the caller is about to subtract
 * from RSP.  It touches each page of the new frame from the top down, so
 * that the stack grows one page at a time through its guard page (as
 * Windows's __chkstk makes it): without it, a large frame would touch a
 * reserved page below the guard page first and fault.  It preserves every
 * register but the flags.  Linked into every program and DLL (libgcc's
 * copy is not: we link with -nostdlib).
 */
    .text
    .globl ___chkstk_ms
    .def ___chkstk_ms; .scl 2; .type 32; .endef
___chkstk_ms:
    push %rcx
    push %rdx
    lea 24(%rsp), %rcx          /* the caller's RSP: above our pushes and the return address */
    mov %rcx, %rdx
    sub %rax, %rdx              /* the lowest byte of the new frame */
1:
    sub $0x1000, %rcx
    cmp %rdx, %rcx
    jb 2f
    testb %al, (%rcx)           /* touch: a read is enough for a guard page */
    jmp 1b
2:
    testb %al, (%rdx)
    pop %rdx
    pop %rcx
    ret
