/*
 * shared/nt/exception.h - how the kernel hands an exception to user mode:
 * EXCEPTION_RECORD and CONTEXT with the exact Windows x64 layouts (winnt.h),
 * and the entry contract of the user-mode dispatcher (ntdll's
 * KiUserExceptionDispatcher).  NTK_ prefix: coexists with <windows.h>; a
 * mingw-w64 ntdll can static-assert sizeof(CONTEXT) == sizeof(struct
 * ntk_context) and use either.  Freestanding: <stdint.h> only.
 *
 * The dispatch contract (docs/kernel.md, "Exceptions"):
 *
 *   When a user thread raises an exception (a fault, a trap, int3), the
 *   kernel saves the thread's state in a CONTEXT and describes the exception
 *   in an EXCEPTION_RECORD, both written on the thread's own user stack:
 *
 *       new RSP = align16(fault RSP - NTK_DISPATCH_FRAME_SIZE)
 *       [RSP + 0]                        struct ntk_context (0x4d0 bytes)
 *       [RSP + NTK_DISPATCH_RECORD_OFFSET] struct ntk_exception_record (0x98)
 *
 *   (the same offsets as Windows x64: the record sits 0x4f0 bytes above
 *   the context), then resumes the thread at CPL 3 at the dispatcher with
 *       RSP = &context, RCX = &record, RDX = &context,
 *       RFLAGS = 0x202 (IF), every other register undefined.
 *   The dispatcher never returns.  It resumes the thread with
 *   NtContinue(&context, 0) (any context it likes: that is how a handler
 *   fixes things up) or gives up with NtRaiseException(&record, &context,
 *   FALSE), which ends the process with the exception code as its exit
 *   status and a one-line report on the console.
 *
 *   The dispatcher is the image's exported symbol KiUserExceptionDispatcher
 *   (ELF: in .symtab; PE: ntdll's export, next issue).  A process without
 *   one has its unhandled exceptions end it at once, the same way.  If the
 *   frame cannot be written (the stack is not writable or overflows) the
 *   process ends the same way with the original exception code.
 *
 *   Access violations (NTK_STATUS_ACCESS_VIOLATION) and guard-page
 *   violations carry two parameters: ExceptionInformation[0] = 0 read,
 *   1 write, 8 execute (DEP); [1] = the faulting address.
 */
#ifndef SHARED_NT_EXCEPTION_H
#define SHARED_NT_EXCEPTION_H

#include <stdint.h>

#define NTK_EXCEPTION_MAXIMUM_PARAMETERS 15
#define NTK_EXCEPTION_NONCONTINUABLE 0x1u

#define NTK_EXCEPTION_READ_FAULT    0
#define NTK_EXCEPTION_WRITE_FAULT   1
#define NTK_EXCEPTION_EXECUTE_FAULT 8

struct ntk_exception_record {
    uint32_t exception_code;     /* 0x00 ExceptionCode (an NTSTATUS) */
    uint32_t exception_flags;    /* 0x04 ExceptionFlags */
    uint64_t exception_record;   /* 0x08 ExceptionRecord (chained record, 0 here) */
    uint64_t exception_address;  /* 0x10 ExceptionAddress (the faulting RIP) */
    uint32_t number_parameters;  /* 0x18 NumberParameters */
    uint32_t reserved;
    uint64_t exception_information[NTK_EXCEPTION_MAXIMUM_PARAMETERS]; /* 0x20 */
};
_Static_assert(sizeof(struct ntk_exception_record) == 0x98, "EXCEPTION_RECORD");

#define NTK_CONTEXT_AMD64           0x00100000u
#define NTK_CONTEXT_CONTROL         (NTK_CONTEXT_AMD64 | 0x1u)
#define NTK_CONTEXT_INTEGER         (NTK_CONTEXT_AMD64 | 0x2u)
#define NTK_CONTEXT_SEGMENTS        (NTK_CONTEXT_AMD64 | 0x4u)
#define NTK_CONTEXT_FLOATING_POINT  (NTK_CONTEXT_AMD64 | 0x8u)
#define NTK_CONTEXT_DEBUG_REGISTERS (NTK_CONTEXT_AMD64 | 0x10u)
#define NTK_CONTEXT_FULL (NTK_CONTEXT_CONTROL | NTK_CONTEXT_INTEGER | NTK_CONTEXT_FLOATING_POINT)

struct ntk_m128 {
    uint64_t low, high;
};

/* CONTEXT (x64).  flt_save is the FXSAVE image (XMM_SAVE_AREA32). */
struct __attribute__((aligned(16))) ntk_context {
    uint64_t p1_home, p2_home, p3_home, p4_home, p5_home, p6_home; /* 0x00 */
    uint32_t context_flags;      /* 0x30 */
    uint32_t mx_csr;             /* 0x34 */
    uint16_t seg_cs, seg_ds, seg_es, seg_fs, seg_gs, seg_ss; /* 0x38 */
    uint32_t eflags;             /* 0x44 */
    uint64_t dr0, dr1, dr2, dr3, dr6, dr7; /* 0x48 */
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi; /* 0x78 */
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;   /* 0xb8 */
    uint64_t rip;                /* 0xf8 */
    uint8_t flt_save[512];       /* 0x100 XMM_SAVE_AREA32 */
    struct ntk_m128 vector_register[26]; /* 0x300 */
    uint64_t vector_control;     /* 0x4a0 */
    uint64_t debug_control, last_branch_to_rip, last_branch_from_rip,
        last_exception_to_rip, last_exception_from_rip; /* 0x4a8 */
};
_Static_assert(sizeof(struct ntk_context) == 0x4d0, "CONTEXT");
_Static_assert(__builtin_offsetof(struct ntk_context, rip) == 0xf8, "CONTEXT.Rip");
_Static_assert(__builtin_offsetof(struct ntk_context, flt_save) == 0x100, "CONTEXT.FltSave");

#define NTK_DISPATCH_RECORD_OFFSET 0x4f0u
#define NTK_DISPATCH_FRAME_SIZE    (NTK_DISPATCH_RECORD_OFFSET + 0xa0u) /* record, padded */

#endif /* SHARED_NT_EXCEPTION_H */
