/*
 * bench_walk.c - `mmulab bench walk`: nanoseconds per page walk, for each
 * paging mode, on a hierarchy mapping 64 MB with 4 KB pages (and once with
 * 2 MB pages), accessed at random page addresses.  A baseline for the TLB
 * model and the fill hook; the walks set A/D flags as they would in use.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/rng.h"
#include "mmu/mmu.h"
#include "mmu/ptbuild.h"
#include "shared/x86.h"

enum { OPT_JSON = 1, OPT_WALKS };

static const struct cli_option options[] = {
    { "json", NULL, OPT_JSON, "print the figures as one JSON object" },
    { "walks", "N", OPT_WALKS, "walks per measurement (default 2000000)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "bench walk",
    .usage = "[--json] [--walks N]",
    .summary = "Measures the MMU walker alone (no TLB, no Unicorn): nanoseconds per\n"
               "translation at random addresses of a 64 MB mapping, for each paging mode\n"
               "with 4 KB pages, and for 4-level paging with 2 MB pages.",
    .options = options,
};

#define RAM_SIZE (8u << 20)
#define SPAN (64u << 20)
#define NADDR 4096

struct setup {
    const char *key;      /* JSON key */
    const char *label;
    enum mmu_mode mode;
    uint64_t page;
    uint64_t base;        /* linear base of the mapping */
    uint64_t cr4;
};

static const struct setup setups[] = {
    { "legacy_4k_ns", "32-bit paging, 4 KB pages", MMU_MODE_LEGACY, X86_PAGE_4K, 0x40000000,
      X86_CR4_PSE },
    { "pae_4k_ns", "PAE paging, 4 KB pages", MMU_MODE_PAE, X86_PAGE_4K, 0x40000000, X86_CR4_PAE },
    { "4level_4k_ns", "4-level paging, 4 KB pages", MMU_MODE_4LEVEL, X86_PAGE_4K,
      0x00007f0000000000ull, X86_CR4_PAE },
    { "5level_4k_ns", "5-level paging, 4 KB pages", MMU_MODE_5LEVEL, X86_PAGE_4K,
      0x00ff000000000000ull, X86_CR4_PAE | X86_CR4_LA57 },
    { "4level_2m_ns", "4-level paging, 2 MB pages", MMU_MODE_4LEVEL, X86_PAGE_2M,
      0x00007f0000000000ull, X86_CR4_PAE },
};
#define NSETUPS (sizeof setups / sizeof setups[0])

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Nanoseconds per walk for one setup; negative on a set-up failure. */
static double measure(const struct setup *s, uint8_t *ram, uint64_t walks)
{
    struct ptb b;
    struct mmu m;
    struct mmu_features f;
    memset(ram, 0, RAM_SIZE);
    if (!ptb_init(&b, s->mode, ram, RAM_SIZE, 0x100000, RAM_SIZE - 0x100000) ||
        !ptb_map(&b, s->base, 0x100000000ull, SPAN, s->page, X86_PTE_RW | X86_PTE_US))
        return -1;
    mmu_features_default(&f);
    mmu_init(&m, &f, &(struct mmu_pmem){ .ram = ram, .ram_size = RAM_SIZE });
    struct mmu_regs r = {
        .cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
        .cr3 = b.root,
        .cr4 = s->cr4,
        .efer = s->mode >= MMU_MODE_4LEVEL ? X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE : 0,
    };
    if (!mmu_set_regs(&m, &r, NULL))
        return -1;
    mmu_set_privilege(&m, 3, false, 0);

    uint64_t va[NADDR];
    struct rng rng;
    rng_seed(&rng, 1, s->mode, s->page);
    for (unsigned i = 0; i < NADDR; i++)
        va[i] = s->base + (rng_below(&rng, SPAN) & ~7ull);

    struct mmu_walk w;
    uint64_t sink = 0;
    for (unsigned i = 0; i < NADDR; i++) /* warm up; sets the A/D flags once */
        mmu_translate(&m, va[i], MMU_WRITE, 0, &w);
    double t0 = now_ns();
    for (uint64_t i = 0; i < walks; i++) {
        mmu_translate(&m, va[i % NADDR], (enum mmu_access)(i & 1), 0, &w);
        sink += w.pa;
    }
    double t1 = now_ns();
    if (sink == 42) /* keep the loop */
        fputc(' ', stderr);
    return (t1 - t0) / (double)walks;
}

int cmd_bench_walk(int argc, char **argv)
{
    struct cli c;
    bool json = false;
    uint64_t walks = 2000000;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));) {
        if (id == OPT_JSON)
            json = true;
        else if (id == OPT_WALKS)
            walks = cli_u64(&c, 1000, 1000000000);
    }
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);

    uint8_t *ram = malloc(RAM_SIZE);
    if (!ram) {
        fprintf(stderr, "mmulab bench walk: out of memory\n");
        return 1;
    }
    double ns[NSETUPS];
    for (size_t i = 0; i < NSETUPS; i++) {
        ns[i] = measure(&setups[i], ram, walks);
        if (ns[i] < 0) {
            fprintf(stderr, "mmulab bench walk: cannot build the %s hierarchy\n", setups[i].label);
            free(ram);
            return 1;
        }
    }
    free(ram);

    if (json) {
        printf("{\"walks\": %" PRIu64, walks);
        for (size_t i = 0; i < NSETUPS; i++)
            printf(", \"%s\": %.1f", setups[i].key, ns[i]);
        printf("}\n");
    } else {
        printf("MMU walker alone, %" PRIu64 " walks each, random addresses in 64 MB:\n", walks);
        for (size_t i = 0; i < NSETUPS; i++)
            printf("  %-30s %6.1f ns/walk  (%.2fx the 4-level 4 KB walk)\n", setups[i].label,
                   ns[i], ns[i] / ns[2]);
    }
    return 0;
}
