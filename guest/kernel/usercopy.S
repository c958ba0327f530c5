/*
 * usercopy.S - the only code that touches user memory from the kernel.
 *
 * copy_from_user(dst, src, n) / copy_to_user(dst, src, n) check that the
 * user range lies below USER_TOP, open SMAP's window (STAC) and copy with
 * REP MOVSB.  A page fault inside the copy goes to the page-fault handler
 * like a user fault (demand-zero pages are made, stacks grow); when it
 * cannot be resolved, usercopy_fixup() makes the copy return the exception
 * code in RAX instead (Linux's exception tables, with one entry).
 */
    .text
    .globl copy_from_user, copy_to_user, usercopy_insn, usercopy_fail
/* ntk_status copy_from_user(void *dst, uint64_t src, uint64_t n) */
copy_from_user:
    mov %rsi, %rax
    jmp 1f
/* ntk_status copy_to_user(uint64_t dst, const void *src, uint64_t n) */
copy_to_user:
    mov %rdi, %rax
1:  mov %rdx, %rcx
    add %rcx, %rax                  /* end of the user range */
    jc 2f                           /* wrapped */
    movabs $0x00007fffffff0000, %r8 /* USER_TOP */
    cmp %r8, %rax
    ja 2f
    stac
usercopy_insn:
    rep movsb
    clac
    xor %eax, %eax
    ret
usercopy_fail:                      /* the fault handler resumes here, RAX = status */
    clac
    ret
2:  mov $0xc0000005, %eax           /* STATUS_ACCESS_VIOLATION */
    ret
    .section .note.GNU-stack, "", @progbits
