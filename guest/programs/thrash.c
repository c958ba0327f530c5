/*
 * thrash - more private memory than the machine has RAM, touched twice
 * (docs/programs.md, "thrash"): run it with `mmulab run --ram 16M thrash`.
 * It commits 64 MB (or the megabytes given as its argument), writes every
 * page with a pattern of its own, then reads every page back and checks
 * it.  Pages cannot all stay: the working set is trimmed, dirty pages are
 * written to the paging file by the modified page writer (page-outs), and
 * the second pass reads them back (page-ins) - and, since it only reads,
 * trims them again without writing them a second time.  Every 8 MB it
 * prints the paging file's reads and writes so far, its working set, and
 * what is available.  Exit status 0 when every page read back as written.
 */
#include <windows.h>

#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest/ntdll/ntdll.h"

#define PAGE 4096
#define STEP_PAGES 2048 /* 8 MB */

static struct ntk_system_memory memory(void)
{
    struct ntk_system_memory m;
    NtkQuerySystemMemory(&m);
    return m;
}

static ULONGLONG working_set_kb(void)
{
    PROCESS_MEMORY_COUNTERS c = { .cb = sizeof c };
    K32GetProcessMemoryInfo(GetCurrentProcess(), &c, sizeof c);
    return c.WorkingSetSize >> 10;
}

/* What every word of page i holds after the first pass. */
static ULONGLONG pattern(SIZE_T page, SIZE_T word)
{
    return (page * 0x9E3779B97F4A7C15ull) ^ (word * 0xBF58476D1CE4E5B9ull) ^ 0x5151;
}

static void progress(SIZE_T pages, const struct ntk_system_memory *at_start)
{
    struct ntk_system_memory m = memory();
    printf("  %5llu MB   page-outs %6llu   page-ins %6llu   working set %6llu KB   "
           "available %6llu KB\n",
           (ULONGLONG)pages * PAGE >> 20, m.pagefile_writes - at_start->pagefile_writes,
           m.pagefile_reads - at_start->pagefile_reads, working_set_kb(),
           (m.free_pages + m.zeroed_pages + m.standby_pages) * PAGE >> 10);
}

static void write_pass(ULONGLONG *mem, SIZE_T pages, const struct ntk_system_memory *m0)
{
    printf("pass 1: writing every page with a pattern of its own\n");
    for (SIZE_T i = 0; i < pages; i++) {
        ULONGLONG *w = mem + i * (PAGE / 8);
        for (SIZE_T j = 0; j < PAGE / 8; j++)
            w[j] = pattern(i, j);
        if ((i + 1) % STEP_PAGES == 0)
            progress(i + 1, m0);
    }
}

static SIZE_T read_pass(const ULONGLONG *mem, SIZE_T pages, const struct ntk_system_memory *m0)
{
    SIZE_T bad = 0;
    printf("pass 2: reading every page back and checking it\n");
    for (SIZE_T i = 0; i < pages; i++) {
        const ULONGLONG *w = mem + i * (PAGE / 8);
        for (SIZE_T j = 0; j < PAGE / 8; j++)
            if (w[j] != pattern(i, j)) {
                if (bad++ < 5)
                    printf("  page %llu word %llu: 0x%llx, not 0x%llx\n", (ULONGLONG)i,
                           (ULONGLONG)j, w[j], pattern(i, j));
                break;
            }
        if ((i + 1) % STEP_PAGES == 0)
            progress(i + 1, m0);
    }
    return bad;
}

int main(int argc, char **argv)
{
    SIZE_T mb = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
    SIZE_T pages = mb << 20 >> 12;
    struct ntk_system_memory m0 = memory();
    printf("thrash: %llu MB of private memory; the kernel manages %llu MB of RAM; the paging file has "
           "%llu MB; commit limit %llu MB\n",
           (ULONGLONG)mb, m0.total_pages * PAGE >> 20, m0.pagefile_pages * PAGE >> 20,
           m0.commit_limit * PAGE >> 20);
    ULONGLONG *mem = VirtualAlloc(NULL, pages * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!mem) {
        printf("VirtualAlloc(%llu MB) failed: error %lu\n", (ULONGLONG)mb, GetLastError());
        return 1;
    }
    write_pass(mem, pages, &m0);
    struct ntk_system_memory m1 = memory();
    SIZE_T bad = read_pass(mem, pages, &m0);
    struct ntk_system_memory m2 = memory();
    printf("page-outs (paging-file writes): %llu in pass 1, %llu in pass 2\n",
           m1.pagefile_writes - m0.pagefile_writes, m2.pagefile_writes - m1.pagefile_writes);
    printf("page-ins (paging-file reads):   %llu in pass 1, %llu in pass 2\n",
           m1.pagefile_reads - m0.pagefile_reads, m2.pagefile_reads - m1.pagefile_reads);
    printf("faults: demand-zero %llu, transition %llu, paging file %llu, image %llu\n",
           m2.demand_zero_faults - m0.demand_zero_faults,
           m2.transition_faults - m0.transition_faults, m2.pagefile_faults - m0.pagefile_faults,
           m2.image_faults - m0.image_faults);
    VirtualFree(mem, 0, MEM_RELEASE);
    printf("thrash: %llu pages written and read back, %llu wrong\n", (ULONGLONG)pages,
           (ULONGLONG)bad);
    return bad ? 1 : 0;
}
