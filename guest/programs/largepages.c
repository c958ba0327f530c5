/*
 * largepages - the same sweep over the same working set with 4 KB pages
 * and with 2 MB pages (docs/programs.md, "largepages"):
 *
 *     mmulab run --tlb skylake --stats largepages [4k] [2m] [1g]
 *
 * Each phase allocates 32 MB - committed 4 KB pages (VirtualAlloc), or
 * large pages (MEM_LARGE_PAGES, after enabling SeLockMemoryPrivilege with
 * AdjustTokenPrivileges), or one 1 GB page (VirtualAlloc2 with
 * MEM_EXTENDED_PARAMETER_NONPAGED_HUGE: give the machine --ram 2G) - fills
 * it, and makes the same 1,000,000 pseudo-random 8-byte reads of it between
 * two NtkMark calls (marks 1-2, 3-4, 5-6).  The program cannot see the TLB:
 * the machine's model counts, and `--stats` prints its counters between the
 * marks side by side: with 2 MB pages the 32 MB fit the TLB and the walks
 * all but vanish.  The program checks what it can: the sums agree, each
 * large page is physically contiguous and aligned to its size
 * (NtkQueryPhysicalAddress), VirtualQuery describes the region.  Default:
 * 4k 2m.  Exit status 0 when all is as expected.
 */
#define NTDDI_VERSION 0x0A000006 /* VirtualAlloc2 (Windows 10 1803) */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "guest/ntdll/ntdll.h"

#define WORKING_SET (32u << 20)
#define READS 1000000u

struct phase {
    const char *name;
    SIZE_T page;
    ULONG mark;
};

static const struct phase phases[] = {
    { "4k", 4096, 1 },
    { "2m", 2u << 20, 3 },
    { "1g", 1u << 30, 5 },
};

static BOOL enable_lock_memory(void)
{
    HANDLE token;
    TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token) ||
        !LookupPrivilegeValueA(NULL, SE_LOCK_MEMORY_NAME, &tp.Privileges[0].Luid) ||
        !AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL) ||
        GetLastError() != ERROR_SUCCESS) {
        printf("cannot enable SeLockMemoryPrivilege: error %lu\n", GetLastError());
        return FALSE;
    }
    CloseHandle(token);
    return TRUE;
}

static BYTE *allocate(const struct phase *ph, SIZE_T size)
{
    if (ph->page == 4096)
        return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!enable_lock_memory())
        return NULL;
    if (ph->page == GetLargePageMinimum())
        return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES,
                            PAGE_READWRITE);
    MEM_EXTENDED_PARAMETER huge = { .Type = MemExtendedParameterAttributeFlags,
                                    .ULong64 = MEM_EXTENDED_PARAMETER_NONPAGED_HUGE };
    return VirtualAlloc2(NULL, NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES,
                         PAGE_READWRITE, &huge, 1);
}

/* Every large page is one physically contiguous run aligned to its size. */
static BOOL contiguous(const BYTE *p, SIZE_T size, SIZE_T page)
{
    ULONG64 first = 0, pa = 0;
    for (SIZE_T off = 0; off < size; off += 4096) {
        if (!NT_SUCCESS(NtkQueryPhysicalAddress(GetCurrentProcess(), (PVOID)(p + off), &pa)))
            return FALSE;
        if (off % page == 0)
            first = pa;
        if (pa != first + off % page || first % page)
            return FALSE;
    }
    return TRUE;
}

static ULONG64 sweep(const ULONG64 *w, ULONG mark)
{
    ULONG64 x = 1, sum = 0;
    NtkMark(mark);
    for (unsigned i = 0; i < READS; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        sum += w[(x >> 33) % (WORKING_SET / 8)];
    }
    NtkMark(mark + 1);
    return sum;
}

static BOOL run(const struct phase *ph, ULONG64 *sum)
{
    SIZE_T size = ph->page > WORKING_SET ? ph->page : WORKING_SET;
    BYTE *p = allocate(ph, size);
    if (!p) {
        DWORD e = GetLastError();
        printf("%s pages: allocation failed: error %lu%s\n", ph->name, e,
               e == ERROR_NO_SYSTEM_RESOURCES
                   ? " (no physically contiguous run of that size is free: give more --ram)"
               : e == ERROR_COMMITMENT_LIMIT
                   ? " (the commit limit: give more --ram or a larger paging file)"
                   : "");
        return FALSE;
    }
    MEMORY_BASIC_INFORMATION mbi;
    VirtualQuery(p, &mbi, sizeof mbi);
    BOOL ok = mbi.Type == MEM_PRIVATE && mbi.State == MEM_COMMIT &&
              mbi.Protect == PAGE_READWRITE && mbi.RegionSize == size;
    ULONG64 *w = (ULONG64 *)p, pa = 0;
    for (SIZE_T i = 0; i < WORKING_SET / 8; i++)
        w[i] = i * 2654435761u;
    NtkQueryPhysicalAddress(GetCurrentProcess(), p, &pa);
    if (ph->page > 4096)
        ok &= contiguous(p, size, ph->page);
    *sum = sweep(w, ph->mark);
    printf("%s pages: %lu MB at %p (physical 0x%llx): %s, %s, %s, %llu bytes%s; "
           "marks %lu-%lu: %u reads, sum 0x%llx\n", ph->name, (unsigned long)(size >> 20),
           (void *)p, pa, mbi.Type == MEM_PRIVATE ? "MEM_PRIVATE" : "?",
           mbi.State == MEM_COMMIT ? "MEM_COMMIT" : "?",
           mbi.Protect == PAGE_READWRITE ? "READWRITE" : "?", (unsigned long long)mbi.RegionSize,
           ph->page > 4096 ? ", every page physically contiguous and aligned" : "", ph->mark,
           ph->mark + 1, READS, *sum);
    return VirtualFree(p, 0, MEM_RELEASE) && ok;
}

int main(int argc, char **argv)
{
    const char *defaults[] = { "4k", "2m" };
    const char *const *names = argc > 1 ? (const char *const *)argv + 1 : defaults;
    int n = argc > 1 ? argc - 1 : 2;
    ULONG64 first = 0;
    BOOL ok = TRUE;
    printf("largepages: GetLargePageMinimum() = %llu; the same %u reads over %u MB per phase\n",
           (unsigned long long)GetLargePageMinimum(), READS, WORKING_SET >> 20);
    for (int i = 0; i < n; i++) {
        const struct phase *ph = NULL;
        for (unsigned k = 0; k < sizeof phases / sizeof phases[0]; k++)
            if (!strcmp(names[i], phases[k].name))
                ph = &phases[k];
        if (!ph) {
            printf("usage: largepages [4k] [2m] [1g]\n");
            return 2;
        }
        ULONG64 sum = 0;
        ok &= run(ph, &sum);
        ok &= i == 0 || sum == first;
        first = i == 0 ? sum : first;
    }
    printf("the TLB model counts each sweep between its marks: mmulab run --tlb skylake --stats "
           "largepages\n%s\n", ok ? "largepages: as expected" : "largepages: UNEXPECTED");
    return ok ? 0 : 1;
}
