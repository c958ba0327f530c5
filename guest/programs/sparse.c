/*
 * sparse - the documents' sparse matrix, `int matrix[40000][40000]`: 6.4 GB
 * of address space reserved with one VirtualAlloc, and pages committed one
 * at a time, by a vectored exception handler, when the program first
 * touches them (docs/programs.md, "sparse").  It writes the diagonal every
 * 1000 rows (40 cells, 40 pages), reads it back, commits one more page
 * without touching it, and prints the reservation's reserved, committed and
 * resident pages: resident (a physical frame behind the page) comes from
 * this kernel's NtkQueryPhysicalAddress, which reports only pages already
 * in memory.  Then it releases everything and checks the commit charge
 * returned to where it was.  Exit status 0 when every figure is as
 * expected.
 */
#include <windows.h>

#include <stdio.h>

#include "guest/ntdll/ntdll.h"

#define ROWS 40000
#define COLS 40000
#define STEP 1000
#define PAGE 4096

static int (*matrix)[COLS];
static volatile LONG commits_by_handler;

/* An access violation inside the matrix: commit the page and retry the
 * access; anything else is not ours. */
static LONG WINAPI commit_on_touch(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    BYTE *a = (BYTE *)r->ExceptionInformation[1], *base = (BYTE *)matrix;
    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || r->NumberParameters < 2 || a < base ||
        a >= base + sizeof(int) * (SIZE_T)ROWS * COLS)
        return EXCEPTION_CONTINUE_SEARCH;
    if (!VirtualAlloc((void *)((ULONG_PTR)a & ~(ULONG_PTR)(PAGE - 1)), PAGE, MEM_COMMIT,
                      PAGE_READWRITE))
        return EXCEPTION_CONTINUE_SEARCH;
    commits_by_handler++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

struct pages {
    ULONGLONG reserved, committed, resident;
};

/* Walk the reservation region by region; probe each committed page. */
static struct pages count_pages(void)
{
    struct pages p = { 0, 0, 0 };
    BYTE *base = (BYTE *)matrix, *end = base + sizeof(int) * (SIZE_T)ROWS * COLS;
    MEMORY_BASIC_INFORMATION m;
    for (BYTE *a = base; a < end; a = (BYTE *)m.BaseAddress + m.RegionSize) {
        if (!VirtualQuery(a, &m, sizeof m) || m.AllocationBase != base)
            break;
        if (m.State == MEM_RESERVE)
            p.reserved += m.RegionSize / PAGE;
        if (m.State != MEM_COMMIT)
            continue;
        p.committed += m.RegionSize / PAGE;
        for (SIZE_T off = 0; off < m.RegionSize; off += PAGE) {
            ULONG64 pa;
            if (NT_SUCCESS(NtkQueryPhysicalAddress(GetCurrentProcess(), (BYTE *)m.BaseAddress + off,
                                                   &pa)))
                p.resident++;
        }
    }
    return p;
}

static ULONGLONG commit_charge_kb(void)
{
    MEMORYSTATUSEX ms = { .dwLength = sizeof ms };
    GlobalMemoryStatusEx(&ms);
    return (ms.ullTotalPageFile - ms.ullAvailPageFile) >> 10;
}

static void report(const char *when, struct pages p)
{
    printf("%s: reserved %llu pages, committed %llu, resident %llu (handler commits: %ld)\n", when,
           p.reserved, p.committed, p.resident, (long)commits_by_handler);
}

int main(void)
{
    SIZE_T size = sizeof(int) * (SIZE_T)ROWS * COLS;
    ULONGLONG charge0 = commit_charge_kb();
    matrix = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_READWRITE);
    if (!matrix) {
        printf("VirtualAlloc(MEM_RESERVE, %llu bytes) failed: error %lu\n", (ULONGLONG)size,
               GetLastError());
        return 1;
    }
    printf("int matrix[%d][%d]: %llu bytes (%llu pages) reserved at %p\n", ROWS, COLS,
           (ULONGLONG)size, (ULONGLONG)size / PAGE, (void *)matrix);
    PVOID handler = AddVectoredExceptionHandler(1, commit_on_touch);
    struct pages before = count_pages();
    report("before", before);

    LONGLONG sum = 0;
    for (int r = 0; r < ROWS; r += STEP)
        matrix[r][r] = r;
    for (int r = 0; r < ROWS; r += STEP)
        sum += matrix[r][r];
    printf("wrote matrix[r][r] = r for every %dth row; the diagonal sums to %lld\n", STEP, sum);
    struct pages touched = count_pages();
    report("after touching", touched);

    /* Committed but never touched: charged, not resident. */
    VirtualAlloc((BYTE *)matrix + size - PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE);
    struct pages extra = count_pages();
    report("after committing the last page", extra);
    printf("commit charge: +%llu KB\n", commit_charge_kb() - charge0);

    RemoveVectoredExceptionHandler(handler);
    VirtualFree(matrix, 0, MEM_RELEASE);
    ULONGLONG after = commit_charge_kb();
    printf("released: commit charge back to %s\n", after == charge0 ? "where it was" : "MORE");

    ULONGLONG cells = ROWS / STEP, total = size / PAGE;
    BOOL ok = before.reserved == total && before.committed == 0 && sum == (LONGLONG)(STEP * cells *
              (cells - 1) / 2) && touched.committed == cells && touched.resident == cells &&
              touched.reserved == total - cells && commits_by_handler == (LONG)cells &&
              extra.committed == cells + 1 && extra.resident == cells && after == charge0;
    printf("%s\n", ok ? "sparse: as expected" : "sparse: UNEXPECTED figures");
    return ok ? 0 : 1;
}
