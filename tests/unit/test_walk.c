/*
 * test_walk.c - unit tests of the MMU walker on synthetic page tables.
 * Each case states the SDM rule it checks; expected values are worked out
 * by hand from that rule, never taken from a previous run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmu/mmu.h"
#include "mmu/ptbuild.h"
#include "shared/x86.h"

#define RAM_SIZE (16u << 20)
#define POOL 0x100000u
#define POOL_SIZE (3u << 20)

enum { P = 1, RW = 2, US = 4 };
#define XD X86_PTE_XD

struct fx {
    uint8_t *ram;
    struct ptb b;
    struct mmu m;
    struct mmu_regs r;
    struct mmu_walk w;
};

static const uint64_t cr4_for_mode[] = {
    [MMU_MODE_LEGACY] = X86_CR4_PSE,
    [MMU_MODE_PAE] = X86_CR4_PAE,
    [MMU_MODE_4LEVEL] = X86_CR4_PAE,
    [MMU_MODE_5LEVEL] = X86_CR4_PAE | X86_CR4_LA57,
};

static struct fx *fx_new(enum mmu_mode mode)
{
    struct fx *f = calloc(1, sizeof *f);
    f->ram = calloc(1, RAM_SIZE);
    assert_true(ptb_init(&f->b, mode, f->ram, RAM_SIZE, POOL, POOL_SIZE));
    struct mmu_features feat;
    mmu_features_default(&feat);
    mmu_init(&f->m, &feat, &(struct mmu_pmem){ .ram = f->ram, .ram_size = RAM_SIZE });
    f->r.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
    f->r.cr3 = f->b.root;
    f->r.cr4 = cr4_for_mode[mode];
    f->r.efer = mode >= MMU_MODE_4LEVEL ? (X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)
                                        : (mode == MMU_MODE_PAE ? X86_EFER_NXE : 0);
    return f;
}

static void fx_free(struct fx *f)
{
    free(f->ram);
    free(f);
}

/* Load the registers; the test expects it to succeed. */
static void fx_load(struct fx *f)
{
    assert_true(mmu_set_regs(&f->m, &f->r, NULL));
}

static bool go(struct fx *f, uint64_t va, enum mmu_access a, unsigned cpl)
{
    mmu_set_privilege(&f->m, cpl, false, 0);
    return mmu_translate(&f->m, va, a, 0, &f->w);
}

static uint64_t entry(struct fx *f, uint64_t va, unsigned level)
{
    return ptb_get(&f->b, ptb_entry_pa(&f->b, va, level));
}

static void expect_pf(struct fx *f, uint32_t ec, enum mmu_why why, uint64_t cr2)
{
    assert_int_equal(f->w.fault, MMU_FAULT_PF);
    assert_int_equal(f->w.vector, 14);
    assert_int_equal(f->w.error_code, ec);
    assert_int_equal(f->w.why, why);
    assert_int_equal(f->w.cr2, cr2);
}

/* ---- paging off ---------------------------------------------------------- */

static void test_paging_off_is_identity(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_LEGACY);
    f->r.cr0 = X86_CR0_PE;
    fx_load(f);
    assert_true(go(f, 0x123456789abc, MMU_WRITE, 0));
    /* Without paging (and without long mode) linear addresses are 32 bits. */
    assert_int_equal(f->w.pa, 0x56789abc);
    assert_int_equal(f->w.rights, MMU_R | MMU_W | MMU_X);
    assert_int_equal(f->w.nsteps, 0);
    fx_free(f);
}

/* ---- 32-bit paging (SDM §4.3) -------------------------------------------- */

static void test_legacy_4k_translation_sets_accessed_and_dirty(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_LEGACY);
    assert_true(ptb_map(&f->b, 0x00403000, 0x00555000, 0x1000, X86_PAGE_4K, RW | US));
    fx_load(f);

    assert_true(go(f, 0x00403abc, MMU_READ, 3));
    assert_int_equal(f->w.pa, 0x00555abc);
    assert_int_equal(f->w.page_size, X86_PAGE_4K);
    assert_int_equal(f->w.nsteps, 2);
    assert_int_equal(f->w.step[0].level, MMU_PDE);
    assert_int_equal(f->w.step[0].index, 1);            /* bits 31:22 of 0x00403abc */
    assert_int_equal(f->w.step[1].index, 3);            /* bits 21:12 */
    assert_int_equal(f->w.step[0].width, 4);
    /* A read sets A in both entries and D nowhere. */
    assert_true(entry(f, 0x00403000, MMU_PDE) & X86_PTE_A);
    assert_true(entry(f, 0x00403000, MMU_PTE) & X86_PTE_A);
    assert_false(entry(f, 0x00403000, MMU_PTE) & X86_PTE_D);
    assert_false(f->w.dirty);
    /* A user-mode translation of a user RW page grants everything (no XD in 32-bit paging). */
    assert_int_equal(f->w.rights, MMU_R | MMU_W | MMU_X);

    assert_true(go(f, 0x00403000, MMU_WRITE, 3));
    assert_true(entry(f, 0x00403000, MMU_PTE) & X86_PTE_D);
    assert_true(f->w.dirty);
    assert_int_equal(f->w.step[1].written & ~f->w.step[1].value, X86_PTE_D);
    fx_free(f);
}

static void test_legacy_4m_page_and_pse36(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_LEGACY);
    /* PA 0x3_00c0_0000: bits 33:32 = 3 go to PDE bits 14:13. */
    assert_true(ptb_map(&f->b, 0x80000000, 0x300c00000ull, X86_PAGE_4M, X86_PAGE_4M, RW));
    uint64_t pde = entry(f, 0x80000000, MMU_PDE);
    assert_int_equal(pde & 0xffc00000, 0x00c00000);
    assert_int_equal((pde >> 13) & 0xff, 3);
    fx_load(f);
    assert_true(go(f, 0x80123456, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x300c00000ull + 0x123456);
    assert_int_equal(f->w.page_size, X86_PAGE_4M);
    assert_int_equal(f->w.nsteps, 1);
    /* All eight PSE-36 bits (PA 39:32 from PDE 20:13) with MAXPHYADDR = 40. */
    assert_true(ptb_map(&f->b, 0x40000000, 0xff00400000ull, X86_PAGE_4M, X86_PAGE_4M, RW));
    assert_true(go(f, 0x40000008, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0xff00400008ull);
    fx_free(f);
}

static void test_legacy_ps_ignored_without_cr4_pse(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_LEGACY);
    /* A PDE with PS = 1 pointing at a page table that maps 0x00400000. */
    assert_true(ptb_map(&f->b, 0x00400000, 0x00700000, 0x1000, X86_PAGE_4K, RW));
    uint64_t pde_pa = ptb_entry_pa(&f->b, 0x00400000, MMU_PDE);
    ptb_set(&f->b, pde_pa, ptb_get(&f->b, pde_pa) | X86_PTE_PS);
    f->r.cr4 = 0; /* CR4.PSE = 0: PS is ignored, the PDE references a table (§4.3) */
    fx_load(f);
    assert_true(go(f, 0x00400010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x00700010);
    assert_int_equal(f->w.nsteps, 2);
    /* With CR4.PSE = 1 the same PDE maps a 4 MB page at its bits 31:22. */
    f->r.cr4 = X86_CR4_PSE;
    fx_load(f);
    assert_true(go(f, 0x00400010, MMU_READ, 0));
    assert_int_equal(f->w.page_size, X86_PAGE_4M);
    fx_free(f);
}

static void test_legacy_4m_reserved_bit_21(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_LEGACY);
    assert_true(ptb_map(&f->b, 0x00800000, 0x00c00000, X86_PAGE_4M, X86_PAGE_4M, RW | US));
    uint64_t pde_pa = ptb_entry_pa(&f->b, 0x00800000, MMU_PDE);
    ptb_set(&f->b, pde_pa, ptb_get(&f->b, pde_pa) | X86_BIT(21));
    fx_load(f);
    assert_false(go(f, 0x00800004, MMU_WRITE, 3));
    /* Reserved-bit faults have P = 1 and RSVD = 1 (§4.7). */
    expect_pf(f, X86_PF_P | X86_PF_W | X86_PF_U | X86_PF_RSVD, MMU_WHY_RESERVED, 0x00800004);
    /* The faulting entry is not marked accessed. */
    assert_false(ptb_get(&f->b, pde_pa) & X86_PTE_A);
    fx_free(f);
}

static void test_legacy_fetch_error_code_id_only_with_smep(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_LEGACY);
    fx_load(f);
    assert_false(go(f, 0x1000, MMU_FETCH, 3));
    /* 32-bit paging without SMEP: the I/D flag is not reported (§4.7). */
    expect_pf(f, X86_PF_U, MMU_WHY_NOT_PRESENT, 0x1000);
    f->r.cr4 |= X86_CR4_SMEP;
    fx_load(f);
    assert_false(go(f, 0x1000, MMU_FETCH, 3));
    expect_pf(f, X86_PF_U | X86_PF_ID, MMU_WHY_NOT_PRESENT, 0x1000);
    fx_free(f);
}

/* ---- PAE paging (SDM §4.4) ----------------------------------------------- */

static void test_pae_pdpte_reserved_bits_fault_at_cr3_load(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_PAE);
    assert_true(ptb_map(&f->b, 0x40000000, 0x200000, X86_PAGE_2M, X86_PAGE_2M, RW));
    fx_load(f);
    /* Bits 2:1 of a PDPTE are reserved: setting R/W makes MOV CR3 fail with #GP(0). */
    uint64_t pdpte_pa = f->b.root + 8;
    ptb_set(&f->b, pdpte_pa, ptb_get(&f->b, pdpte_pa) | X86_PTE_RW);
    struct mmu_walk gp;
    assert_false(mmu_set_regs(&f->m, &f->r, &gp));
    assert_int_equal(gp.fault, MMU_FAULT_GP);
    assert_int_equal(gp.vector, 13);
    assert_int_equal(gp.why, MMU_WHY_PDPTE);
    assert_int_equal(gp.step[0].index, 1);
    /* The old PDPTE registers stay in use. */
    assert_true(go(f, 0x40000010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x200010);
    /* A not-present PDPTE may hold anything. */
    ptb_set(&f->b, f->b.root + 16, 0xfffffffffffffffeull);
    ptb_set(&f->b, pdpte_pa, ptb_get(&f->b, pdpte_pa) & ~X86_PTE_RW);
    fx_load(f);
    fx_free(f);
}

static void test_pae_pdpte_registers_are_cached_until_reload(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_PAE);
    assert_true(ptb_map(&f->b, 0x80000000, 0x200000, X86_PAGE_2M, X86_PAGE_2M, RW));
    fx_load(f);
    /* Clear PDPTE2 in memory: the register still holds it (§4.4.1). */
    ptb_set(&f->b, f->b.root + 16, 0);
    assert_true(go(f, 0x80000000, MMU_READ, 0));
    assert_true(f->w.step[0].from_register);
    assert_int_equal(f->w.step[0].entry_pa, f->b.root + 16);
    fx_load(f);
    assert_false(go(f, 0x80000000, MMU_READ, 0));
    expect_pf(f, 0, MMU_WHY_NOT_PRESENT, 0x80000000);
    fx_free(f);
}

static void test_pae_2m_page_and_xd(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_PAE);
    assert_true(ptb_map(&f->b, 0xc0200000, 0x400000, X86_PAGE_2M, X86_PAGE_2M, RW | US | XD));
    fx_load(f);
    assert_true(go(f, 0xc02fffff, MMU_READ, 3));
    assert_int_equal(f->w.pa, 0x4fffff);
    assert_int_equal(f->w.rights, MMU_R | MMU_W); /* XD with NXE: no X */
    assert_false(go(f, 0xc0200000, MMU_FETCH, 3));
    expect_pf(f, X86_PF_P | X86_PF_U | X86_PF_ID, MMU_WHY_NX, 0xc0200000);
    /* With EFER.NXE = 0, bit 63 is reserved (§4.4.2). */
    f->r.efer = 0;
    fx_load(f);
    assert_false(go(f, 0xc0200000, MMU_READ, 3));
    expect_pf(f, X86_PF_P | X86_PF_U | X86_PF_RSVD, MMU_WHY_RESERVED, 0xc0200000);
    fx_free(f);
}

static void test_pae_high_bits_reserved(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_PAE);
    assert_true(ptb_map(&f->b, 0x1000, 0x2000, 0x1000, X86_PAGE_4K, RW));
    uint64_t pte_pa = ptb_entry_pa(&f->b, 0x1000, MMU_PTE);
    /* PAE: bits 62:M are reserved, including 62:52 (Table 4-11). */
    ptb_set(&f->b, pte_pa, ptb_get(&f->b, pte_pa) | X86_BIT(55));
    fx_load(f);
    assert_false(go(f, 0x1000, MMU_READ, 0));
    expect_pf(f, X86_PF_P | X86_PF_RSVD, MMU_WHY_RESERVED, 0x1000);
    fx_free(f);
}

/* ---- 4-level and 5-level paging (SDM §4.5) ------------------------------- */

static void test_4level_page_sizes(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x7fff00001000, 0x123000, 0x1000, X86_PAGE_4K, RW | US));
    assert_true(ptb_map(&f->b, 0x40000000, 0x800000, X86_PAGE_2M, X86_PAGE_2M, RW));
    assert_true(ptb_map(&f->b, 0xffffffff80000000ull, 0x40000000, X86_PAGE_1G, X86_PAGE_1G,
                        RW | X86_PTE_G));
    fx_load(f);

    assert_true(go(f, 0x7fff00001fff, MMU_READ, 3));
    assert_int_equal(f->w.pa, 0x123fff);
    assert_int_equal(f->w.nsteps, 4);
    assert_int_equal(f->w.step[0].level, MMU_PML4E);
    assert_int_equal(f->w.step[0].index, 0xff);  /* bits 47:39 of 0x7fff00001fff */
    assert_int_equal(f->w.step[1].index, 0x1fc); /* bits 38:30 */

    assert_true(go(f, 0x40012345, MMU_WRITE, 0));
    assert_int_equal(f->w.pa, 0x812345);
    assert_int_equal(f->w.page_size, X86_PAGE_2M);
    assert_int_equal(f->w.nsteps, 3);

    assert_true(go(f, 0xffffffff80001234ull, MMU_FETCH, 0));
    assert_int_equal(f->w.pa, 0x40001234);
    assert_int_equal(f->w.page_size, X86_PAGE_1G);
    assert_int_equal(f->w.nsteps, 2);
    assert_true(f->w.global);
    fx_free(f);
}

static void test_4level_reserved_bits(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x40000000, 0x40000000, X86_PAGE_1G, X86_PAGE_1G, RW));
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW));
    fx_load(f);
    uint64_t pdpte_pa = ptb_entry_pa(&f->b, 0x40000000, MMU_PDPTE);
    uint64_t pml4e_pa = ptb_entry_pa(&f->b, 0x1000, MMU_PML4E);
    uint64_t pte_pa = ptb_entry_pa(&f->b, 0x1000, MMU_PTE);
    uint64_t pdpte = ptb_get(&f->b, pdpte_pa), pml4e = ptb_get(&f->b, pml4e_pa);
    uint64_t pte = ptb_get(&f->b, pte_pa);

    /* 1 GB page: bits 29:13 reserved (Table 4-16). */
    ptb_set(&f->b, pdpte_pa, pdpte | X86_BIT(20));
    assert_false(go(f, 0x40000000, MMU_READ, 0));
    expect_pf(f, X86_PF_P | X86_PF_RSVD, MMU_WHY_RESERVED, 0x40000000);
    ptb_set(&f->b, pdpte_pa, pdpte);

    /* PS is reserved in a PML4E. */
    ptb_set(&f->b, pml4e_pa, pml4e | X86_PTE_PS);
    assert_false(go(f, 0x1000, MMU_READ, 0));
    assert_int_equal(f->w.why, MMU_WHY_RESERVED);
    ptb_set(&f->b, pml4e_pa, pml4e);

    /* Bits 51:M are reserved (M = 40 here); bits 62:52 are ignored. */
    ptb_set(&f->b, pte_pa, pte | X86_BIT(40));
    assert_false(go(f, 0x1000, MMU_READ, 0));
    assert_int_equal(f->w.why, MMU_WHY_RESERVED);
    ptb_set(&f->b, pte_pa, pte | X86_BIT(52) | X86_BIT(58));
    assert_true(go(f, 0x1000, MMU_READ, 0));
    fx_free(f);
}

static void test_4level_without_1g_pages_ps_is_reserved(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    struct mmu_features feat;
    mmu_features_default(&feat);
    feat.gbpages = false;
    mmu_init(&f->m, &feat, &(struct mmu_pmem){ .ram = f->ram, .ram_size = RAM_SIZE });
    assert_true(ptb_map(&f->b, 0x40000000, 0x40000000, X86_PAGE_1G, X86_PAGE_1G, RW));
    fx_load(f);
    assert_false(go(f, 0x40000000, MMU_READ, 0));
    expect_pf(f, X86_PF_P | X86_PF_RSVD, MMU_WHY_RESERVED, 0x40000000);
    fx_free(f);
}

static void test_non_canonical_is_gp_not_pf(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    fx_load(f);
    assert_false(go(f, 0x0000800000000000ull, MMU_READ, 0));
    assert_int_equal(f->w.fault, MMU_FAULT_GP);
    assert_int_equal(f->w.vector, 13);
    assert_int_equal(f->w.error_code, 0);
    assert_int_equal(f->w.nsteps, 0);
    assert_false(go(f, 0xffff7fffffffffffull, MMU_READ, 0));
    assert_int_equal(f->w.fault, MMU_FAULT_GP);
    /* The same address is canonical with 5-level paging (57 bits). */
    fx_free(f);
    f = fx_new(MMU_MODE_5LEVEL);
    assert_true(ptb_map(&f->b, 0x0000800000000000ull, 0x5000, 0x1000, X86_PAGE_4K, RW));
    fx_load(f);
    assert_true(go(f, 0x0000800000000008ull, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x5008);
    assert_int_equal(f->w.nsteps, 5);
    assert_int_equal(f->w.step[0].level, MMU_PML5E);
    assert_int_equal(f->w.step[0].index, 0);
    assert_int_equal(f->w.step[1].index, 0x100); /* bit 47 set: PML4 index 256 */
    assert_false(go(f, 0x0100000000000000ull, MMU_READ, 0)); /* bit 56 set alone */
    assert_int_equal(f->w.fault, MMU_FAULT_GP);
    fx_free(f);
}

/* ---- access rights (SDM §4.6) -------------------------------------------- */

static void test_user_access_to_supervisor_page(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW));
    fx_load(f);
    assert_false(go(f, 0x1008, MMU_WRITE, 3));
    expect_pf(f, X86_PF_P | X86_PF_W | X86_PF_U, MMU_WHY_USER, 0x1008);
    /* The leaf is not marked accessed by a faulting access; the tables are. */
    assert_false(entry(f, 0x1000, MMU_PTE) & X86_PTE_A);
    assert_true(entry(f, 0x1000, MMU_PDE) & X86_PTE_A);
    /* U/S = 0 in a higher level makes the whole range supervisor. */
    f->b.table_flags = X86_PTE_RW; /* new tables are supervisor-only */
    assert_true(ptb_map(&f->b, 0x8000000000ull, 0x2000, 0x1000, X86_PAGE_4K, RW | US));
    assert_false(go(f, 0x8000000000ull, MMU_READ, 3));
    assert_int_equal(f->w.why, MMU_WHY_USER);
    assert_true(go(f, 0x8000000000ull, MMU_READ, 0));
    fx_free(f);
}

static void test_write_protect(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, 0));       /* supervisor RO */
    assert_true(ptb_map(&f->b, 0x2000, 0x2000, 0x1000, X86_PAGE_4K, US));      /* user RO */
    fx_load(f);
    /* CR0.WP = 1: supervisor writes honour R/W. */
    assert_false(go(f, 0x1000, MMU_WRITE, 0));
    expect_pf(f, X86_PF_P | X86_PF_W, MMU_WHY_READ_ONLY, 0x1000);
    assert_false(go(f, 0x2000, MMU_WRITE, 0));
    assert_int_equal(f->w.why, MMU_WHY_READ_ONLY);
    /* CR0.WP = 0: supervisor may write read-only pages, user still may not. */
    f->r.cr0 &= ~X86_CR0_WP;
    fx_load(f);
    assert_true(go(f, 0x1000, MMU_WRITE, 0));
    assert_int_equal(f->w.rights, MMU_R | MMU_W | MMU_X);
    assert_true(go(f, 0x2000, MMU_WRITE, 0));
    assert_false(go(f, 0x2000, MMU_WRITE, 3));
    expect_pf(f, X86_PF_P | X86_PF_W | X86_PF_U, MMU_WHY_READ_ONLY, 0x2000);
    /* A read translation of a read-only page does not grant W. */
    assert_true(go(f, 0x2000, MMU_READ, 3));
    assert_int_equal(f->w.rights, MMU_R | MMU_X);
    fx_free(f);
}

static void test_smep(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, US));
    fx_load(f);
    assert_true(go(f, 0x1000, MMU_FETCH, 0)); /* SMEP off */
    f->r.cr4 |= X86_CR4_SMEP;
    fx_load(f);
    assert_false(go(f, 0x1000, MMU_FETCH, 0));
    expect_pf(f, X86_PF_P | X86_PF_ID, MMU_WHY_SMEP, 0x1000);
    assert_true(go(f, 0x1000, MMU_READ, 0));   /* SMEP does not restrict data */
    assert_true(go(f, 0x1000, MMU_FETCH, 3));  /* nor user-mode fetches */
    fx_free(f);
}

static void test_smap(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW | US));
    f->r.cr4 |= X86_CR4_SMAP;
    fx_load(f);
    /* Explicit supervisor access, EFLAGS.AC = 0: forbidden. */
    mmu_set_privilege(&f->m, 0, false, 0);
    assert_false(mmu_translate(&f->m, 0x1000, MMU_READ, 0, &f->w));
    expect_pf(f, X86_PF_P, MMU_WHY_SMAP, 0x1000);
    /* EFLAGS.AC = 1 allows explicit accesses... */
    mmu_set_privilege(&f->m, 0, true, 0);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_WRITE, 0, &f->w));
    /* ...but never implicit ones, whatever the CPL (§4.6.1). */
    assert_false(mmu_translate(&f->m, 0x1000, MMU_READ, MMU_IMPLICIT, &f->w));
    expect_pf(f, X86_PF_P, MMU_WHY_SMAP, 0x1000);
    mmu_set_privilege(&f->m, 3, true, 0);
    assert_false(mmu_translate(&f->m, 0x1000, MMU_READ, MMU_IMPLICIT, &f->w));
    /* An implicit access at CPL 3 is a supervisor-mode access: U = 0. */
    expect_pf(f, X86_PF_P, MMU_WHY_SMAP, 0x1000);
    /* User-mode accesses are not affected by SMAP. */
    mmu_set_privilege(&f->m, 3, false, 0);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_WRITE, 0, &f->w));
    fx_free(f);
}

static void test_protection_keys(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    uint64_t key5 = 5ull << X86_PTE_PK_SHIFT;
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW | US | key5));
    assert_true(ptb_map(&f->b, 0x2000, 0x2000, 0x1000, X86_PAGE_4K, RW | key5)); /* supervisor */
    f->r.cr4 |= X86_CR4_PKE;
    fx_load(f);
    uint32_t ad5 = 1u << 10, wd5 = 1u << 11;

    mmu_set_privilege(&f->m, 3, false, ad5);
    assert_false(mmu_translate(&f->m, 0x1000, MMU_READ, 0, &f->w));
    expect_pf(f, X86_PF_P | X86_PF_U | X86_PF_PK, MMU_WHY_PKEY, 0x1000);
    /* Keys never restrict instruction fetches. */
    assert_true(mmu_translate(&f->m, 0x1000, MMU_FETCH, 0, &f->w));
    assert_int_equal(f->w.pkey, 5);
    assert_int_equal(f->w.rights, MMU_X);

    mmu_set_privilege(&f->m, 3, false, wd5);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_READ, 0, &f->w));
    assert_false(mmu_translate(&f->m, 0x1000, MMU_WRITE, 0, &f->w));
    expect_pf(f, X86_PF_P | X86_PF_W | X86_PF_U | X86_PF_PK, MMU_WHY_PKEY, 0x1000);

    /* Supervisor writes: WD applies only with CR0.WP = 1. */
    mmu_set_privilege(&f->m, 0, false, wd5);
    assert_false(mmu_translate(&f->m, 0x1000, MMU_WRITE, 0, &f->w));
    expect_pf(f, X86_PF_P | X86_PF_W | X86_PF_PK, MMU_WHY_PKEY, 0x1000);
    f->r.cr0 &= ~X86_CR0_WP;
    fx_load(f);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_WRITE, 0, &f->w));

    /* Keys apply only to user-mode addresses. */
    mmu_set_privilege(&f->m, 0, false, ad5);
    assert_true(mmu_translate(&f->m, 0x2000, MMU_READ, 0, &f->w));
    /* Without CR4.PKE the key bits are ignored. */
    f->r.cr4 &= ~X86_CR4_PKE;
    fx_load(f);
    mmu_set_privilege(&f->m, 3, false, ad5);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_READ, 0, &f->w));
    fx_free(f);
}

static void test_pk_flag_accompanies_other_violations(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    /* User read-only page with key 1, PKRU.WD1 = 1: a user write violates both
     * R/W and the key; the PK flag reports the key violation (§4.7). */
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, US | (1ull << 59)));
    f->r.cr4 |= X86_CR4_PKE;
    fx_load(f);
    mmu_set_privilege(&f->m, 3, false, 1u << 3);
    assert_false(mmu_translate(&f->m, 0x1000, MMU_WRITE, 0, &f->w));
    assert_int_equal(f->w.error_code, X86_PF_P | X86_PF_W | X86_PF_U | X86_PF_PK);
    fx_free(f);
}

/* ---- faults, accessed/dirty flags and the walk record -------------------- */

static void test_not_present_error_codes(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW | US));
    fx_load(f);
    assert_false(go(f, 0x3000, MMU_WRITE, 3));          /* PTE not present */
    expect_pf(f, X86_PF_W | X86_PF_U, MMU_WHY_NOT_PRESENT, 0x3000);
    assert_int_equal(f->w.nsteps, 4);
    /* The walk set A in the three table-referencing entries it used. */
    assert_true(entry(f, 0x3000, MMU_PML4E) & X86_PTE_A);
    assert_true(entry(f, 0x3000, MMU_PDPTE) & X86_PTE_A);
    assert_true(entry(f, 0x3000, MMU_PDE) & X86_PTE_A);
    assert_false(go(f, 0x40000000, MMU_FETCH, 0));      /* PDPTE not present */
    expect_pf(f, X86_PF_ID, MMU_WHY_NOT_PRESENT, 0x40000000);
    assert_int_equal(f->w.nsteps, 2);
    fx_free(f);
}

static void test_no_ad_and_debug_flags(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, 0)); /* supervisor RO */
    fx_load(f);
    mmu_set_privilege(&f->m, 3, false, 0);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_WRITE, MMU_DEBUG, &f->w));
    assert_int_equal(f->w.pa, 0x1000);
    for (unsigned lv = MMU_PTE; lv <= MMU_PML4E; lv++)
        assert_false(entry(f, 0x1000, lv) & X86_PTE_A);
    mmu_set_privilege(&f->m, 0, false, 0);
    assert_true(mmu_translate(&f->m, 0x1000, MMU_READ, MMU_NO_AD, &f->w));
    assert_false(entry(f, 0x1000, MMU_PTE) & X86_PTE_A);
    assert_int_equal(f->m.stats.ad_writes, 0);
    fx_free(f);
}

static void test_bus_error_outside_memory(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW));
    uint64_t pde_pa = ptb_entry_pa(&f->b, 0x1000, MMU_PDE);
    ptb_set(&f->b, pde_pa, 0x80000000ull | P | RW); /* a table beyond 16 MB of RAM */
    fx_load(f);
    assert_false(go(f, 0x1000, MMU_READ, 0));
    assert_int_equal(f->w.fault, MMU_FAULT_BUS);
    assert_int_equal(f->w.step[3].entry_pa, 0x80000008);
    fx_free(f);
}

static void test_statistics(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_true(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4K, RW));
    fx_load(f);
    go(f, 0x1000, MMU_WRITE, 0); /* 4 reads; A on 3 tables + A|D on the PTE: 4 writes */
    go(f, 0x1000, MMU_WRITE, 0); /* 4 reads, no writes */
    go(f, 0x5000, MMU_READ, 0);  /* 4 reads, fault */
    assert_int_equal(f->m.stats.walks, 3);
    assert_int_equal(f->m.stats.entry_reads, 12);
    assert_int_equal(f->m.stats.ad_writes, 4);
    assert_int_equal(f->m.stats.faults[MMU_WHY_NOT_PRESENT], 1);
    fx_free(f);
}

static void test_error_code_text(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(mmu_error_code_text(0x7, buf, sizeof buf), "P W U");
    assert_string_equal(mmu_error_code_text(0x19, buf, sizeof buf), "P RSVD I/D");
    assert_string_equal(mmu_error_code_text(0, buf, sizeof buf), "-");
}

static void test_ptbuild_refuses_bad_requests(void **state)
{
    (void)state;
    struct fx *f = fx_new(MMU_MODE_4LEVEL);
    assert_false(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_2M, RW));  /* misaligned */
    assert_false(ptb_map(&f->b, 0x1000, 0x1000, 0x1000, X86_PAGE_4M, RW));  /* no 4 MB pages */
    assert_true(ptb_map(&f->b, 0x200000, 0x200000, X86_PAGE_2M, X86_PAGE_2M, RW));
    assert_false(ptb_map(&f->b, 0x201000, 0x1000, 0x1000, X86_PAGE_4K, RW)); /* under a 2 MB page */
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_off_is_identity),
        cmocka_unit_test(test_legacy_4k_translation_sets_accessed_and_dirty),
        cmocka_unit_test(test_legacy_4m_page_and_pse36),
        cmocka_unit_test(test_legacy_ps_ignored_without_cr4_pse),
        cmocka_unit_test(test_legacy_4m_reserved_bit_21),
        cmocka_unit_test(test_legacy_fetch_error_code_id_only_with_smep),
        cmocka_unit_test(test_pae_pdpte_reserved_bits_fault_at_cr3_load),
        cmocka_unit_test(test_pae_pdpte_registers_are_cached_until_reload),
        cmocka_unit_test(test_pae_2m_page_and_xd),
        cmocka_unit_test(test_pae_high_bits_reserved),
        cmocka_unit_test(test_4level_page_sizes),
        cmocka_unit_test(test_4level_reserved_bits),
        cmocka_unit_test(test_4level_without_1g_pages_ps_is_reserved),
        cmocka_unit_test(test_non_canonical_is_gp_not_pf),
        cmocka_unit_test(test_user_access_to_supervisor_page),
        cmocka_unit_test(test_write_protect),
        cmocka_unit_test(test_smep),
        cmocka_unit_test(test_smap),
        cmocka_unit_test(test_protection_keys),
        cmocka_unit_test(test_pk_flag_accompanies_other_violations),
        cmocka_unit_test(test_not_present_error_codes),
        cmocka_unit_test(test_no_ad_and_debug_flags),
        cmocka_unit_test(test_bus_error_outside_memory),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_error_code_text),
        cmocka_unit_test(test_ptbuild_refuses_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
