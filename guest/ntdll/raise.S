/*
 * raise.S - RtlCaptureContext and RtlRaiseException (x64 CONTEXT layout:
 * shared/nt/exception.h).
 *
 * RtlCaptureContext(CONTEXT *c) describes its caller as it will be after
 * the call returns: Rip = the return address, Rsp = the caller's RSP then;
 * every other integer register as it was at the call; segments, EFlags,
 * MxCsr and the FXSAVE image (the XMM registers); ContextFlags =
 * CONTEXT_FULL | CONTEXT_SEGMENTS.
 *
 * RtlRaiseException(EXCEPTION_RECORD *r) raises a software exception, as
 * Windows's does: it captures its caller's context (so that continuing
 * resumes after the call), sets r->ExceptionAddress to that Rip, and runs
 * the vectored handlers (RtlDispatchException); handled, it resumes with
 * NtContinue; unhandled, NtRaiseException(FirstChance = FALSE) ends the
 * process.
 */
#define CTX_FLAGS  0x30
#define CTX_MXCSR  0x34
#define CTX_SEGCS  0x38
#define CTX_SEGDS  0x3a
#define CTX_SEGES  0x3c
#define CTX_SEGFS  0x3e
#define CTX_SEGGS  0x40
#define CTX_SEGSS  0x42
#define CTX_EFLAGS 0x44
#define CTX_RAX    0x78
#define CTX_RCX    0x80
#define CTX_RDX    0x88
#define CTX_RBX    0x90
#define CTX_RSP    0x98
#define CTX_RBP    0xa0
#define CTX_RSI    0xa8
#define CTX_RDI    0xb0
#define CTX_R8     0xb8
#define CTX_R9     0xc0
#define CTX_R10    0xc8
#define CTX_R11    0xd0
#define CTX_R12    0xd8
#define CTX_R13    0xe0
#define CTX_R14    0xe8
#define CTX_R15    0xf0
#define CTX_RIP    0xf8
#define CTX_FLTSAVE 0x100
#define CONTEXT_FULL_SEGMENTS 0x0010000f

#define REC_ADDRESS 0x10

    .text
    .globl RtlCaptureContext
    .def RtlCaptureContext; .scl 2; .type 32; .endef
RtlCaptureContext:
    pushfq
    mov %rax, CTX_RAX(%rcx)
    mov %rcx, CTX_RCX(%rcx)
    mov %rdx, CTX_RDX(%rcx)
    mov %rbx, CTX_RBX(%rcx)
    mov %rbp, CTX_RBP(%rcx)
    mov %rsi, CTX_RSI(%rcx)
    mov %rdi, CTX_RDI(%rcx)
    mov %r8, CTX_R8(%rcx)
    mov %r9, CTX_R9(%rcx)
    mov %r10, CTX_R10(%rcx)
    mov %r11, CTX_R11(%rcx)
    mov %r12, CTX_R12(%rcx)
    mov %r13, CTX_R13(%rcx)
    mov %r14, CTX_R14(%rcx)
    mov %r15, CTX_R15(%rcx)
    lea 16(%rsp), %rax              /* past the flags and the return address */
    mov %rax, CTX_RSP(%rcx)
    mov 8(%rsp), %rax
    mov %rax, CTX_RIP(%rcx)
    pop %rax
    mov %eax, CTX_EFLAGS(%rcx)
    movw %cs, CTX_SEGCS(%rcx)
    movw %ds, CTX_SEGDS(%rcx)
    movw %es, CTX_SEGES(%rcx)
    movw %fs, CTX_SEGFS(%rcx)
    movw %gs, CTX_SEGGS(%rcx)
    movw %ss, CTX_SEGSS(%rcx)
    stmxcsr CTX_MXCSR(%rcx)
    fxsave CTX_FLTSAVE(%rcx)
    movl $CONTEXT_FULL_SEGMENTS, CTX_FLAGS(%rcx)
    mov CTX_RAX(%rcx), %rax
    ret

/*
 * Frame: [rsp+0x20, +0x4f0) the CONTEXT (16-byte aligned: RSP is 8 mod 16
 * at entry, the push makes it 0), [rsp, +0x20) the callees' home area,
 * [rsp+0x4f0] the caller's RBX, [rsp+0x4f8] the return address.
 */
    .globl RtlRaiseException
    .def RtlRaiseException; .scl 2; .type 32; .endef
RtlRaiseException:
    push %rbx
    sub $0x4f0, %rsp
    mov %rcx, %rbx                  /* the record */
    lea 0x20(%rsp), %rcx
    call RtlCaptureContext
    lea 0x20(%rsp), %rcx
    mov 0x4f8(%rsp), %rax           /* resume after the call to us */
    mov %rax, CTX_RIP(%rcx)
    mov %rax, REC_ADDRESS(%rbx)
    lea 0x500(%rsp), %rax           /* the caller's RSP once we have returned */
    mov %rax, CTX_RSP(%rcx)
    mov 0x4f0(%rsp), %rax
    mov %rax, CTX_RBX(%rcx)
    mov %rbx, CTX_RCX(%rcx)         /* as at the call */
    mov %rbx, %rcx
    lea 0x20(%rsp), %rdx
    call RtlDispatchException
    test %al, %al
    jz 1f
    lea 0x20(%rsp), %rcx
    xor %edx, %edx
    call NtContinue
1:
    mov %rbx, %rcx
    lea 0x20(%rsp), %rdx
    xor %r8d, %r8d
    call NtRaiseException
    ud2
