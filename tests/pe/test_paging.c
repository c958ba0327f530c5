/*
 * test_paging.c - paging, memory pressure and working sets, from user mode,
 * on a small machine (tests/pe/meson.build runs it with --ram 16M):
 *
 *   test_paging.exe PF_MB     the commit limit (RAM + the paging file of
 *                             PF_MB, which may be 0) and its enforcement;
 *                             every committed page can be touched; working
 *                             sets (SetProcessWorkingSetSize and friends as
 *                             Microsoft documents them); image pages re-read,
 *                             never written; three processes paging at once
 *                             with their data intact
 *   test_paging.exe inpage    a paging-file read that fails (the kernel's
 *                             pagefilefail=test_paging.exe:30003000) is
 *                             STATUS_IN_PAGE_ERROR for the thread that
 *                             touched the page only; the process, its other
 *                             thread and a second process go on, nothing lost
 *
 * The program is its own child: "worker SEED MB" pages MB megabytes through
 * three passes and exits 0 when they are intact; "holdmin PAGES" sets its
 * working-set minimum and waits to be ended.
 */
#include <windows.h>

#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/ntdll/ntdll.h"
#include "tests/pe/tap.h"

#define PAGE 4096
#define INPAGE_BASE ((BYTE *)0x30000000)
#define INPAGE_PAGES 64
#define INPAGE_BAD 3 /* the page pagefilefail= names: 0x30003000 */

/* 4 MB of read-only data in the image (.rdata: const, not volatile, or
 * GCC puts it in .data, write-copy and charged to the commit limit in
 * every process): 1024 pages backed by the file, never by the paging file.
 * Each page starts with its number; reads go through a volatile pointer. */
#define TABLE_PAGES 1024
#define ONE(i) [(i) * (PAGE / 8)] = (i)
static const ULONGLONG table[TABLE_PAGES * (PAGE / 8)] = { ONE(1), ONE(2), ONE(1023) };

static struct ntk_system_memory memory(void)
{
    struct ntk_system_memory m;
    NtkQuerySystemMemory(&m);
    return m;
}

/* The counters into *m, counted after *m's page is resident: the kernel
 * takes its snapshot before it copies it out, so a first call whose copy
 * faults the page back in (from the paging file, after pressure) would
 * count that fault in the next difference.  The second call's copy finds
 * the page there. */
static void snapshot(struct ntk_system_memory *m)
{
    NtkQuerySystemMemory(m);
    NtkQuerySystemMemory(m);
}

/* Pages that may still be committed, less a margin for what the process
 * and the system commit meanwhile (stacks, heap, a child's image). */
static SIZE_T commit_room(SIZE_T margin)
{
    struct ntk_system_memory m = memory();
    SIZE_T room = (SIZE_T)(m.commit_limit - m.commit_charge);
    return room > margin ? room - margin : 0;
}

static PROCESS_MEMORY_COUNTERS_EX counters(void)
{
    PROCESS_MEMORY_COUNTERS_EX c;
    K32GetProcessMemoryInfo(GetCurrentProcess(), (PPROCESS_MEMORY_COUNTERS)&c, sizeof c);
    return c;
}

static ULONGLONG word(ULONGLONG seed, SIZE_T page, SIZE_T w)
{
    ULONGLONG x = seed * 0x9E3779B97F4A7C15ull + page * 0xBF58476D1CE4E5B9ull + w;
    x ^= x >> 31;
    return x * 0x94D049BB133111EBull;
}

static void fill(ULONGLONG *mem, SIZE_T pages, ULONGLONG seed)
{
    for (SIZE_T p = 0; p < pages; p++)
        for (SIZE_T w = 0; w < PAGE / 8; w++)
            mem[p * (PAGE / 8) + w] = word(seed, p, w);
}

/* Pages that do not hold what fill(seed) wrote. */
static SIZE_T bad_pages(const ULONGLONG *mem, SIZE_T pages, ULONGLONG seed)
{
    SIZE_T bad = 0;
    for (SIZE_T p = 0; p < pages; p++)
        for (SIZE_T w = 0; w < PAGE / 8; w++)
            if (mem[p * (PAGE / 8) + w] != word(seed, p, w)) {
                bad++;
                break;
            }
    return bad;
}

/* ---- children ---------------------------------------------------------------- */

/* Write, then read and rewrite (pages come back clean from the paging file
 * and are written again: the dirty bit must be seen), then read. */
static int worker(ULONGLONG seed, SIZE_T mb)
{
    SIZE_T pages = mb << 20 >> 12;
    ULONGLONG *mem = VirtualAlloc(NULL, pages * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!mem)
        return 90;
    fill(mem, pages, seed);
    SIZE_T bad = bad_pages(mem, pages, seed);
    fill(mem, pages, seed + 1);
    bad += bad_pages(mem, pages, seed + 1);
    return bad ? 91 : 0;
}

static int hold_minimum(SIZE_T pages)
{
    if (!SetProcessWorkingSetSize(GetCurrentProcess(), pages * PAGE, (pages + 64) * PAGE))
        return 92;
    Sleep(INFINITE);
    return 0;
}

static HANDLE spawn(const char *args)
{
    return spawn_child("test_paging.exe", args);
}

static DWORD wait_exit(HANDLE h)
{
    DWORD code = 0xdead;
    WaitForSingleObject(h, INFINITE);
    GetExitCodeProcess(h, &code);
    CloseHandle(h);
    return code;
}

/* ---- the commit limit ------------------------------------------------------------ */

/* Grow the stack now, so that nothing later needs commit for it. */
static void __attribute__((noinline)) grow_stack(void)
{
    volatile BYTE big[32 * 1024];
    big[0] = big[sizeof big - 1] = 1;
}

static void commit_limit(ULONGLONG pagefile_mb)
{
    grow_stack(); /* its charge first: it is not given back */
    struct ntk_system_memory m = memory();
    tap_eq(m.pagefile_pages, pagefile_mb << 20 >> 12, "the paging file has --pagefile-size pages");
    tap_eq(m.commit_limit, m.commit_limit_ram + m.pagefile_pages,
           "commit limit = its RAM part + the paging file");
    tap_ok(m.commit_limit_ram < m.total_pages, "the RAM part is less than RAM (%llu of %llu pages)",
           m.commit_limit_ram, m.total_pages);
    MEMORYSTATUSEX ms = { .dwLength = sizeof ms };
    GlobalMemoryStatusEx(&ms);
    tap_eq(ms.ullTotalPageFile, m.commit_limit * PAGE, "GlobalMemoryStatusEx: ullTotalPageFile");
    tap_eq(ms.ullAvailPageFile, (m.commit_limit - m.commit_charge) * PAGE,
           "GlobalMemoryStatusEx: ullAvailPageFile");

    /* Commit every page the limit allows, in one reservation: one page more
     * is refused; then touch them all - committed memory is always there. */
    SIZE_T room = (SIZE_T)(memory().commit_limit - memory().commit_charge);
    BYTE *r = VirtualAlloc(NULL, (room + 16) * PAGE, MEM_RESERVE, PAGE_READWRITE);
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(r, (room + 1) * PAGE, MEM_COMMIT, PAGE_READWRITE),
              ERROR_COMMITMENT_LIMIT, "committing one page past the limit");
    tap_ok(VirtualAlloc(r, room * PAGE, MEM_COMMIT, PAGE_READWRITE) == r,
           "committing exactly up to the limit (%llu pages)", (ULONGLONG)room);
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(r + room * PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE),
              ERROR_COMMITMENT_LIMIT, "then not one page more");
    fill((ULONGLONG *)r, room, 7);
    tap_eq(bad_pages((const ULONGLONG *)r, room, 7), 0,
           "every committed page written and read back intact");
    VirtualFree(r, 0, MEM_RELEASE);
    tap_eq(memory().commit_charge, m.commit_charge, "released: the charge is back");
}

/* ---- working sets ---------------------------------------------------------------- */

static BOOL set_ws(SIZE_T min, SIZE_T max)
{
    return SetProcessWorkingSetSize(GetCurrentProcess(), min, max);
}

static void working_set_rules(void)
{
    HANDLE me = GetCurrentProcess();
    SIZE_T min = 0, max = 0;
    DWORD flags = 0;
    /* "The default size is 50 pages ... 345 pages". */
    BOOL got = GetProcessWorkingSetSize(me, &min, &max);
    tap_ok(got && min == 50 * PAGE && max == 345 * PAGE,
           "defaults: 50 and 345 pages (%llu, %llu)", (ULONGLONG)min, (ULONGLONG)max);
    tap_ok(set_ws(100 * PAGE, 500 * PAGE) && GetProcessWorkingSetSize(me, &min, &max) &&
               min == 100 * PAGE && max == 500 * PAGE,
           "set 100 and 500 pages, read back");
    /* "greater than zero but less than 20 pages: the minimum is set to 20 pages" */
    got = set_ws(1, 500 * PAGE) && GetProcessWorkingSetSize(me, &min, &max);
    tap_ok(got && min == 20 * PAGE,
           "a minimum below 20 pages becomes 20 pages (%llu)", (ULONGLONG)min);
    SetLastError(0);
    tap_error(set_ws(0, 500 * PAGE), ERROR_INVALID_PARAMETER, "a minimum of 0");
    SetLastError(0);
    tap_error(set_ws(200 * PAGE, 100 * PAGE), ERROR_INVALID_PARAMETER, "minimum above maximum");
    /* "must be greater than or equal to 13 pages" */
    SetLastError(0);
    tap_error(set_ws(20 * PAGE, 12 * PAGE), ERROR_INVALID_PARAMETER, "a maximum of 12 pages");
    /* "less than the system-wide maximum (available pages minus 512)" */
    ULONGLONG ram = memory().total_pages;
    SetLastError(0);
    tap_error(set_ws(20 * PAGE, ram * PAGE), ERROR_INVALID_PARAMETER, "a maximum of all RAM");
    SetLastError(0);
    tap_error(SetProcessWorkingSetSize((HANDLE)(ULONG_PTR)0x1234, 20 * PAGE, 50 * PAGE),
              ERROR_INVALID_HANDLE, "a bad process handle");
    SetLastError(0);
    tap_error(SetProcessWorkingSetSizeEx(me, 50 * PAGE, 345 * PAGE,
                                         QUOTA_LIMITS_HARDWS_MIN_ENABLE |
                                             QUOTA_LIMITS_HARDWS_MIN_DISABLE),
              ERROR_INVALID_PARAMETER, "HARDWS_MIN_ENABLE with HARDWS_MIN_DISABLE");
    PROCESS_MEMORY_COUNTERS small;
    SetLastError(0);
    tap_error(K32GetProcessMemoryInfo(me, &small, sizeof small - 1), ERROR_INSUFFICIENT_BUFFER,
              "GetProcessMemoryInfo with too small a cb");

    /* First come, first served: a child holds 60% of RAM as its minimum. */
    char args[32];
    snprintf(args, sizeof args, "holdmin %llu", ram * 6 / 10);
    HANDLE child = spawn(args);
    SIZE_T child_min = 0, child_max = 0;
    for (int i = 0; i < 1000 && child_min != ram * 6 / 10 * PAGE; i++) {
        Sleep(1); /* until the child has set it */
        GetProcessWorkingSetSize(child, &child_min, &child_max);
    }
    DWORD still = 0;
    GetExitCodeProcess(child, &still);
    tap_ok(still == STILL_ACTIVE && child_min == ram * 6 / 10 * PAGE,
           "a child sets a minimum of 60%% of RAM (%llu pages)", (ULONGLONG)child_min / PAGE);
    SetLastError(0);
    tap_error(set_ws(ram * 6 / 10 * PAGE, (ram * 6 / 10 + 64) * PAGE), ERROR_NO_SYSTEM_RESOURCES,
              "a second 60% minimum is denied");
    tap_ok(set_ws(ram * 2 / 10 * PAGE, (ram * 2 / 10 + 64) * PAGE), "a 20%% minimum is granted");
    TerminateProcess(child, 0);
    wait_exit(child);

    /* A hard maximum: never more resident than that. */
    tap_ok(SetProcessWorkingSetSizeEx(me, 20 * PAGE, 64 * PAGE, QUOTA_LIMITS_HARDWS_MAX_ENABLE),
           "a hard maximum of 64 pages");
    got = GetProcessWorkingSetSizeEx(me, &min, &max, &flags);
    tap_ok(got && flags == (QUOTA_LIMITS_HARDWS_MIN_DISABLE | QUOTA_LIMITS_HARDWS_MAX_ENABLE),
           "flags read back: HARDWS_MIN_DISABLE | HARDWS_MAX_ENABLE (0x%lx)", flags);
    ULONGLONG *mem = VirtualAlloc(NULL, 256 * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    fill(mem, 256, 3);
    PROCESS_MEMORY_COUNTERS_EX c = counters();
    tap_ok(c.WorkingSetSize <= 64 * PAGE && c.WorkingSetSize > 0,
           "after touching 256 pages: %llu KB resident", (ULONGLONG)c.WorkingSetSize >> 10);
    tap_eq(bad_pages(mem, 256, 3), 0, "...and all 256 pages intact");
    VirtualFree(mem, 0, MEM_RELEASE);
    SetProcessWorkingSetSizeEx(me, 50 * PAGE, 345 * PAGE, QUOTA_LIMITS_HARDWS_MAX_DISABLE);

    /* (SIZE_T)-1 twice: "removes as many pages as possible". */
    mem = VirtualAlloc(NULL, 128 * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    fill(mem, 128, 4);
    SIZE_T before = counters().WorkingSetSize;
    tap_ok(set_ws((SIZE_T)-1, (SIZE_T)-1), "SetProcessWorkingSetSize(-1, -1)");
    SIZE_T after = counters().WorkingSetSize;
    tap_ok(before >= 128 * PAGE && after < 16 * PAGE,
           "the working set emptied: %llu KB, then %llu KB", (ULONGLONG)before >> 10,
           (ULONGLONG)after >> 10);
    struct ntk_system_memory m0 = memory();
    tap_eq(bad_pages(mem, 128, 4), 0, "the pages come back intact");
    struct ntk_system_memory m1 = memory();
    tap_ok(m1.transition_faults - m0.transition_faults >= 128 &&
               m1.pagefile_reads == m0.pagefile_reads,
           "from the standby and modified lists, without I/O (%llu transition faults)",
           m1.transition_faults - m0.transition_faults);
    VirtualFree(mem, 0, MEM_RELEASE);
}

/* ---- image pages ------------------------------------------------------------------ */

static ULONGLONG read_table(void)
{
    const volatile ULONGLONG *t = table;
    ULONGLONG sum = 0;
    for (SIZE_T p = 0; p < TABLE_PAGES; p++)
        sum += t[p * (PAGE / 8)];
    return sum;
}

static void image_pages(void)
{
    const ULONGLONG want = 1 + 2 + 1023;
    tap_eq(read_table(), want, "a 4 MB image table read");
    struct ntk_system_memory m0, m1, m2;
    snapshot(&m0);
    /* Pressure: 24 MB of private pages written (as much as the commit limit
     * allows without a paging file: most of RAM), the table's pages
     * trimmed, their frames reused. */
    SIZE_T pages = 24 << 20 >> 12, room = commit_room(256);
    if (pages > room)
        pages = room;
    ULONGLONG *mem = VirtualAlloc(NULL, pages * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    K32EmptyWorkingSet(GetCurrentProcess());
    fill(mem, pages, 5);
    snapshot(&m1);
    ULONGLONG sum = read_table();
    snapshot(&m2);
    tap_eq(sum, want, "read again after the pressure: the same contents");
    ULONGLONG reread = m2.image_page_ins - m1.image_page_ins;
    tap_ok(reread >= TABLE_PAGES / 2, "most of its pages were read again from the file (%llu)",
           reread);
    tap_eq(m2.image_faults - m1.image_faults, reread, "one image fault per page read again");
    tap_eq(m2.pagefile_reads - m1.pagefile_reads, 0, "none came from the paging file");
    tap_ok(m1.pagefile_writes - m0.pagefile_writes <= pages + 64,
           "the pressure wrote no more than its own private pages (%llu writes for %llu pages): "
           "image pages are never written",
           m1.pagefile_writes - m0.pagefile_writes, (ULONGLONG)pages);
    tap_eq(bad_pages(mem, pages, 5), 0, "the private pages are intact");
    VirtualFree(mem, 0, MEM_RELEASE);
}

/* ---- several processes at once --------------------------------------------------- */

/* Three workers of 12 MB each (36 MB on a 16 MB machine), or, as the
 * commit limit allows, less: without a paging file they share RAM. */
static void processes(void)
{
    struct ntk_system_memory m0;
    snapshot(&m0);
    SIZE_T mb = commit_room(3 * 128) / 3 / 256;
    if (mb > 12)
        mb = 12;
    HANDLE w[3];
    for (int i = 0; i < 3; i++) {
        char args[32];
        snprintf(args, sizeof args, "worker %d %llu", 100 + i, (ULONGLONG)mb);
        w[i] = spawn(args);
    }
    DWORD codes[3];
    for (int i = 0; i < 3; i++)
        codes[i] = w[i] ? wait_exit(w[i]) : 0xdead;
    struct ntk_system_memory m1 = memory();
    tap_ok(mb >= 3 && codes[0] == 0 && codes[1] == 0 && codes[2] == 0,
           "three processes paging %llu MB each at once: all intact (exit codes %lu %lu %lu)",
           (ULONGLONG)mb, codes[0], codes[1], codes[2]);
    ULONGLONG writes = m1.pagefile_writes - m0.pagefile_writes;
    ULONGLONG faults = m1.pagefile_faults - m0.pagefile_faults;
    if (m0.pagefile_pages)
        tap_ok(writes >= 3 * mb * 256 - m0.total_pages && faults > 0,
               "...through the paging file (%llu writes, %llu paging-file faults)", writes,
               faults);
    else
        tap_ok(writes == 0 && faults == 0,
               "...in RAM: no paging file, nothing written or read (%llu, %llu)", writes,
               faults);
    tap_eq(faults, m1.pagefile_reads - m0.pagefile_reads, "one read per paging-file fault");
}

/* ---- an in-page error --------------------------------------------------------- */

static volatile DWORD fault_tid, fault_code, fault_nparams;
static volatile ULONG_PTR fault_info[3];

/* The thread that meets the in-page error ends itself with 77. */
static LONG WINAPI in_page_handler(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    if (r->ExceptionCode != EXCEPTION_IN_PAGE_ERROR)
        return EXCEPTION_CONTINUE_SEARCH;
    fault_tid = GetCurrentThreadId();
    fault_code = r->ExceptionCode;
    fault_nparams = r->NumberParameters;
    for (int i = 0; i < 3; i++)
        fault_info[i] = r->ExceptionInformation[i];
    ExitThread(77);
    return EXCEPTION_CONTINUE_SEARCH;
}

static DWORD WINAPI reader(LPVOID arg)
{
    return *(volatile DWORD *)arg;
}

static void in_page_error(void)
{
    HANDLE sibling = spawn("worker 200 8");
    BYTE *buf = VirtualAlloc(INPAGE_BASE, INPAGE_PAGES * PAGE, MEM_COMMIT | MEM_RESERVE,
                             PAGE_READWRITE);
    tap_ok(buf == INPAGE_BASE, "a buffer at %p", (void *)buf);
    fill((ULONGLONG *)buf, INPAGE_PAGES, 9);
    /* Push it out to the paging file: 24 MB of other pages written. */
    SIZE_T pages = 24 << 20 >> 12;
    ULONGLONG *mem = VirtualAlloc(NULL, pages * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    fill(mem, pages, 10);
    struct ntk_system_memory m0 = memory();
    AddVectoredExceptionHandler(1, in_page_handler);
    DWORD tid = 0, code = 0;
    HANDLE t = CreateThread(NULL, 0, reader, buf + INPAGE_BAD * PAGE, 0, &tid);
    WaitForSingleObject(t, INFINITE);
    GetExitCodeThread(t, &code);
    CloseHandle(t);
    tap_eq(code, 77, "the reading thread met an exception and ended with 77");
    tap_eq(fault_code, EXCEPTION_IN_PAGE_ERROR, "EXCEPTION_IN_PAGE_ERROR (0xc0000006)");
    tap_ok(fault_tid == tid && tid != GetCurrentThreadId(),
           "raised in that thread only (thread %lu; this one is %lu)", fault_tid,
           GetCurrentThreadId());
    tap_ok(fault_nparams == 3 && fault_info[0] == 0 &&
               fault_info[1] == (ULONG_PTR)(buf + INPAGE_BAD * PAGE) &&
               fault_info[2] == 0xC000009C,
           "parameters: read, the address, STATUS_DEVICE_DATA_ERROR (%lu: %llx %llx %llx)",
           fault_nparams, (ULONGLONG)fault_info[0], (ULONGLONG)fault_info[1],
           (ULONGLONG)fault_info[2]);
    struct ntk_system_memory m1 = memory();
    tap_ok(m1.pagefile_reads > m0.pagefile_reads, "the page was being read from the paging file");
    tap_eq(bad_pages((const ULONGLONG *)buf, INPAGE_PAGES, 9), 0,
           "this thread reads the whole buffer afterwards: intact, the bad page too");
    tap_eq(bad_pages(mem, pages, 10), 0, "the other 24 MB are intact");
    tap_eq(wait_exit(sibling), 0, "a second process paging at the same time: intact");
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "worker"))
        return worker(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
    if (argc == 3 && !strcmp(argv[1], "holdmin"))
        return hold_minimum(strtoull(argv[2], NULL, 0));
    if (argc == 2 && !strcmp(argv[1], "inpage")) {
        tap_plan(9);
        in_page_error();
        return tap_done();
    }
    if (argc != 2) {
        printf("usage: test_paging.exe PAGEFILE_MB | inpage\n");
        return 2;
    }
    tap_plan(41);
    commit_limit(strtoull(argv[1], NULL, 0));
    working_set_rules();
    image_pages();
    processes();
    return tap_done();
}
