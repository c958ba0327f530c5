/*
 * test_tlbpreset.c - the preset geometries at work: address sequences chosen
 * so that pages collide in one set of one structure, with every expected
 * count worked out from the geometry (sets = entries / ways, set = page
 * number mod sets).  All structures use LRU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tlb_fixture.h"

#define GB (1ull << 30)
#define MB (1ull << 20)

/* Which structure answered the last access, or "walk". */
static const char *answered_by(const struct tfx *f)
{
    return f->w.tlb_hit >= 0 ? f->t->s[f->w.tlb_hit].name : "walk";
}

static void expect_read(struct tfx *f, uint64_t va, const char *by)
{
    assert_true(tfx_go(f, va, MMU_READ, 0));
    assert_string_equal(answered_by(f), by);
}

static void expect_fetch(struct tfx *f, uint64_t va, const char *by)
{
    assert_true(tfx_go(f, va, MMU_FETCH, 0));
    assert_string_equal(answered_by(f), by);
}

static void expect_counters(const struct tfx *f, const char *name, uint64_t lookups,
                            uint64_t hits, uint64_t fills, uint64_t evictions)
{
    const struct tlb_counters *c = tfx_counters(f, name);
    assert_int_equal(c->lookups, lookups);
    assert_int_equal(c->hits, hits);
    assert_int_equal(c->misses, lookups - hits);
    assert_int_equal(c->fills, fills);
    assert_int_equal(c->evictions, evictions);
}

static void test_skylake_l1d_4k_set_conflict(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "skylake");
    /* Pages 0x1000 + 16k: L1 DTLB set (64/4 = 16 sets) 0 for all five;
     * STLB sets (1536/12 = 128) 0, 16, 32, 48, 64: no conflict there. */
    uint64_t p[5];
    for (unsigned k = 0; k < 5; k++) {
        p[k] = 0x1000000 + k * 0x10000;
        tfx_map(f, p[k], 0x800000 + k * 0x1000, X86_PAGE_4K, RW);
    }
    tfx_load(f);
    for (unsigned k = 0; k < 5; k++)
        expect_read(f, p[k], "walk"); /* p[4] evicts p[0] from the L1 DTLB */
    expect_read(f, p[0], "stlb:4k+2m");  /* promoted back, evicting p[1] */
    expect_read(f, p[1], "stlb:4k+2m");  /* promoted back, evicting p[2] */
    expect_read(f, p[4], "l1d:4k");
    expect_read(f, p[3], "l1d:4k");
    /* Every access searched every L1 DTLB; the seven L1 misses the STLB. */
    expect_counters(f, "l1d:4k", 9, 2, 7, 3);
    expect_counters(f, "l1d:2m", 9, 0, 0, 0);
    expect_counters(f, "l1d:1g", 9, 0, 0, 0);
    expect_counters(f, "stlb:4k+2m", 7, 2, 5, 0);
    assert_int_equal(f->t->st.walks, 5);
    assert_int_equal(f->t->st.hits[1], 2);
    assert_int_equal(f->t->st.hits[2], 2);
    tfx_free(f);
}

static void test_skylake_l1d_2m_and_1g(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "skylake");
    /* 2 MB pages 16 MB apart: page numbers 0x200 + 8k, all in set 0 of the
     * 2M L1 DTLB (32/4 = 8 sets), in STLB sets 8k mod 128. */
    for (unsigned k = 0; k < 5; k++)
        tfx_map(f, GB + k * 16 * MB, k * 2 * MB, X86_PAGE_2M, RW);
    /* 1 GB pages 4 to 8 GB: the 1G L1 DTLB is 4 entries, fully associative;
     * the STLB's 16 x 4 puts page numbers 4..8 in sets 0,1,2,3,0. */
    for (unsigned k = 0; k < 5; k++)
        tfx_map(f, (4 + k) * GB, (1 + k) * GB, X86_PAGE_1G, RW);
    tfx_load(f);
    for (unsigned k = 0; k < 5; k++)
        expect_read(f, GB + k * 16 * MB + 0x1234, "walk");
    expect_read(f, GB + 0x1ffff8, "stlb:4k+2m"); /* evicted from L1 by the fifth */
    expect_counters(f, "l1d:2m", 6, 0, 6, 2);
    for (unsigned k = 0; k < 5; k++)
        expect_read(f, (4 + k) * GB + 8, "walk");
    expect_read(f, 4 * GB + 0x3fffffff, "stlb:1g");
    expect_read(f, 8 * GB, "l1d:1g");
    /* All thirteen accesses searched it: one hit, five walks and a
     * promotion filled it, the fifth walk and the promotion evicted. */
    expect_counters(f, "l1d:1g", 13, 1, 6, 2);
    expect_counters(f, "stlb:1g", 6 + 6, 1, 5, 0);
    tfx_free(f);
}

static void test_skylake_itlb(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "skylake");
    /* 4 KB ITLB: 128/8 = 16 sets; nine pages 16 pages apart share set 0. */
    for (unsigned k = 0; k < 9; k++)
        tfx_map(f, 0x2000000 + k * 0x10000, 0x800000 + k * 0x1000, X86_PAGE_4K, 0);
    /* Code in a 1 GB page: the ITLB holds it as 2 MB splinters. */
    tfx_map(f, GB, GB, X86_PAGE_1G, 0);
    tfx_load(f);
    for (unsigned k = 0; k < 9; k++)
        expect_fetch(f, 0x2000000 + k * 0x10000, "walk");
    expect_fetch(f, 0x2000000, "stlb:4k+2m");
    expect_counters(f, "l1i:4k", 10, 0, 10, 2);

    expect_fetch(f, GB + 0x10, "walk");
    expect_fetch(f, GB + 2 * MB, "stlb:1g");        /* another 2 MB of the page */
    expect_fetch(f, GB + 2 * MB + 0x1000, "l1i:2m+1g>2m");
    expect_fetch(f, GB + 0x20, "l1i:2m+1g>2m");
    unsigned si = tfx_struct(f, "l1i:2m+1g>2m");
    assert_int_equal(f->t->s[si].splinters, 2);
    /* INVLPG anywhere in the page removes every splinter and the STLB's
     * 1 GB entry (§4.10.4.1: all entries for the page). */
    tlb_invlpg(&f->m, GB + 0x3fffffff);
    assert_int_equal(tfx_counters(f, "l1i:2m+1g>2m")->invalidations, 2);
    assert_int_equal(tfx_counters(f, "stlb:1g")->invalidations, 1);
    assert_int_equal(f->t->s[si].splinters, 0);
    expect_fetch(f, GB + 2 * MB, "walk");
    tfx_free(f);
}

static void test_zen2_fully_associative_l1_and_modulo_l2(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "zen2");
    /* 65 consecutive pages: the 65th evicts the first from the 64-entry L1
     * DTLB; the L2 DTLB (2040/12 = 170 sets) puts them in 65 sets. */
    for (unsigned k = 0; k < 65; k++)
        tfx_map(f, 0x3000000 + k * 0x1000, 0x800000, X86_PAGE_4K, RW);
    /* 13 pages 170 pages apart share one L2 set: the 13th evicts the first. */
    for (unsigned k = 0; k < 13; k++)
        tfx_map(f, 0x8000000 + k * 170 * 0x1000, 0x800000, X86_PAGE_4K, RW);
    tfx_load(f);
    for (unsigned k = 0; k < 65; k++)
        expect_read(f, 0x3000000 + k * 0x1000, "walk");
    expect_counters(f, "l1d:4k+2m+1g", 65, 0, 65, 1);
    expect_read(f, 0x3000000, "l2d:4k+2m+1g>2m");
    expect_counters(f, "l2d:4k+2m+1g>2m", 66, 1, 65, 0);
    for (unsigned k = 0; k < 13; k++)
        expect_read(f, 0x8000000 + k * 170 * 0x1000, "walk");
    assert_int_equal(tfx_counters(f, "l2d:4k+2m+1g>2m")->evictions, 1);
    tfx_free(f);
}

static void test_zen2_splinters_1g_pages_at_the_second_level(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "zen2");
    tfx_map(f, GB, GB, X86_PAGE_1G, RW);
    for (unsigned k = 0; k < 64; k++)
        tfx_map(f, 0x3000000 + k * 0x1000, 0x800000, X86_PAGE_4K, RW);
    tfx_load(f);
    expect_read(f, GB + 0x100, "walk");
    unsigned l2 = tfx_struct(f, "l2d:4k+2m+1g>2m");
    assert_int_equal(f->t->s[l2].splinters, 1);
    for (unsigned k = 0; k < 64; k++) /* push the 1 GB entry out of L1 */
        expect_read(f, 0x3000000 + k * 0x1000, "walk");
    expect_read(f, GB + 0x1234, "l2d:4k+2m+1g>2m");
    /* Reloaded into L1 as a 1 GB entry: any 2 MB of the page now hits. */
    const struct tlb_entry *e = tlb_peek(&f->m, GB + 0x20000000, MMU_READ, NULL);
    assert_non_null(e);
    assert_int_equal(e->shift, 30);
    expect_read(f, GB + 0x20000000, "l1d:4k+2m+1g");
    /* After a flush, a walk through another 2 MB of the page puts the 1 GB
     * entry in L1 and that 2 MB as a splinter in L2. */
    tlb_flush_all(f->t);
    expect_read(f, GB + 0x20000000, "walk");
    expect_read(f, GB + 0x100, "l1d:4k+2m+1g");
    uint64_t l1_before = tfx_counters(f, "l1d:4k+2m+1g")->invalidations;
    uint64_t l2_before = tfx_counters(f, "l2d:4k+2m+1g>2m")->invalidations;
    tlb_invlpg(&f->m, GB + 0x3ffff000);
    assert_int_equal(tfx_counters(f, "l1d:4k+2m+1g")->invalidations - l1_before, 1);
    assert_int_equal(tfx_counters(f, "l2d:4k+2m+1g>2m")->invalidations - l2_before, 1);
    expect_read(f, GB + 0x100, "walk");
    tfx_free(f);
}

static void test_tiny(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "tiny");
    /* L1 DTLB 4 x 2: two sets; even page numbers go to set 0.  The STLB
     * 16 x 4 has four sets: page numbers 0x5000, 0x5002, 0x5004 fall in 0,
     * 2, 0. */
    for (unsigned k = 0; k < 3; k++)
        tfx_map(f, 0x5000000 + 2 * k * 0x1000, 0x800000, X86_PAGE_4K, RW);
    tfx_load(f);
    for (unsigned k = 0; k < 3; k++)
        expect_read(f, 0x5000000 + 2 * k * 0x1000, "walk");
    expect_read(f, 0x5000000, "stlb:4k+2m+1g");
    expect_read(f, 0x5004000, "l1d:4k+2m+1g");
    expect_counters(f, "l1d:4k+2m+1g", 5, 1, 4, 2);
    expect_counters(f, "stlb:4k+2m+1g", 4, 1, 3, 0);
    tfx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skylake_l1d_4k_set_conflict),
        cmocka_unit_test(test_skylake_l1d_2m_and_1g),
        cmocka_unit_test(test_skylake_itlb),
        cmocka_unit_test(test_zen2_fully_associative_l1_and_modulo_l2),
        cmocka_unit_test(test_zen2_splinters_1g_pages_at_the_second_level),
        cmocka_unit_test(test_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
