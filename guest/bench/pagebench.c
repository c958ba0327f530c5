/*
 * pagebench.c - the guest half of `mmulab bench paging` (emu/bench_paging.c):
 * a PE program run on a small machine with a paging file,
 *
 *   pagebench.exe SWEEP_PAGES FAULT_PAGES
 *
 * It frames each phase with console lines "@bench begin NAME N" and
 * "@bench end NAME K" (K: the operations the kernel's counters saw in the
 * phase; N: those the program asked for) and prints nothing in between:
 * mmulab stamps each line with the host's CPU time and the virtual time.
 *
 *   demandzero  FAULT_PAGES first touches of fresh pages with memory
 *               plentiful: the demand-zero fault, for comparison (K: the
 *               demand-zero faults)
 *   pageout     one write to each page of a SWEEP_PAGES buffer, larger than
 *               RAM, after RAM has been filled with dirty pages: each page
 *               is a demand-zero fault that makes an older dirty page leave
 *               (trimmed, written by the modified page writer, its frame
 *               reused) (K: paging-file writes)
 *   pagein      one read of each page of that buffer again, from the start:
 *               paging-file faults under pressure; the pages read back are
 *               clean and leave again without a write (K: paging-file reads)
 *   pagefile    one read of each page of a FAULT_PAGES buffer that is in
 *               the paging file, with memory plentiful (the sweep released):
 *               paging-file faults alone (K: paging-file faults)
 *   transition  the same pages again, after the working set was emptied
 *               (they are on the standby list): transition faults, no I/O
 *               (K: transition faults)
 *
 * Exit status 0 when every page read back what was written into it, 1 if
 * not, 2 on bad arguments or when memory cannot be had.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

#include "guest/ntdll/ntdll.h"

#define PAGE 4096
#define WORDS (PAGE / sizeof(ULONGLONG))

static struct ntk_system_memory memory(void)
{
    struct ntk_system_memory m;
    NtkQuerySystemMemory(&m);
    return m;
}

static ULONGLONG *commit(SIZE_T pages)
{
    return VirtualAlloc(NULL, pages * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
}

/* One word per page is enough to make it dirty (or to fault it in). */
static void write_pages(ULONGLONG *mem, SIZE_T pages, ULONGLONG tag)
{
    for (SIZE_T i = 0; i < pages; i++)
        mem[i * WORDS] = i ^ tag;
}

static SIZE_T bad_pages(const ULONGLONG *mem, SIZE_T pages, ULONGLONG tag)
{
    SIZE_T bad = 0;
    for (SIZE_T i = 0; i < pages; i++)
        bad += ((const volatile ULONGLONG *)mem)[i * WORDS] != (i ^ tag);
    return bad;
}

static void begin(const char *name, SIZE_T n)
{
    printf("@bench begin %s %llu\n", name, (ULONGLONG)n);
}

static void end(const char *name, ULONGLONG counted)
{
    printf("@bench end %s %llu\n", name, counted);
}

/* Empty the working set: its pages go to the standby and modified lists. */
static void empty_working_set(void)
{
    SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    SIZE_T sweep = strtoull(argv[1], NULL, 0), few = strtoull(argv[2], NULL, 0);
    SIZE_T ram = memory().total_pages;
    ULONGLONG *fresh = commit(few), *pf = commit(few), *ballast = commit(ram);
    ULONGLONG *big = commit(sweep);
    if (!sweep || !few || !fresh || !pf || !ballast || !big)
        return 2;
    SIZE_T bad = 0;

    struct ntk_system_memory m0 = memory();
    begin("demandzero", few);
    write_pages(fresh, few, 1);
    struct ntk_system_memory m1 = memory();
    end("demandzero", m1.demand_zero_faults - m0.demand_zero_faults);
    bad += bad_pages(fresh, few, 1);
    VirtualFree(fresh, 0, MEM_RELEASE);

    /* RAM full of dirty pages first (the pages that will be read back from
     * the paging file later, then as much again as RAM), then the sweep. */
    write_pages(pf, few, 2);
    write_pages(ballast, ram, 4);
    m0 = memory();
    begin("pageout", sweep);
    write_pages(big, sweep, 3);
    m1 = memory();
    end("pageout", m1.pagefile_writes - m0.pagefile_writes);

    m0 = memory();
    begin("pagein", sweep);
    bad += bad_pages(big, sweep, 3);
    m1 = memory();
    end("pagein", m1.pagefile_reads - m0.pagefile_reads);
    bad += bad_pages(ballast, ram, 4);
    VirtualFree(big, 0, MEM_RELEASE);
    VirtualFree(ballast, 0, MEM_RELEASE);

    /* pf's pages went out long ago; memory is plentiful again. */
    m0 = memory();
    begin("pagefile", few);
    bad += bad_pages(pf, few, 2);
    m1 = memory();
    end("pagefile", m1.pagefile_faults - m0.pagefile_faults);

    empty_working_set();
    m0 = memory();
    begin("transition", few);
    bad += bad_pages(pf, few, 2);
    m1 = memory();
    end("transition", m1.transition_faults - m0.transition_faults);
    return bad ? 1 : 0;
}
