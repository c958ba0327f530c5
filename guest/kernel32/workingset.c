/*
 * workingset.c - a process's working set from Win32: its minimum and
 * maximum sizes (SetProcessWorkingSetSize[Ex], GetProcessWorkingSetSize[Ex]:
 * NtSetInformationProcess / NtQueryInformationProcess, class
 * ProcessQuotaLimits, with a QUOTA_LIMITS_EX as Windows's kernel32 passes
 * them), emptying it (K32EmptyWorkingSet), and its counters
 * (K32GetProcessMemoryInfo: class ProcessVmCounters).  The kernel applies
 * the rules (docs/paging.md, "Working sets"); kernel32 checks what
 * Microsoft documents as the caller's error: a size of zero.
 */
#include "guest/kernel32/k32.h"

#include <psapi.h>

BOOL WINAPI SetProcessWorkingSetSizeEx(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                       SIZE_T dwMaximumWorkingSetSize, DWORD Flags)
{
    /* "This parameter must be greater than zero" (both sizes, unless both
     * are (SIZE_T)-1: empty the working set). */
    if (!dwMinimumWorkingSetSize || !dwMaximumWorkingSetSize)
        return k32_fail(ERROR_INVALID_PARAMETER);
    struct ntk_quota_limits_ex q;
    memset(&q, 0, sizeof q);
    q.minimum_working_set_size = dwMinimumWorkingSetSize;
    q.maximum_working_set_size = dwMaximumWorkingSetSize;
    q.flags = Flags;
    NTSTATUS st = NtSetInformationProcess(hProcess, NTK_PROCESS_QUOTA_LIMITS, &q, sizeof q);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

BOOL WINAPI SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                     SIZE_T dwMaximumWorkingSetSize)
{
    return SetProcessWorkingSetSizeEx(hProcess, dwMinimumWorkingSetSize, dwMaximumWorkingSetSize,
                                      0);
}

BOOL WINAPI GetProcessWorkingSetSizeEx(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                       PSIZE_T lpMaximumWorkingSetSize, PDWORD Flags)
{
    struct ntk_quota_limits_ex q;
    NTSTATUS st = NtQueryInformationProcess(hProcess, NTK_PROCESS_QUOTA_LIMITS, &q, sizeof q,
                                            NULL);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    *lpMinimumWorkingSetSize = q.minimum_working_set_size;
    *lpMaximumWorkingSetSize = q.maximum_working_set_size;
    *Flags = q.flags;
    return TRUE;
}

BOOL WINAPI GetProcessWorkingSetSize(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                     PSIZE_T lpMaximumWorkingSetSize)
{
    DWORD flags;
    return GetProcessWorkingSetSizeEx(hProcess, lpMinimumWorkingSetSize,
                                      lpMaximumWorkingSetSize, &flags);
}

/* psapi's EmptyWorkingSet (kernel32 exports it as K32EmptyWorkingSet). */
BOOL WINAPI K32EmptyWorkingSet(HANDLE hProcess)
{
    return SetProcessWorkingSetSizeEx(hProcess, (SIZE_T)-1, (SIZE_T)-1, 0);
}

/* psapi's GetProcessMemoryInfo: cb at least sizeof(PROCESS_MEMORY_COUNTERS)
 * (else ERROR_INSUFFICIENT_BUFFER); with room for the _EX form, that one
 * (PrivateUsage too).  cb says which was filled in. */
BOOL WINAPI K32GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters,
                                    DWORD cb)
{
    if (cb < sizeof(PROCESS_MEMORY_COUNTERS))
        return k32_fail(ERROR_INSUFFICIENT_BUFFER);
    struct ntk_vm_counters_ex v;
    NTSTATUS st = NtQueryInformationProcess(Process, NTK_PROCESS_VM_COUNTERS, &v, sizeof v, NULL);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    PROCESS_MEMORY_COUNTERS_EX c;
    memset(&c, 0, sizeof c);
    c.cb = cb >= sizeof(PROCESS_MEMORY_COUNTERS_EX) ? sizeof(PROCESS_MEMORY_COUNTERS_EX)
                                                    : sizeof(PROCESS_MEMORY_COUNTERS);
    c.PageFaultCount = v.page_fault_count;
    c.PeakWorkingSetSize = v.peak_working_set_size;
    c.WorkingSetSize = v.working_set_size;
    c.PagefileUsage = v.pagefile_usage;
    c.PeakPagefileUsage = v.peak_pagefile_usage;
    c.PrivateUsage = v.private_usage;
    memcpy(ppsmemCounters, &c, c.cb);
    return TRUE;
}
