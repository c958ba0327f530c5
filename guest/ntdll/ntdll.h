/*
 * ntdll.h - what our ntdll.dll exports beyond what mingw-w64's <windows.h>
 * declares: the system services (Nt..., and this kernel's own Ntk...), the
 * Rtl helpers kernel32 and programs use, and the TEB/PEB fields they read.
 * For user-mode PE code (kernel32, programs, tests), after <windows.h>.
 *
 * Types are Windows's; the constants and layouts both sides of the system
 * call must agree on come from shared/nt/ (NTK_ prefix, so they coexist
 * with <windows.h>).  docs/programs.md describes the DLL.
 */
#ifndef GUEST_NTDLL_NTDLL_H
#define GUEST_NTDLL_NTDLL_H

#include <windows.h>

#include "shared/nt/exception.h"
#include "shared/nt/file.h"
#include "shared/nt/memory.h"
#include "shared/nt/process.h"
#include "shared/nt/services.h"
#include "shared/nt/status.h"
#include "shared/nt/token.h"

#ifndef NTSTATUS_DEFINED
#define NTSTATUS_DEFINED
typedef LONG NTSTATUS;
#endif
#ifndef NT_SUCCESS
#define NT_SUCCESS(Status) ((NTSTATUS)(Status) >= 0)
#endif

/* ntdll itself is built with _NTSYSTEM_ (its own definitions are not imports). */
#define NTDLL_API NTSYSAPI

/* <windows.h> and shared/nt/exception.h describe the same structures. */
_Static_assert(sizeof(CONTEXT) == sizeof(struct ntk_context), "CONTEXT");
_Static_assert(sizeof(EXCEPTION_RECORD) == sizeof(struct ntk_exception_record), "EXCEPTION_RECORD");
_Static_assert(sizeof(MEMORY_BASIC_INFORMATION) == sizeof(struct ntk_memory_basic_information),
               "MEMORY_BASIC_INFORMATION");

#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define NtCurrentThread()  ((HANDLE)(LONG_PTR)-2)

/* ---- system services (shared/nt/services.h, docs/kernel.md) ---- */

NTDLL_API NTSTATUS NTAPI NtkNullService(void);
NTDLL_API NTSTATUS NTAPI NtkWriteConsole(const char *Buffer, SIZE_T Length);
NTDLL_API NTSTATUS NTAPI NtAllocateVirtualMemory(HANDLE Process, PVOID *BaseAddress,
                                                 ULONG_PTR ZeroBits, PSIZE_T RegionSize,
                                                 ULONG AllocationType, ULONG Protect);
NTDLL_API NTSTATUS NTAPI NtFreeVirtualMemory(HANDLE Process, PVOID *BaseAddress,
                                             PSIZE_T RegionSize, ULONG FreeType);
NTDLL_API NTSTATUS NTAPI NtProtectVirtualMemory(HANDLE Process, PVOID *BaseAddress,
                                                PSIZE_T RegionSize, ULONG NewProtect,
                                                PULONG OldProtect);
NTDLL_API NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE Process, PVOID BaseAddress, ULONG Class,
                                              PVOID Information, SIZE_T Length,
                                              PSIZE_T ReturnLength);
NTDLL_API NTSTATUS NTAPI NtTerminateProcess(HANDLE Process, NTSTATUS ExitStatus);
NTDLL_API NTSTATUS NTAPI NtTerminateThread(HANDLE Thread, NTSTATUS ExitStatus);
NTDLL_API NTSTATUS NTAPI NtCreateThreadEx(PHANDLE Thread, ACCESS_MASK Access, PVOID Attributes,
                                          HANDLE Process, PVOID StartRoutine, PVOID Argument,
                                          ULONG Flags, SIZE_T ZeroBits, SIZE_T StackCommit,
                                          SIZE_T StackReserve, PVOID AttributeList);
NTDLL_API NTSTATUS NTAPI NtkCreateProcess(PHANDLE Process, PHANDLE Thread, const char *ImageName,
                                          SIZE_T NameLength, const char *CommandLine,
                                          SIZE_T CommandLineLength);
NTDLL_API NTSTATUS NTAPI NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable,
                                               PLARGE_INTEGER Timeout);
NTDLL_API NTSTATUS NTAPI NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER Interval);
NTDLL_API NTSTATUS NTAPI NtClose(HANDLE Handle);
NTDLL_API NTSTATUS NTAPI NtYieldExecution(void);
NTDLL_API NTSTATUS NTAPI NtContinue(PCONTEXT Context, BOOLEAN TestAlert);
NTDLL_API NTSTATUS NTAPI NtRaiseException(PEXCEPTION_RECORD Record, PCONTEXT Context,
                                          BOOLEAN FirstChance);
NTDLL_API NTSTATUS NTAPI NtQueryInformationProcess(HANDLE Process, ULONG Class, PVOID Information,
                                                   ULONG Length, PULONG ReturnLength);
NTDLL_API NTSTATUS NTAPI NtQueryInformationThread(HANDLE Thread, ULONG Class, PVOID Information,
                                                  ULONG Length, PULONG ReturnLength);
NTDLL_API NTSTATUS NTAPI NtkQuerySystemMemory(struct ntk_system_memory *Information);
NTDLL_API NTSTATUS NTAPI NtkQueryPhysicalAddress(HANDLE Process, PVOID Address,
                                                 ULONG64 *PhysicalAddress);
NTDLL_API NTSTATUS NTAPI NtSetInformationProcess(HANDLE Process, ULONG Class, PVOID Information,
                                                 ULONG Length);

/* Files, sections, privileges: the structures are shared/nt/'s (Windows's
 * layouts: OBJECT_ATTRIBUTES, UNICODE_STRING, IO_STATUS_BLOCK,
 * TOKEN_PRIVILEGES, MEM_EXTENDED_PARAMETER), passed as pointers. */
NTDLL_API NTSTATUS NTAPI NtCreateFile(PHANDLE File, ACCESS_MASK Access,
                                      struct ntk_object_attributes *Attributes,
                                      struct ntk_io_status_block *IoStatus,
                                      PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                                      ULONG ShareAccess, ULONG CreateDisposition,
                                      ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength);
NTDLL_API NTSTATUS NTAPI NtOpenFile(PHANDLE File, ACCESS_MASK Access,
                                    struct ntk_object_attributes *Attributes,
                                    struct ntk_io_status_block *IoStatus, ULONG ShareAccess,
                                    ULONG OpenOptions);
NTDLL_API NTSTATUS NTAPI NtReadFile(HANDLE File, HANDLE Event, PVOID ApcRoutine,
                                    PVOID ApcContext, struct ntk_io_status_block *IoStatus,
                                    PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                                    PULONG Key);
NTDLL_API NTSTATUS NTAPI NtWriteFile(HANDLE File, HANDLE Event, PVOID ApcRoutine,
                                     PVOID ApcContext, struct ntk_io_status_block *IoStatus,
                                     const VOID *Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                                     PULONG Key);
NTDLL_API NTSTATUS NTAPI NtQueryInformationFile(HANDLE File, struct ntk_io_status_block *IoStatus,
                                                PVOID Information, ULONG Length, ULONG Class);
NTDLL_API NTSTATUS NTAPI NtSetInformationFile(HANDLE File, struct ntk_io_status_block *IoStatus,
                                              PVOID Information, ULONG Length, ULONG Class);
NTDLL_API NTSTATUS NTAPI NtCreateSection(PHANDLE Section, ACCESS_MASK Access,
                                         struct ntk_object_attributes *Attributes,
                                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection,
                                         ULONG AllocationAttributes, HANDLE File);
NTDLL_API NTSTATUS NTAPI NtOpenSection(PHANDLE Section, ACCESS_MASK Access,
                                       struct ntk_object_attributes *Attributes);
NTDLL_API NTSTATUS NTAPI NtMapViewOfSection(HANDLE Section, HANDLE Process, PVOID *BaseAddress,
                                            ULONG_PTR ZeroBits, SIZE_T CommitSize,
                                            PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                                            ULONG InheritDisposition, ULONG AllocationType,
                                            ULONG Win32Protect);
NTDLL_API NTSTATUS NTAPI NtUnmapViewOfSection(HANDLE Process, PVOID BaseAddress);
NTDLL_API NTSTATUS NTAPI NtFlushVirtualMemory(HANDLE Process, PVOID *BaseAddress,
                                              PSIZE_T RegionSize,
                                              struct ntk_io_status_block *IoStatus);
NTDLL_API NTSTATUS NTAPI NtOpenProcessToken(HANDLE Process, ACCESS_MASK Access, PHANDLE Token);
NTDLL_API NTSTATUS NTAPI NtAdjustPrivilegesToken(HANDLE Token, BOOLEAN DisableAll,
                                                 PTOKEN_PRIVILEGES NewState, ULONG BufferLength,
                                                 PTOKEN_PRIVILEGES PreviousState,
                                                 PULONG ReturnLength);
NTDLL_API NTSTATUS NTAPI NtAllocateVirtualMemoryEx(HANDLE Process, PVOID *BaseAddress,
                                                   PSIZE_T RegionSize, ULONG AllocationType,
                                                   ULONG Protect, PVOID ExtendedParameters,
                                                   ULONG ParameterCount);
/* The machine records its counters (the TLB model's too) under Id: phases
 * of a run, side by side in `mmulab run --stats` (docs/programs.md). */
NTDLL_API NTSTATUS NTAPI NtkMark(ULONG Id);

/* ---- exceptions (exception.c, dispatch.S) ---- */

NTDLL_API VOID NTAPI KiUserExceptionDispatcher(void);
NTDLL_API BOOLEAN NTAPI RtlDispatchException(PEXCEPTION_RECORD Record, PCONTEXT Context);
NTDLL_API PVOID NTAPI RtlAddVectoredExceptionHandler(ULONG First,
                                                     PVECTORED_EXCEPTION_HANDLER Handler);
NTDLL_API ULONG NTAPI RtlRemoveVectoredExceptionHandler(PVOID Handle);
NTDLL_API VOID NTAPI RtlRaiseException(PEXCEPTION_RECORD Record);

/* ---- errors (error.c) ---- */

NTDLL_API ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status);
NTDLL_API ULONG NTAPI RtlNtStatusToDosErrorNoTeb(NTSTATUS Status);
NTDLL_API NTSTATUS NTAPI RtlGetLastNtStatus(void);
NTDLL_API ULONG NTAPI RtlGetLastWin32Error(void);
NTDLL_API VOID NTAPI RtlSetLastWin32Error(ULONG Error);

/* ---- heaps (heap.c) ---- */

NTDLL_API PVOID NTAPI RtlCreateHeap(ULONG Flags, PVOID Base, SIZE_T ReserveSize,
                                    SIZE_T CommitSize, PVOID Lock, PVOID Parameters);
NTDLL_API PVOID NTAPI RtlDestroyHeap(PVOID Heap);
NTDLL_API PVOID NTAPI RtlAllocateHeap(PVOID Heap, ULONG Flags, SIZE_T Size);
NTDLL_API BOOLEAN NTAPI RtlFreeHeap(PVOID Heap, ULONG Flags, PVOID Block);
NTDLL_API SIZE_T NTAPI RtlSizeHeap(PVOID Heap, ULONG Flags, PVOID Block);
NTDLL_API PVOID NTAPI RtlReAllocateHeap(PVOID Heap, ULONG Flags, PVOID Block, SIZE_T Size);
/* The process heap, created on first use (PEB.ProcessHeap starts at 0): not a
 * Windows export (Windows creates it before the first instruction). */
NTDLL_API PVOID NTAPI RtlkProcessHeap(void);

/* ---- locks (lock.c): exclusive SRW locks, yielding while contended ---- */

NTDLL_API VOID NTAPI RtlInitializeSRWLock(PRTL_SRWLOCK Lock);
NTDLL_API VOID NTAPI RtlAcquireSRWLockExclusive(PRTL_SRWLOCK Lock);
NTDLL_API VOID NTAPI RtlReleaseSRWLockExclusive(PRTL_SRWLOCK Lock);

/* ---- the TEB and PEB: the fields the kernel fills in ---- */

/* GS-relative loads and stores of TEB fields.  (mingw's __readgsqword and
 * friends make gcc 12 warn about array bounds for constant offsets.) */
static inline ULONG_PTR ntk_gs_read64(ULONG_PTR offset)
{
    ULONG_PTR v;
    __asm__ volatile("movq %%gs:(%1), %0" : "=r"(v) : "r"(offset));
    return v;
}

static inline DWORD ntk_gs_read32(ULONG_PTR offset)
{
    DWORD v;
    __asm__ volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(offset));
    return v;
}

static inline void ntk_gs_write32(ULONG_PTR offset, DWORD v)
{
    __asm__ volatile("movl %0, %%gs:(%1)" : : "r"(v), "r"(offset) : "memory");
}

static inline PVOID ntk_teb(void)
{
    return (PVOID)ntk_gs_read64(NTK_TEB_SELF);
}

static inline BYTE *ntk_peb(void)
{
    return (BYTE *)ntk_gs_read64(NTK_TEB_PEB);
}

static inline DWORD ntk_teb_dword(unsigned offset)
{
    return ntk_gs_read32(offset);
}

/* RTL_USER_PROCESS_PARAMETERS (shared/nt/process.h). */
static inline BYTE *ntk_process_parameters(void)
{
    return *(BYTE **)(ntk_peb() + NTK_PEB_PROCESS_PARAMETERS);
}

#endif /* GUEST_NTDLL_NTDLL_H */
