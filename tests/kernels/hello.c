/*
 * hello.c - the smallest test kernel: boot information, UART output, CPUID.
 */
#include "tests/kernels/lib/ktest.h"

void ktest_main(void)
{
    uint32_t r[4];
    tap_plan(6);
    tap_eq(ktest_boot->magic, BOOT_INFO_MAGIC, "boot info magic");
    tap_eq(ktest_boot->ram_size, 128ull << 20, "RAM size");
    tap_ok((read_cr0() & X86_CR0_PG) && (read_cr4() & X86_CR4_PAE), "paging on, PAE");
    cpuid(0, 0, r);
    tap_ok(r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e,
           "CPUID vendor GenuineIntel");
    cpuid(0x80000008, 0, r);
    tap_eq(r[0] & 0xff, 40, "MAXPHYADDR");
    uint64_t t0 = rdtsc(), t1 = rdtsc();
    tap_ok(t1 > t0 && t1 - t0 < 10, "RDTSC counts virtual time (%llu then %llu)",
           (unsigned long long)t0, (unsigned long long)t1);
}
