/*
 * ntdll.S - system-service stubs, as ntdll.dll's: the Windows x64 calling
 * convention passes arguments in RCX, RDX, R8, R9 and on the stack; SYSCALL
 * overwrites RCX, so the first argument moves to R10 (shared/nt/services.h).
 */
    .text
    .macro SERVICE name, number
    .globl \name
\name:
    mov %rcx, %r10
    mov $\number, %eax
    syscall
    ret
    .endm

    SERVICE NtkNullService, 0
    SERVICE NtkWriteConsole, 1
    SERVICE NtAllocateVirtualMemory, 2
    SERVICE NtFreeVirtualMemory, 3
    SERVICE NtProtectVirtualMemory, 4
    SERVICE NtQueryVirtualMemory, 5
    SERVICE NtTerminateProcess, 6
    SERVICE NtTerminateThread, 7
    SERVICE NtCreateThreadEx, 8
    SERVICE NtkCreateProcess, 9
    SERVICE NtWaitForSingleObject, 10
    SERVICE NtDelayExecution, 11
    SERVICE NtClose, 12
    SERVICE NtYieldExecution, 13
    SERVICE NtContinue, 14
    SERVICE NtRaiseException, 15
    SERVICE NtQueryInformationProcess, 16
    SERVICE NtQueryInformationThread, 17
    SERVICE NtkQuerySystemMemory, 18
    SERVICE NtkQueryPhysicalAddress, 19

/* ntk_raw_syscall(a1..a6, number): the number is the 7th argument, at
 * [RSP + 0x38]; arguments 5 and 6 stay where the service expects them. */
    .globl ntk_raw_syscall
ntk_raw_syscall:
    mov %rcx, %r10
    mov 0x38(%rsp), %rax
    syscall
    ret

/*
 * The user-mode exception dispatcher (the contract: shared/nt/exception.h):
 * RSP = RDX = &CONTEXT, RCX = &EXCEPTION_RECORD.  Call the C part with the
 * stack as it is (16-byte aligned); it never returns.
 */
    .globl KiUserExceptionDispatcher
KiUserExceptionDispatcher:
    mov %rcx, %rdi
    mov %rdx, %rsi
    call user_dispatch
    ud2

/* The entry point: RCX = the PEB. */
    .section .text.entry, "ax"
    .globl _start
_start:
    mov %rcx, %rdi
    and $-16, %rsp
    call crt_start
    ud2
    .section .note.GNU-stack, "", @progbits
