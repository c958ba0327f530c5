/*
 * dispatch.S - KiUserExceptionDispatcher, where the kernel resumes a thread
 * that raised an exception (the contract: shared/nt/exception.h):
 *
 *     RSP = RDX = &CONTEXT (16-byte aligned), RCX = &EXCEPTION_RECORD
 *
 * As Windows's: call RtlDispatchException(record, context); if a handler
 * took the exception, resume with NtContinue(context, FALSE) (the handler
 * may have changed the context); otherwise NtRaiseException(record,
 * context, FirstChance = FALSE), which ends the process with the exception
 * code and the kernel's one-line report.  NtContinue returns only when it
 * fails (a context it refuses): the exception then ends the process as an
 * unhandled one.  NtRaiseException(FALSE) never returns; the ud2 after it
 * is a guard.
 *
 * RSP is 16-byte aligned on entry (not "after a call"), so reserving the
 * 32-byte home area keeps the alignment a call needs.  The record and the
 * context live above RSP and stay valid: everything the handlers push goes
 * below.  RBX and RSI may be used freely: this frame never returns.
 */
    .text
    .globl KiUserExceptionDispatcher
    .def KiUserExceptionDispatcher; .scl 2; .type 32; .endef
KiUserExceptionDispatcher:
    cld
    mov %rcx, %rbx              /* record */
    mov %rdx, %rsi              /* context */
    sub $0x20, %rsp             /* home area for the callee */
    call RtlDispatchException
    test %al, %al
    jz 1f
    mov %rsi, %rcx
    xor %edx, %edx
    call NtContinue
1:
    mov %rbx, %rcx
    mov %rsi, %rdx
    xor %r8d, %r8d
    call NtRaiseException
    ud2
