/*
 * bench.c - the guest half of `mmulab bench kernel` (emu/bench_kernel.c).
 * Each phase is framed by marker lines on the console, "@bench begin NAME
 * N" and "@bench end NAME"; the host times the wall-clock between them and
 * divides by N.  Phases:
 *   syscall  N null system calls (NtkNullService)
 *   fault    N demand-zero page faults: first touches of committed pages
 *   cycle    N reserve + commit + touch every page + release of 1 MB
 *   switch   N context switches: two threads yielding to each other
 */
#include "guest/user/ntk.h"

#define SYSCALLS 100000
#define FAULTS 4096
#define CYCLES 100
#define YIELDS 10000

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
    return 0;
}
