/*
 * pe_small.c - small PE programs for the loader's tests, one per MODE:
 *   NODLL      imports from missing.dll (not on the volume)
 *   NOEXPORT   imports K32Missing, which kernel32.dll does not export
 *   NOORDINAL  imports kernel32.dll's ordinal 99, which does not exist
 *   LAA        pe_nolaa.exe once its LARGE_ADDRESS_AWARE flag is cleared
 *              (pe_clear_laa.py): exit status 0 when its allocations, PEB,
 *              TEB and stack all lie below 2 GB, else a bit per failed check
 *   BIG        a 4 MB read-only table: touches its pages 5 and 900 and
 *              sleeps until ended (pe_test counts the page-ins)
 *   HELLO      prints a line and exits 0
 *   FIRST      exits at once (the benchmark's process creation); with an
 *              argument it sleeps instead, keeping the DLLs' sections open
 *   PAGEIN     touches each page of a 1 MB read-only table once, between
 *              the benchmark's markers "@bench begin pagein 256" and
 *              "@bench end pagein" (image page-ins per second)
 *   INPAGE     imports nothing and has no relocations: the kernel reads
 *              only its headers at load, so an in-page error (the
 *              pageinfail= test option) hits its first instruction
 */
#include "tests/guest/pe/pe_rt.h"

#if defined(MODE_NODLL)
IMPORT int MissingFunction(void);
int pe_main(void);
int pe_main(void)
{
    return MissingFunction();
}
#elif defined(MODE_NOEXPORT) || defined(MODE_NOORDINAL)
IMPORT int K32Missing(void);
IMPORT int K32NoOrdinal(void);
int pe_main(void);
int pe_main(void)
{
#ifdef MODE_NOEXPORT
    return K32Missing();
#else
    return K32NoOrdinal();
#endif
}
#elif defined(MODE_LAA)
int pe_main(void);
int pe_main(void)
{
    const uint64_t limit = 0x80000000ull;
    int bad = 0;
    uint64_t b = 0, s = 0x10000, teb, stack;
    if (NtAllocateVirtualMemory(NTK_CURRENT_PROCESS, &b, 0, &s, NTK_MEM_RESERVE, NTK_PAGE_READWRITE) ||
        b + s > limit)
        bad |= 1;
    b = 0, s = 0x10000;
    if (NtAllocateVirtualMemory(NTK_CURRENT_PROCESS, &b, 0, &s, NTK_MEM_RESERVE | NTK_MEM_TOP_DOWN,
                                NTK_PAGE_READWRITE) || b + s > limit || b + s < limit - 0x10000000)
        bad |= 2;
    b = 0x100000000ull, s = 0x10000;
    if (NtAllocateVirtualMemory(NTK_CURRENT_PROCESS, &b, 0, &s, NTK_MEM_RESERVE,
                                NTK_PAGE_READWRITE) != NTK_STATUS_INVALID_PARAMETER)
        bad |= 4;
    __asm__ volatile("mov %%gs:0x30, %0; mov %%gs:0x08, %1" : "=r"(teb), "=r"(stack));
    if (rt_peb() >= limit || teb >= limit || stack > limit)
        bad |= 8;
    return bad;
}
#elif defined(MODE_BIG)
/* 1024 pages of non-zero data, so they are in the file. */
const int64_t big_table[1024][512] __attribute__((aligned(4096))) = {
    [0 ... 1023] = { [0 ... 511] = 0x5a5a5a5a5a5a5a5all } };
int pe_main(void);
int pe_main(void)
{
    const volatile int64_t *t = &big_table[0][0];
    int64_t sum = t[5 * 512] + t[900 * 512 + 7];
    int64_t forever = INT64_MIN;
    NtDelayExecution(0, &forever);
    return (int)sum;
}
#elif defined(MODE_HELLO)
int pe_main(void);
int pe_main(void)
{
    rt_print("hello from a PE program\n");
    return 0;
}
#elif defined(MODE_FIRST)
#include "shared/nt/process.h"
int pe_main(void);
int pe_main(void)
{
    uint64_t params = *(uint64_t *)(rt_peb() + NTK_PEB_PROCESS_PARAMETERS);
    if (((const struct ntk_unicode_string *)(params + NTK_PARAMS_COMMAND_LINE))->length > 24) {
        int64_t forever = INT64_MIN;
        NtDelayExecution(0, &forever);
    }
    return 0;
}
#elif defined(MODE_PAGEIN)
const int64_t pagein_table[256][512] __attribute__((aligned(4096))) = {
    [0 ... 255] = { [0 ... 511] = 0x1234567812345678ll } };
int pe_main(void);
int pe_main(void)
{
    const volatile int64_t *t = &pagein_table[0][0];
    uint64_t sum = 0;
    rt_print("@bench begin pagein 256\n");
    for (unsigned i = 0; i < 256; i++)
        sum += (uint64_t)t[i * 512];
    rt_print("@bench end pagein\n");
    return sum == 256 * 0x1234567812345678ull ? 0 : 1;
}
#elif defined(MODE_INPAGE)
int pe_main(void);
int pe_main(void)
{
    for (;;)
        __asm__ volatile("pause");
}
#endif

#ifndef MODE_INPAGE
__asm__(".globl pe_entry\npe_entry:\n\tsub $0x28, %rsp\n\tcall pe_main\n"
        "\tmov %eax, %edx\n\tmov $-1, %rcx\n\tcall *__imp_NtTerminateProcess(%rip)\n\tud2\n");
#else
__asm__(".globl pe_entry\npe_entry:\n\tsub $0x28, %rsp\n\tcall pe_main\n\tud2\n");
#endif
