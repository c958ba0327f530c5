/*
 * cmd_pagewalk.c - `mmulab pagewalk --demo`: build a small 4-level page-table
 * hierarchy in synthetic physical memory and show how the MMU walks it, one
 * paging-structure entry per line.  A teaching view of mmu/.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "mmu/mmu.h"
#include "shared/x86.h"

enum { OPT_DEMO = 1 };

static const struct cli_option options[] = {
    { "demo", NULL, OPT_DEMO, "walk the built-in demonstration hierarchy (required for now)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "pagewalk",
    .usage = "--demo",
    .summary =
        "Builds a 4-level page-table hierarchy with 4 KB, 2 MB and 1 GB pages, user and\n"
        "supervisor, read-only and execute-disable entries (CR0.WP, CR4.SMEP/SMAP and\n"
        "EFER.NXE on), then translates a series of accesses, printing for each the\n"
        "entries read, the accessed/dirty flags set, and the physical address or the\n"
        "exact fault (vector, error code, CR2).",
    .options = options,
};

#define RAM_SIZE (1u << 20)

/* Physical layout of the demo's paging structures. */
enum {
    PML4 = 0x1000,
    PDPT_USER = 0x2000,
    PDPT_KERNEL = 0x3000,
    PD_USER = 0x4000,
    PT_USER = 0x5000,
};

static void set_entry(uint8_t *ram, uint64_t table, unsigned index, uint64_t value)
{
    memcpy(ram + table + 8ull * index, &value, 8);
}

static void build(uint8_t *ram)
{
    const uint64_t P = X86_PTE_P, RW = X86_PTE_RW, US = X86_PTE_US, PS = X86_PTE_PS;
    const uint64_t G = X86_PTE_G, XD = X86_PTE_XD;

    set_entry(ram, PML4, 0, PDPT_USER | P | RW | US);
    set_entry(ram, PML4, 511, PDPT_KERNEL | P | RW);
    set_entry(ram, PDPT_USER, 0, PD_USER | P | RW | US);
    /* A 1 GB user page whose entry sets reserved bit 13: any access faults. */
    set_entry(ram, PDPT_USER, 1, 0x40000000 | X86_BIT(13) | P | RW | US | PS);
    /* The kernel's 1 GB global page at -2 GB, executable, supervisor only. */
    set_entry(ram, PDPT_KERNEL, 510, 0x80000000 | P | RW | PS | G);
    set_entry(ram, PD_USER, 0, PT_USER | P | RW | US);
    /* A 2 MB user data page, execute-disable. */
    set_entry(ram, PD_USER, 1, 0x600000 | P | RW | US | PS | XD);
    set_entry(ram, PT_USER, 0x10, 0x10000 | P | RW | US | XD);   /* user data */
    set_entry(ram, PT_USER, 0x11, 0x11000 | P | US);             /* user code, read-only */
    set_entry(ram, PT_USER, 0x12, 0x12000 | RW | US);            /* not present */
}

struct demo_access {
    const char *what;
    uint64_t va;
    enum mmu_access access;
    unsigned cpl;
};

static const struct demo_access accesses[] = {
    { "user reads its data page", 0x10123, MMU_READ, 3 },
    { "user fetches from its read-only code page", 0x11000, MMU_FETCH, 3 },
    { "user writes its read-only code page", 0x11008, MMU_WRITE, 3 },
    { "user executes its data page (XD)", 0x10000, MMU_FETCH, 3 },
    { "user touches a not-present page", 0x12345, MMU_READ, 3 },
    { "user writes its 2 MB page (sets D)", 0x200040, MMU_WRITE, 3 },
    { "kernel fetches from its 1 GB global page", 0xffffffff80001000, MMU_FETCH, 0 },
    { "user reads the kernel's page", 0xffffffff80001000, MMU_READ, 3 },
    { "kernel reads user memory with SMAP and EFLAGS.AC = 0", 0x10123, MMU_READ, 0 },
    { "kernel executes user code with SMEP", 0x11000, MMU_FETCH, 0 },
    { "user reads a 1 GB page whose entry sets a reserved bit", 0x40001000, MMU_READ, 3 },
    { "any access to a non-canonical address", 0x0000800000000000, MMU_READ, 0 },
};

int cmd_pagewalk(int argc, char **argv)
{
    struct cli c;
    bool demo = false;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));)
        if (id == OPT_DEMO)
            demo = true;
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);
    if (!demo)
        cli_usage_error(&c, "nothing to do: give --demo");

    uint8_t *ram = calloc(1, RAM_SIZE);
    if (!ram) {
        perror("mmulab pagewalk");
        return 1;
    }
    build(ram);

    struct mmu m;
    struct mmu_features f;
    mmu_features_default(&f);
    mmu_init(&m, &f, &(struct mmu_pmem){ .ram = ram, .ram_size = RAM_SIZE });
    struct mmu_regs r = {
        .cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
        .cr3 = PML4,
        .cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_SMEP | X86_CR4_SMAP,
        .efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
    };
    mmu_set_regs(&m, &r, NULL);

    printf("4-level paging, CR3 = 0x%" PRIx64 ", CR0.WP = 1, CR4.SMEP = CR4.SMAP = 1, "
           "EFER.NXE = 1\n",
           r.cr3);
    for (size_t i = 0; i < sizeof accesses / sizeof accesses[0]; i++) {
        const struct demo_access *a = &accesses[i];
        struct mmu_walk w;
        mmu_set_privilege(&m, a->cpl, false, 0);
        mmu_translate(&m, a->va, a->access, 0, &w);
        printf("\n%zu. %s\n", i + 1, a->what);
        mmu_walk_print(stdout, &w);
    }
    free(ram);
    return 0;
}
