/*
 * demo_sparse.c - int matrix[40000][40000]: 6.4 GB reserved, and only the
 * pages actually touched committed, by an exception handler that commits
 * the page of each access violation inside the matrix and resumes.
 */
#include "guest/user/ntk.h"

#define N 40000ull
static int (*matrix)[N];
static uint64_t committed;

static bool commit_on_demand(struct ntk_exception_record *r, struct ntk_context *c)
{
    (void)c;
    uint64_t va = r->exception_information[1];
    if (r->exception_code != (uint32_t)NTK_STATUS_ACCESS_VIOLATION ||
        va < (uint64_t)matrix || va >= (uint64_t)matrix + N * N * sizeof(int))
        return false;
    void *page = (void *)(va & ~0xfffull);
    uint64_t size = 0x1000;
    if (NtAllocateVirtualMemory(CURRENT_PROCESS, &page, 0, &size, NTK_MEM_COMMIT,
                                NTK_PAGE_READWRITE) < 0)
        return false;
    committed++;
    return true; /* run the faulting instruction again */
}

int main(void)
{
    uint64_t size = N * N * sizeof(int);
    ntk_status st = NtAllocateVirtualMemory(CURRENT_PROCESS, &matrix, 0, &size,
                                            NTK_MEM_RESERVE, NTK_PAGE_READWRITE);
    printf("reserve int[40000][40000]: status %08x, %llu MB at %p\n", (uint32_t)st,
           (unsigned long long)(size >> 20), (void *)matrix);
    set_exception_handler(commit_on_demand);
    for (uint64_t i = 0; i < N; i += 1000)
        matrix[i][i] = (int)i;
    long long sum = 0;
    for (uint64_t i = 0; i < N; i += 1000)
        sum += matrix[i][i];
    printf("wrote the diagonal every 1000 rows: sum %lld, %llu pages committed (%llu KB of "
           "%llu MB)\n", sum, (unsigned long long)committed,
           (unsigned long long)(committed * 4), (unsigned long long)(size >> 20));
    struct ntk_memory_basic_information m;
    uint64_t va = (uint64_t)matrix;
    for (int i = 0; i < 3; i++, va = m.base_address + m.region_size) {
        NtQueryVirtualMemory(CURRENT_PROCESS, va, 0, &m, sizeof m, 0);
        printf("  region %p: %s, 0x%llx bytes\n", (void *)m.base_address,
               m.state == NTK_MEM_COMMIT ? "committed" : "reserved",
               (unsigned long long)m.region_size);
    }
    uint64_t zero = 0;
    st = NtFreeVirtualMemory(CURRENT_PROCESS, &matrix, &zero, NTK_MEM_RELEASE);
    printf("release: status %08x\n", (uint32_t)st);
    return 0;
}
