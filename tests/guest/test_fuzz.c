/*
 * test_fuzz.c - no argument a user program passes to a system service may
 * bring the kernel down: run 32 fuzzing children (fuzz_child.c, 2000 random
 * calls each, deterministic seeds), then check that the kernel still works
 * and that all their commit charge came back.  A kernel panic stops the
 * machine with status 120 and fails the test.
 */
#include "guest/user/ntk.h"

#define CHILDREN 32

int main(void)
{
    struct ntk_system_memory before, after;
    tap_plan(4);
    NtkQuerySystemMemory(&before);
    unsigned started = 0, ended = 0, clean = 0;
    for (unsigned i = 0; i < CHILDREN; i++) {
        HANDLE p, t;
        if (NtkCreateProcess(&p, &t, "fuzz_child.elf", 14, 0, 0) < 0)
            continue;
        started++;
        if (NtWaitForSingleObject(p, 0, 0) == 0)
            ended++;
        struct ntk_process_basic_information info;
        NtQueryInformationProcess(p, 0, &info, sizeof info, 0);
        clean += info.exit_status == 0;
        printf("# child %u: exit status 0x%08x\n", i, (uint32_t)info.exit_status);
        NtClose(p);
        NtClose(t);
    }
    tap_ok(started == CHILDREN && ended == CHILDREN, "%u fuzzing processes ran and ended", ended);
    tap_ok(clean > 0, "%u of them survived their 2000 calls", clean);
    NtkQuerySystemMemory(&after);
    tap_eq(after.commit_charge, before.commit_charge,
           "commit charge is back where it was (no leak)");
    uint64_t base = 0, size = 0x10000;
    ntk_status st = NtAllocateVirtualMemory(CURRENT_PROCESS, &base, 0, &size,
                                            NTK_MEM_RESERVE | NTK_MEM_COMMIT, NTK_PAGE_READWRITE);
    tap_ok(st == 0 && (*(volatile uint64_t *)base = 1) == 1, "the kernel still serves us");
    return tap_done();
}
