/*
 * memory.c - VirtualAlloc, VirtualFree, VirtualProtect, VirtualQuery and
 * their ...Ex forms: thin layers on the Nt services, with the two checks
 * Windows's kernel32 makes itself (a nonzero address below the allocation
 * granularity, MEM_RELEASE with a nonzero size: ERROR_INVALID_PARAMETER).
 * Everything else - rounding, states, protections - is the kernel's
 * (docs/kernel.md); its statuses become Win32 errors through
 * RtlNtStatusToDosError (STATUS_CONFLICTING_ADDRESSES: ERROR_INVALID_ADDRESS,
 * STATUS_INVALID_PAGE_PROTECTION: ERROR_INVALID_PARAMETER, ...).  The Ex
 * forms pass the process handle to the kernel, which serves the current
 * process.
 */
#include "guest/kernel32/k32.h"

LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize,
                             DWORD flAllocationType, DWORD flProtect)
{
    if (lpAddress && (ULONG_PTR)lpAddress < NTK_ALLOCATION_GRANULARITY) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    NTSTATUS st = NtAllocateVirtualMemory(hProcess, &lpAddress, 0, &dwSize, flAllocationType,
                                          flProtect);
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return NULL;
    }
    return lpAddress;
}

LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                           DWORD flProtect)
{
    return VirtualAllocEx(GetCurrentProcess(), lpAddress, dwSize, flAllocationType, flProtect);
}

BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    if (dwSize && (dwFreeType & MEM_RELEASE))
        return k32_fail_status(STATUS_INVALID_PARAMETER);
    NTSTATUS st = NtFreeVirtualMemory(hProcess, &lpAddress, &dwSize, dwFreeType);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    return VirtualFreeEx(GetCurrentProcess(), lpAddress, dwSize, dwFreeType);
}

BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize,
                             DWORD flNewProtect, PDWORD lpflOldProtect)
{
    NTSTATUS st = NtProtectVirtualMemory(hProcess, &lpAddress, &dwSize, flNewProtect,
                                         (PULONG)lpflOldProtect);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                           PDWORD lpflOldProtect)
{
    return VirtualProtectEx(GetCurrentProcess(), lpAddress, dwSize, flNewProtect,
                            lpflOldProtect);
}

SIZE_T WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress,
                             PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)
{
    SIZE_T got = 0;
    NTSTATUS st = NtQueryVirtualMemory(hProcess, (PVOID)lpAddress,
                                       NTK_MEMORY_BASIC_INFORMATION_CLASS, lpBuffer, dwLength,
                                       &got);
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return 0;
    }
    return got;
}

SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                           SIZE_T dwLength)
{
    return VirtualQueryEx(GetCurrentProcess(), lpAddress, lpBuffer, dwLength);
}

/* Large pages are 2 MB (NtAllocateVirtualMemory with MEM_LARGE_PAGES;
 * docs/sections.md, "Large pages"). */
SIZE_T WINAPI GetLargePageMinimum(void)
{
    return NTK_LARGE_PAGE_SIZE;
}

/* VirtualAlloc with MEM_EXTENDED_PARAMETERs (NtAllocateVirtualMemoryEx):
 * the attribute flags MEM_EXTENDED_PARAMETER_NONPAGED_LARGE and _HUGE ask
 * for 2 MB and 1 GB pages; other parameter types are not supported
 * (ERROR_NOT_SUPPORTED).  Process NULL is the current process. */
PVOID WINAPI VirtualAlloc2(HANDLE Process, PVOID BaseAddress, SIZE_T Size,
                           ULONG AllocationType, ULONG PageProtection,
                           MEM_EXTENDED_PARAMETER *ExtendedParameters, ULONG ParameterCount)
{
    if (BaseAddress && (ULONG_PTR)BaseAddress < NTK_ALLOCATION_GRANULARITY) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    NTSTATUS st = NtAllocateVirtualMemoryEx(Process ? Process : GetCurrentProcess(), &BaseAddress,
                                            &Size, AllocationType, PageProtection,
                                            ExtendedParameters, ParameterCount);
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return NULL;
    }
    return BaseAddress;
}
