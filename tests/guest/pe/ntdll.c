/*
 * ntdll.c - the kernel tests' own ntdll.dll (the real one is guest/ntdll/):
 * system-service stubs, as Windows's ntdll has them (shared/nt/services.h),
 * and a KiUserExceptionDispatcher that reports the exception on the console
 * ("ntdll: exception CODE at RIP, N parameters: P0 P1 P2") and ends the
 * process with the exception code.  Linked at NTK_NTDLL_BASE, built with
 * -DPE_RT_INSIDE_NTDLL (pe_rt.c calls the stubs directly, not through an IAT).
 */
#include "shared/nt/exception.h"
#include "shared/nt/services.h"
#include "tests/guest/pe/pe_rt.h"

/* mov r10, rcx; mov eax, N; syscall; ret - with N checked against the
 * service table's number. */
#define STUB(name, number, service)                                           \
    _Static_assert(number == service, #name);                                 \
    __asm__(".globl " #name "\n" #name ":\n\tmov %rcx, %r10\n\tmov $" #number \
            ", %eax\n\tsyscall\n\tret\n")

STUB(NtkWriteConsole, 1, NTK_SVC_WRITE_CONSOLE);
STUB(NtAllocateVirtualMemory, 2, NTK_SVC_ALLOCATE_VIRTUAL_MEMORY);
STUB(NtFreeVirtualMemory, 3, NTK_SVC_FREE_VIRTUAL_MEMORY);
STUB(NtProtectVirtualMemory, 4, NTK_SVC_PROTECT_VIRTUAL_MEMORY);
STUB(NtQueryVirtualMemory, 5, NTK_SVC_QUERY_VIRTUAL_MEMORY);
STUB(NtTerminateProcess, 6, NTK_SVC_TERMINATE_PROCESS);
STUB(NtkCreateProcess, 9, NTK_SVC_CREATE_PROCESS);
STUB(NtWaitForSingleObject, 10, NTK_SVC_WAIT_FOR_SINGLE_OBJECT);
STUB(NtDelayExecution, 11, NTK_SVC_DELAY_EXECUTION);
STUB(NtClose, 12, NTK_SVC_CLOSE);
STUB(NtContinue, 14, NTK_SVC_CONTINUE);
STUB(NtRaiseException, 15, NTK_SVC_RAISE_EXCEPTION);
STUB(NtQueryInformationProcess, 16, NTK_SVC_QUERY_INFORMATION_PROCESS);
STUB(NtkQuerySystemMemory, 18, NTK_SVC_QUERY_SYSTEM_MEMORY);
STUB(NtkQueryPhysicalAddress, 19, NTK_SVC_QUERY_PHYSICAL_ADDRESS);

void dispatch(struct ntk_exception_record *r, struct ntk_context *c);
void dispatch(struct ntk_exception_record *r, struct ntk_context *c)
{
    (void)c;
    rt_print("ntdll: exception ");
    rt_hex(r->exception_code);
    rt_print(" at ");
    rt_hex(r->exception_address);
    rt_print(", ");
    rt_hex(r->number_parameters);
    rt_print(" parameters:");
    for (unsigned i = 0; i < r->number_parameters && i < 3; i++) {
        rt_print(" ");
        rt_hex(r->exception_information[i]);
    }
    rt_print("\n");
    NtTerminateProcess(NTK_CURRENT_PROCESS, (ntk_status)r->exception_code);
}

/* RSP = RDX = &CONTEXT, RCX = &EXCEPTION_RECORD; 32 bytes of home area. */
__asm__(".globl KiUserExceptionDispatcher\nKiUserExceptionDispatcher:\n"
        "\tsub $0x28, %rsp\n\tcall dispatch\n\tud2\n");

int dll_entry(void);
int dll_entry(void)
{
    return 1; /* never called: the kernel runs no DLL entry point */
}
