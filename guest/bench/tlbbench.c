/*
 * tlbbench.c - the guest of `mmulab bench tlb` (emu/bench_tlb.c), embedded
 * in mmulab.  The command line says what to run:
 *
 *   friendly N        N iterations of a loop over 16 KB (4 pages): a load and
 *                     a store per iteration, TLB-friendly (speed figures);
 *   sweep 4k|2m WS N  map WS bytes (a power of two) with 4 KB or 2 MB pages,
 *                     then N reads at uniformly random 64-byte-aligned
 *                     addresses of it (TLB reach).
 *
 * The measured part lies between two bytes written to the debug console:
 * 0x01 before it, 0x02 after; the host takes its counters at each.  What
 * comes before (mapping, a warm-up of N/2 accesses) is not measured.
 *
 * The working set is virtual: large ones alias few physical frames (4 KB
 * pages: 1024 frames, 4 MB; 2 MB pages: 4 frames, 8 MB), page i mapping
 * frame i mod F.  A TLB caches translations by virtual page, so aliasing
 * changes nothing it does, and 1 GB of 4 KB pages needs 2 MB of page
 * tables and 4 MB of frames instead of 1 GB of RAM.
 */
#include <stdbool.h>

#include "guest/lib/lib.h"
#include "guest/lib/x86.h"
#include "shared/bootinfo.h"
#include "shared/devices.h"

#define BASE      0x0000200000000000ull /* PML4 slot 64: nothing else there */
#define FRAMES4K  1024
#define FRAMES_PA (32ull << 20)         /* 4 KB frames: [32 MB, 36 MB) */
#define FRAMES2M  4
#define LARGE_PA  (64ull << 20)         /* 2 MB frames: [64 MB, 72 MB) */
#define PTE_P     X86_PTE_P
#define PTE_RW    X86_PTE_RW

void kmain(const struct boot_info *bi);

__asm__(".section .text.entry, \"ax\"\n"
        ".globl _start\n"
        "_start: xor %rbp, %rbp\n call kmain\n1: hlt\n jmp 1b\n"
        ".text\n");

static const struct boot_info *boot;
static uint64_t next_table; /* bump allocator for page tables */

static void *virt(uint64_t pa)
{
    return (void *)(boot->direct_map + pa);
}

static uint64_t table_page(void)
{
    uint64_t pa = next_table;
    next_table += 0x1000;
    memset(virt(pa), 0, 0x1000);
    return pa;
}

/* The entry for va at level `last` (1: PTE, 2: PDE), making tables. */
static uint64_t *entry(uint64_t va, int last)
{
    uint64_t table = read_cr3() & X86_PTE_ADDR_MASK;
    for (int level = 4; level > last; level--) {
        uint64_t *e = (uint64_t *)virt(table) + ((va >> (12 + 9 * (level - 1))) & 511);
        if (!(*e & PTE_P))
            *e = table_page() | PTE_P | PTE_RW;
        table = *e & X86_PTE_ADDR_MASK;
    }
    return (uint64_t *)virt(table) + ((va >> (12 + 9 * (last - 1))) & 511);
}

static void map(uint64_t ws, bool large)
{
    if (large) {
        uint64_t pages = ws < (2ull << 20) ? 1 : ws >> 21;
        for (uint64_t i = 0; i < pages; i++)
            *entry(BASE + (i << 21), 2) =
                (LARGE_PA + ((i % FRAMES2M) << 21)) | PTE_P | PTE_RW | X86_PTE_PS;
        return;
    }
    uint64_t pages = ws >> 12;
    for (uint64_t i = 0; i < pages; i += 512) { /* a page table at a time */
        uint64_t *pte = entry(BASE + (i << 12), 1);
        for (uint64_t j = 0; j < 512 && i + j < pages; j++)
            pte[j] = (FRAMES_PA + (((i + j) % FRAMES4K) << 12)) | PTE_P | PTE_RW;
    }
}

static void mark(uint8_t what)
{
    outb(DEV_DEBUGCON_PORT, what);
}

/* N reads at random 64-byte-aligned offsets under mask (xorshift64). */
static uint64_t reads(uint64_t mask, uint64_t n, uint64_t *state)
{
    uint64_t x = *state, sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += *(volatile uint64_t *)(BASE + (x & mask));
    }
    *state = x;
    return sum;
}

static uint64_t friendly(uint64_t n)
{
    volatile uint64_t *a = (volatile uint64_t *)BASE;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        sum += a[i & 2047];
        a[(i * 7) & 2047] = sum;
    }
    return sum;
}

static uint64_t number(const char **s)
{
    uint64_t v = 0;
    while (**s == ' ')
        (*s)++;
    while (**s >= '0' && **s <= '9')
        v = v * 10 + (uint64_t)(*(*s)++ - '0');
    return v;
}

void kmain(const struct boot_info *bi)
{
    boot = bi;
    next_table = (bi->kernel_phys_end + 0xfff) & ~0xfffull;
    const char *cmd = bi->cmdline;
    uint64_t sum;
    if (strncmp(cmd, "friendly ", 9) == 0) {
        cmd += 9;
        uint64_t n = number(&cmd);
        map(16384, false);
        friendly(1000); /* warm-up */
        mark(1);
        sum = friendly(n);
        mark(2);
    } else if (strncmp(cmd, "sweep ", 6) == 0 &&
               (strncmp(cmd + 6, "4k ", 3) == 0 || strncmp(cmd + 6, "2m ", 3) == 0)) {
        bool large = cmd[6] == '2';
        cmd += 9;
        uint64_t ws = number(&cmd), n = number(&cmd);
        if (ws < 4096 || (ws & (ws - 1)) || ws > (1ull << 30) || !n) {
            kprintf("tlbbench: bad working set %llu or count %llu\n", (unsigned long long)ws,
                    (unsigned long long)n);
            machine_exit(2);
        }
        map(ws, large);
        uint64_t state = 0x9e3779b97f4a7c15ull, mask = (ws - 1) & ~63ull;
        reads(mask, n / 2, &state); /* warm-up */
        mark(1);
        sum = reads(mask, n, &state);
        mark(2);
    } else {
        kprintf("tlbbench: unknown command line \"%s\"\n", bi->cmdline);
        machine_exit(2);
    }
    (void)sum;
    machine_exit(0);
}
