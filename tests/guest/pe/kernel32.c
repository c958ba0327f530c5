/*
 * kernel32.c - the kernel tests' own kernel32.dll (the real one is
 * guest/kernel32/): small exports to check binding by name and by ordinal,
 * an import from ntdll.dll (a DLL's imports are bound too), and a writable
 * variable (a write-copy page, private per process once written).
 * Linked at NTK_KERNEL32_BASE.
 */
#include "tests/guest/pe/pe_rt.h"

int64_t K32Counter = 1000;

int64_t K32Add(int64_t a, int64_t b);
int64_t K32Add(int64_t a, int64_t b)
{
    return a + b;
}

int64_t K32Mul(int64_t a, int64_t b);
int64_t K32Mul(int64_t a, int64_t b)
{
    return a * b;
}

int64_t K32Bump(void);
int64_t K32Bump(void)
{
    return ++K32Counter;
}

void K32Hello(const char *who);
void K32Hello(const char *who)
{
    rt_print("kernel32: hello, ");
    rt_print(who);
    rt_print("\n");
}

int dll_entry(void);
int dll_entry(void)
{
    return 1;
}
