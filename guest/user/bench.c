/*
 * bench.c - the guest half of `mmulab bench kernel` (emu/bench_kernel.c).
 * Each phase is framed by marker lines on the console, "@bench begin NAME
 * N" and "@bench end NAME"; the host times the wall-clock between them and
 * divides by N.  Phases:
 *   syscall  N null system calls (NtkNullService)
 *   fault    N demand-zero page faults: first touches of committed pages
 *   cycle    N reserve + commit + touch every page + release of 1 MB
 *   switch   N context switches: two threads yielding to each other
 *   pecreate N PE processes (pe_first.exe: EXE + ntdll.dll + kernel32.dll
 *            mapped and bound) created, run to their first instruction,
 *            which ends them, and waited for; a pe_first.exe kept alive
 *            meanwhile holds the DLLs' sections, as every process does on
 *            Windows
 *   pagein   (pe_pagein.exe's own markers) 256 first touches of pages of a
 *            1 MB image table, each read from the disk
 * The PE phases run only when the volume has those programs (mmulab's
 * bench volume has them when it was built with mingw-w64).
 */
#include "guest/user/ntk.h"

#define SYSCALLS 100000
#define FAULTS 4096
#define CYCLES 100
#define YIELDS 10000
#define PECREATES 200

static void begin(const char *name, unsigned n)
{
    printf("@bench begin %s %u\n", name, n);
}

static void end(const char *name)
{
    printf("@bench end %s\n", name);
}

static uint32_t yielder(void *arg)
{
    for (unsigned i = 0; i < YIELDS; i++)
        NtYieldExecution();
    return (uint32_t)(uint64_t)arg;
}

/* Start the program named by the first word of cmdline. */
static ntk_status spawn(const char *cmdline, HANDLE *p)
{
    HANDLE t;
    size_t n = 0;
    while (cmdline[n] && cmdline[n] != ' ')
        n++;
    ntk_status st = NtkCreateProcess(p, &t, cmdline, n, cmdline, strlen(cmdline));
    if (st >= 0)
        NtClose(t);
    return st;
}

static void pe_phases(void)
{
    HANDLE holder, p;
    if (spawn("pe_first.exe hold", &holder) < 0)
        return;
    begin("pecreate", PECREATES);
    for (unsigned i = 0; i < PECREATES; i++) {
        spawn("pe_first.exe", &p);
        NtWaitForSingleObject(p, 0, 0);
        NtClose(p);
    }
    end("pecreate");
    if (spawn("pe_pagein.exe", &p) >= 0)
        NtWaitForSingleObject(p, 0, 0);
    NtTerminateProcess(holder, 0);
    NtWaitForSingleObject(holder, 0, 0);
}

int main(void)
{
    begin("syscall", SYSCALLS);
    for (unsigned i = 0; i < SYSCALLS; i++)
        NtkNullService();
    end("syscall");

    volatile char *p = 0;
    uint64_t size = (uint64_t)FAULTS * 4096;
    NtAllocateVirtualMemory(CURRENT_PROCESS, &p, 0, &size, NTK_MEM_RESERVE | NTK_MEM_COMMIT,
                            NTK_PAGE_READWRITE);
    begin("fault", FAULTS);
    for (unsigned i = 0; i < FAULTS; i++)
        p[(uint64_t)i * 4096] = 1;
    end("fault");
    uint64_t zero = 0;
    NtFreeVirtualMemory(CURRENT_PROCESS, &p, &zero, NTK_MEM_RELEASE);

    begin("cycle", CYCLES);
    for (unsigned c = 0; c < CYCLES; c++) {
        volatile char *q = 0;
        uint64_t mb = 1 << 20, z = 0;
        NtAllocateVirtualMemory(CURRENT_PROCESS, &q, 0, &mb, NTK_MEM_RESERVE | NTK_MEM_COMMIT,
                                NTK_PAGE_READWRITE);
        for (unsigned i = 0; i < 256; i++)
            q[i * 4096] = 1;
        NtFreeVirtualMemory(CURRENT_PROCESS, &q, &z, NTK_MEM_RELEASE);
    }
    end("cycle");

    HANDLE a, b;
    begin("switch", 2 * YIELDS);
    create_thread(&a, yielder, 0);
    create_thread(&b, yielder, 0);
    NtWaitForSingleObject(a, 0, 0);
    NtWaitForSingleObject(b, 0, 0);
    end("switch");
    pe_phases();
    return 0;
}
