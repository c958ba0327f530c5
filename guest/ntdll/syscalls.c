/*
 * syscalls.c - one stub per system service, as Windows x64 ntdll's:
 *
 *       mov r10, rcx        ; SYSCALL overwrites RCX with the return RIP
 *       mov eax, SERVICE
 *       syscall
 *       ret
 *
 * Arguments stay where the Windows x64 convention put them (RDX, R8, R9, the
 * stack from [RSP+0x28]); the kernel returns the NTSTATUS in RAX.  The
 * numbers come from shared/nt/services.h; the assertions below make the
 * build fail if a service has no stub or two stubs share a number.  The
 * stubs are naked functions taking nothing: their C prototypes live in
 * ntdll.h, which this file does not include so that the two cannot clash.
 */
#include "shared/nt/services.h"

#define NTDLL_SERVICES(X)                                        \
    X(NtkNullService, NTK_SVC_NULL)                              \
    X(NtkWriteConsole, NTK_SVC_WRITE_CONSOLE)                    \
    X(NtAllocateVirtualMemory, NTK_SVC_ALLOCATE_VIRTUAL_MEMORY)  \
    X(NtFreeVirtualMemory, NTK_SVC_FREE_VIRTUAL_MEMORY)          \
    X(NtProtectVirtualMemory, NTK_SVC_PROTECT_VIRTUAL_MEMORY)    \
    X(NtQueryVirtualMemory, NTK_SVC_QUERY_VIRTUAL_MEMORY)        \
    X(NtTerminateProcess, NTK_SVC_TERMINATE_PROCESS)             \
    X(NtTerminateThread, NTK_SVC_TERMINATE_THREAD)               \
    X(NtCreateThreadEx, NTK_SVC_CREATE_THREAD)                   \
    X(NtkCreateProcess, NTK_SVC_CREATE_PROCESS)                  \
    X(NtWaitForSingleObject, NTK_SVC_WAIT_FOR_SINGLE_OBJECT)     \
    X(NtDelayExecution, NTK_SVC_DELAY_EXECUTION)                 \
    X(NtClose, NTK_SVC_CLOSE)                                    \
    X(NtYieldExecution, NTK_SVC_YIELD_EXECUTION)                 \
    X(NtContinue, NTK_SVC_CONTINUE)                              \
    X(NtRaiseException, NTK_SVC_RAISE_EXCEPTION)                 \
    X(NtQueryInformationProcess, NTK_SVC_QUERY_INFORMATION_PROCESS) \
    X(NtQueryInformationThread, NTK_SVC_QUERY_INFORMATION_THREAD) \
    X(NtkQuerySystemMemory, NTK_SVC_QUERY_SYSTEM_MEMORY)         \
    X(NtkQueryPhysicalAddress, NTK_SVC_QUERY_PHYSICAL_ADDRESS)   \
    X(NtSetInformationProcess, NTK_SVC_SET_INFORMATION_PROCESS)  \
    X(NtCreateFile, NTK_SVC_CREATE_FILE)                         \
    X(NtOpenFile, NTK_SVC_OPEN_FILE)                             \
    X(NtReadFile, NTK_SVC_READ_FILE)                             \
    X(NtWriteFile, NTK_SVC_WRITE_FILE)                           \
    X(NtQueryInformationFile, NTK_SVC_QUERY_INFORMATION_FILE)    \
    X(NtSetInformationFile, NTK_SVC_SET_INFORMATION_FILE)        \
    X(NtCreateSection, NTK_SVC_CREATE_SECTION)                   \
    X(NtOpenSection, NTK_SVC_OPEN_SECTION)                       \
    X(NtMapViewOfSection, NTK_SVC_MAP_VIEW_OF_SECTION)           \
    X(NtUnmapViewOfSection, NTK_SVC_UNMAP_VIEW_OF_SECTION)       \
    X(NtFlushVirtualMemory, NTK_SVC_FLUSH_VIRTUAL_MEMORY)        \
    X(NtOpenProcessToken, NTK_SVC_OPEN_PROCESS_TOKEN)            \
    X(NtAdjustPrivilegesToken, NTK_SVC_ADJUST_PRIVILEGES_TOKEN)  \
    X(NtAllocateVirtualMemoryEx, NTK_SVC_ALLOCATE_VIRTUAL_MEMORY_EX) \
    X(NtkMark, NTK_SVC_MARK)

#define STUB(name, number)                                                       \
    void name(void);                                                             \
    __attribute__((naked)) void name(void)                                       \
    {                                                                            \
        __asm__ volatile("mov %%rcx, %%r10\n\t"                                  \
                         "mov %0, %%eax\n\t"                                     \
                         "syscall\n\t"                                           \
                         "ret" ::"i"(number));                                   \
    }
NTDLL_SERVICES(STUB)

#define ONE(name, number) +1
#define BIT(name, number) | (1ull << (number))
_Static_assert(NTK_SVC_COUNT < 64, "the checks below use a 64-bit mask");
_Static_assert((0 NTDLL_SERVICES(ONE)) == NTK_SVC_COUNT, "one stub per service");
_Static_assert((0 NTDLL_SERVICES(BIT)) == (1ull << NTK_SVC_COUNT) - 1,
               "every service number has its stub");
