/*
 * demo_vm.c - the life of a reservation: reserve, commit part of it, touch
 * it (demand-zero faults), change a page's protection, decommit, release;
 * NtQueryVirtualMemory after each step shows the regions.
 */
#include "guest/user/ntk.h"

static const char *state_name(uint32_t s)
{
    return s == NTK_MEM_COMMIT ? "commit" : s == NTK_MEM_RESERVE ? "reserve" : "free";
}

static void show(uint64_t base, uint64_t end)
{
    for (uint64_t va = base; va < end;) {
        struct ntk_memory_basic_information m;
        if (NtQueryVirtualMemory(CURRENT_PROCESS, va, 0, &m, sizeof m, 0) < 0)
            return;
        printf("   %012llx-%012llx %-7s protect %03x  base %012llx\n",
               (unsigned long long)m.base_address,
               (unsigned long long)(m.base_address + m.region_size), state_name(m.state),
               m.protect, (unsigned long long)m.allocation_base);
        va = m.base_address + m.region_size;
    }
}

int main(void)
{
    struct ntk_system_memory before, after;
    uint64_t pid;
    __asm__("mov %%gs:0x40, %0" : "=r"(pid));
    printf("demo_vm: process %llu\n", (unsigned long long)pid);

    char *base = 0;
    uint64_t size = 1 << 20;
    ntk_status st = NtAllocateVirtualMemory(CURRENT_PROCESS, &base, 0, &size, NTK_MEM_RESERVE,
                                            NTK_PAGE_READWRITE);
    printf("reserve 1 MB: status %08x, base %p, size 0x%llx\n", (uint32_t)st, base,
           (unsigned long long)size);
    char *mid = base + 0x40000;
    uint64_t csize = 0x10000;
    st = NtAllocateVirtualMemory(CURRENT_PROCESS, &mid, 0, &csize, NTK_MEM_COMMIT,
                                 NTK_PAGE_READWRITE);
    printf("commit 64 KB at +256 KB: status %08x\n", (uint32_t)st);
    show((uint64_t)base, (uint64_t)base + size);

    NtkQuerySystemMemory(&before);
    for (unsigned i = 0; i < 16; i++)
        mid[i * 4096] = (char)i;
    NtkQuerySystemMemory(&after);
    printf("touched 16 pages: %llu demand-zero faults\n",
           (unsigned long long)(after.demand_zero_faults - before.demand_zero_faults));

    char *ro = mid + 0x1000;
    uint64_t one = 0x1000;
    uint32_t old;
    st = NtProtectVirtualMemory(CURRENT_PROCESS, &ro, &one, NTK_PAGE_READONLY, &old);
    printf("protect one page read-only: status %08x, old protection %03x\n", (uint32_t)st, old);
    show((uint64_t)mid, (uint64_t)mid + csize);

    char *dc = mid;
    uint64_t dsize = 0x8000;
    st = NtFreeVirtualMemory(CURRENT_PROCESS, &dc, &dsize, NTK_MEM_DECOMMIT);
    printf("decommit 32 KB: status %08x\n", (uint32_t)st);
    show((uint64_t)base, (uint64_t)base + size);

    char *rel = base;
    uint64_t zero = 0;
    st = NtFreeVirtualMemory(CURRENT_PROCESS, &rel, &zero, NTK_MEM_RELEASE);
    printf("release: status %08x, freed 0x%llx bytes\n", (uint32_t)st, (unsigned long long)zero);
    show((uint64_t)base, (uint64_t)base + size);
    return 0;
}
