/*
 * sysinfo.c - GetSystemInfo, GetNativeSystemInfo and GlobalMemoryStatusEx:
 * the machine as a 64-bit program on Windows sees it (one AMD64 processor,
 * 4 KB pages, 64 KB allocation granularity, user space from 64 KB to
 * 0x7FFFFFFEFFFF), and the memory counters of NtkQuerySystemMemory.
 */
#include <intrin.h>

#include "guest/kernel32/k32.h"

/* wProcessorLevel and wProcessorRevision from CPUID leaf 1, as Windows
 * forms them: the family; (model << 8) | stepping, with the extended
 * family and model fields folded in where the architecture says. */
static void processor_id(WORD *level, WORD *revision)
{
    int r[4];
    __cpuid(r, 1);
    unsigned family = ((unsigned)r[0] >> 8) & 0xf, model = ((unsigned)r[0] >> 4) & 0xf;
    if (family == 0xf)
        family += ((unsigned)r[0] >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model |= (((unsigned)r[0] >> 16) & 0xf) << 4;
    *level = (WORD)family;
    *revision = (WORD)(model << 8 | ((unsigned)r[0] & 0xf));
}

void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    SYSTEM_INFO *si = lpSystemInfo;
    memset(si, 0, sizeof *si);
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
    si->dwPageSize = NTK_PAGE_SIZE;
    si->lpMinimumApplicationAddress = (LPVOID)NTK_LOWEST_USER_ADDRESS;
    si->lpMaximumApplicationAddress = (LPVOID)NTK_HIGHEST_USER_ADDRESS;
    si->dwActiveProcessorMask = 1;
    si->dwNumberOfProcessors = 1;
    si->dwProcessorType = PROCESSOR_AMD_X8664;
    si->dwAllocationGranularity = NTK_ALLOCATION_GRANULARITY;
    processor_id(&si->wProcessorLevel, &si->wProcessorRevision);
}

void WINAPI GetNativeSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    GetSystemInfo(lpSystemInfo);
}

/* Bytes of user space in free regions (the process's available virtual memory). */
static DWORDLONG free_virtual(void)
{
    DWORDLONG total = 0;
    MEMORY_BASIC_INFORMATION mbi;
    ULONG_PTR a = NTK_LOWEST_USER_ADDRESS;
    while (a <= NTK_HIGHEST_USER_ADDRESS && VirtualQuery((LPCVOID)a, &mbi, sizeof mbi)) {
        if (mbi.State == MEM_FREE)
            total += mbi.RegionSize;
        a = (ULONG_PTR)mbi.BaseAddress + mbi.RegionSize;
    }
    return total;
}

/*
 * The counters: physical memory is the frames the kernel manages
 * (available: free, zeroed and standby, as Windows counts it); the "page
 * file" figures are the commit limit (RAM + paging file) and what is left
 * of it, as Windows reports commit; virtual memory
 * is user space and its free part.  dwLength must be set by the caller
 * (else ERROR_INVALID_PARAMETER, as Windows).
 */
BOOL WINAPI GlobalMemoryStatusEx(LPMEMORYSTATUSEX lpBuffer)
{
    if (lpBuffer->dwLength != sizeof *lpBuffer)
        return k32_fail(ERROR_INVALID_PARAMETER);
    struct ntk_system_memory m;
    NTSTATUS st = NtkQuerySystemMemory(&m);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    DWORDLONG avail = m.free_pages + m.zeroed_pages + m.standby_pages;
    lpBuffer->dwMemoryLoad = m.total_pages ? (DWORD)((m.total_pages - avail) * 100 / m.total_pages) : 0;
    lpBuffer->ullTotalPhys = m.total_pages * NTK_PAGE_SIZE;
    lpBuffer->ullAvailPhys = avail * NTK_PAGE_SIZE;
    lpBuffer->ullTotalPageFile = m.commit_limit * NTK_PAGE_SIZE;
    lpBuffer->ullAvailPageFile =
        (m.commit_limit > m.commit_charge ? m.commit_limit - m.commit_charge : 0) * NTK_PAGE_SIZE;
    lpBuffer->ullTotalVirtual = NTK_HIGHEST_USER_ADDRESS + 1 - NTK_LOWEST_USER_ADDRESS;
    lpBuffer->ullAvailVirtual = free_virtual();
    lpBuffer->ullAvailExtendedVirtual = 0;
    return TRUE;
}
