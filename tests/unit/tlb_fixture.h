/*
 * tlb_fixture.h - a machine for TLB-model tests: 16 MB of guest RAM, page
 * tables built with ptbuild, an MMU with a model from a spec attached.
 * Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_TLB_FIXTURE_H
#define TESTS_UNIT_TLB_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/ptbuild.h"
#include "mmu/tlb.h"
#include "shared/x86.h"

#define TFX_RAM (16u << 20)
#define TFX_POOL 0x100000u
#define TFX_POOL_SIZE (8u << 20)

enum { P = 1, RW = 2, US = 4 };
#define G X86_PTE_G

struct tfx {
    uint8_t *ram;
    struct ptb b;
    struct mmu m;
    struct mmu_regs r;
    struct mmu_walk w;
    struct tlb *t;
};

static inline struct tfx *tfx_new(enum mmu_mode mode, const char *spec)
{
    static const uint64_t cr4[] = {
        [MMU_MODE_LEGACY] = X86_CR4_PSE,
        [MMU_MODE_PAE] = X86_CR4_PAE,
        [MMU_MODE_4LEVEL] = X86_CR4_PAE,
        [MMU_MODE_5LEVEL] = X86_CR4_PAE | X86_CR4_LA57,
    };
    struct tfx *f = calloc(1, sizeof *f);
    f->ram = calloc(1, TFX_RAM);
    assert_true(ptb_init(&f->b, mode, f->ram, TFX_RAM, TFX_POOL, TFX_POOL_SIZE));
    struct mmu_features feat;
    mmu_features_default(&feat);
    mmu_init(&f->m, &feat, &(struct mmu_pmem){ .ram = f->ram, .ram_size = TFX_RAM });
    f->r.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
    f->r.cr3 = f->b.root;
    f->r.cr4 = cr4[mode];
    f->r.efer = mode >= MMU_MODE_4LEVEL ? (X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE) : 0;
    if (spec) {
        struct tlb_config cfg;
        char err[256];
        if (!tlb_parse(spec, &cfg, err, sizeof err))
            fail_msg("spec \"%s\": %s", spec, err);
        f->t = tlb_new(&cfg);
        assert_non_null(f->t);
        mmu_attach_tlb(&f->m, f->t);
    }
    return f;
}

static inline void tfx_free(struct tfx *f)
{
    tlb_free(f->t);
    free(f->ram);
    free(f);
}

/* Load f->r into the MMU (as MOV to CR / WRMSR would, without the TLB
 * side effects, which tests call for explicitly). */
static inline void tfx_load(struct tfx *f)
{
    assert_true(mmu_set_regs(&f->m, &f->r, NULL));
}

static inline void tfx_map(struct tfx *f, uint64_t va, uint64_t pa, uint64_t page_size,
                           uint64_t flags)
{
    assert_true(ptb_map(&f->b, va, pa, page_size, page_size, flags));
}

/* One access through the model at CPL cpl. */
static inline bool tfx_go(struct tfx *f, uint64_t va, enum mmu_access a, unsigned cpl)
{
    mmu_set_privilege(&f->m, cpl, false, 0);
    return mmu_access(&f->m, va, a, 0, &f->w);
}

/* Read va at CPL 0 and say how it was answered: 'h' from a TLB, 'm' by a
 * walk.  The translation must succeed. */
static inline char tfx_hm(struct tfx *f, uint64_t va)
{
    assert_true(tfx_go(f, va, MMU_READ, 0));
    return f->w.tlb_hit >= 0 ? 'h' : 'm';
}

/* The index of the structure called name. */
static inline unsigned tfx_struct(const struct tfx *f, const char *name)
{
    for (unsigned i = 0; i < f->t->n; i++)
        if (strcmp(f->t->s[i].name, name) == 0)
            return i;
    fail_msg("no structure %s", name);
    return 0;
}

static inline const struct tlb_counters *tfx_counters(const struct tfx *f, const char *name)
{
    return &f->t->s[tfx_struct(f, name)].c;
}

/* Physical address of the entry at level for va. */
static inline uint64_t tfx_entry_pa(struct tfx *f, uint64_t va, unsigned level)
{
    uint64_t pa = ptb_entry_pa(&f->b, va, level);
    assert_true(pa != 0);
    return pa;
}

#endif /* TESTS_UNIT_TLB_FIXTURE_H */
