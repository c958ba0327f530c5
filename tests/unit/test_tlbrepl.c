/*
 * test_tlbrepl.c - replacement policies, on access sequences worked out by
 * hand.  Each sequence runs through mmu_access() on a one-set (fully
 * associative) data TLB, so the set index plays no part; letters are pages
 * (A = 0x400000, B = 0x401000, ...) and the answer string has 'h' where a
 * TLB answered and 'm' where the model walked.
 *
 * Tree-PLRU notation: the node bits of one set, bit n = node n, nodes in
 * heap order (node n's children are 2n+1 and 2n+2); a bit of 1 sends the
 * victim search right, 0 left; a use points every node on its path away
 * from the way used.  Ways fill in order 0, 1, 2, ... while free.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tlb_fixture.h"
#include "mmu/tlb_internal.h"

#define PAGE(c) (0x400000ull + (uint64_t)((c) - 'A') * 0x1000)

static struct tfx *machine(const char *spec)
{
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, spec);
    for (char c = 'A'; c <= 'Z'; c++)
        tfx_map(f, PAGE(c), 0x800000 + (uint64_t)(c - 'A') * 0x1000, X86_PAGE_4K, RW);
    tfx_load(f);
    return f;
}

/* Read the pages of seq in order; the answers go to out. */
static const char *run(struct tfx *f, const char *seq, char *out)
{
    size_t i;
    for (i = 0; seq[i]; i++)
        out[i] = tfx_hm(f, PAGE(seq[i]));
    out[i] = '\0';
    return out;
}

/* Like run(), also recording the PLRU bits of structure 0, set 0, after
 * each access. */
static const char *run_bits(struct tfx *f, const char *seq, char *out, uint64_t *bits)
{
    size_t i;
    for (i = 0; seq[i]; i++) {
        out[i] = tfx_hm(f, PAGE(seq[i]));
        bits[i] = f->t->s[0].plru[0];
    }
    out[i] = '\0';
    return out;
}

static bool cached(struct tfx *f, char page)
{
    return tlb_peek(&f->m, PAGE(page), MMU_READ, NULL) != NULL;
}

static void test_lru(void **state)
{
    (void)state;
    struct tfx *f = machine("l1d:4k=4:lru");
    char out[32];
    /* A B C D fill the four ways.  A hits and becomes most recent, so E
     * evicts B, the least recently used.  A and D hit.  B misses and
     * evicts C: the uses are now C(3) E(6) A(7) D(8). */
    assert_string_equal(run(f, "ABCDAEADB", out), "mmmmhmhhm");
    assert_int_equal(tfx_counters(f, "l1d:4k")->evictions, 2);
    assert_false(cached(f, 'C'));
    assert_true(cached(f, 'A') && cached(f, 'B') && cached(f, 'D') && cached(f, 'E'));
    assert_int_equal(f->t->st.hits[1], 3);
    assert_int_equal(f->t->st.walks, 6);
    tfx_free(f);
}

static void test_fifo_disagrees_with_lru(void **state)
{
    (void)state;
    struct tfx *f = machine("l1d:4k=4:fifo");
    char out[32];
    /* The same start as test_lru.  A's hit does not renew it, so E evicts A
     * (the first filled), and A then misses and evicts B.  LRU answered
     * "mmmmhmhh" to the same sequence. */
    assert_string_equal(run(f, "ABCDAEAD", out), "mmmmhmmh");
    assert_int_equal(tfx_counters(f, "l1d:4k")->evictions, 2);
    assert_false(cached(f, 'B'));
    tfx_free(f);
}

static void test_plru_four_ways(void **state)
{
    (void)state;
    struct tfx *f = machine("l1d:4k=4:plru");
    char out[32];
    uint64_t bits[16];
    /*
     * Nodes: 0 = root, 1 = over ways 0-1, 2 = over ways 2-3.
     *   A fills way 0: root -> right (1), node 1 -> way 1 (1)      bits 011 = 3
     *   B fills way 1: root -> right (1), node 1 -> way 0 (0)      bits 001 = 1
     *   C fills way 2: root -> left (0),  node 2 -> way 3 (1)      bits 100 = 4
     *   D fills way 3: root -> left (0),  node 2 -> way 2 (0)      bits 000 = 0
     *   A hits way 0:  root 1, node 1 1                            bits 011 = 3
     *   E misses: root 1 -> right, node 2 0 -> way 2: evicts C (LRU would
     *     evict B); the fill: root 0, node 2 1                     bits 110 = 6
     *   B hits way 1 (LRU would miss): root 1, node 1 0            bits 101 = 5
     *   C misses: root 1 -> right, node 2 1 -> way 3: evicts D;
     *     the fill: root 0, node 2 0                               bits 000 = 0
     */
    assert_string_equal(run_bits(f, "ABCDAEBC", out, bits), "mmmmhmhm");
    const uint64_t expect[] = { 3, 1, 4, 0, 3, 6, 5, 0 };
    assert_memory_equal(bits, expect, sizeof expect);
    assert_false(cached(f, 'D'));
    tfx_free(f);

    f = machine("l1d:4k=4:lru");
    assert_string_equal(run(f, "ABCDAEBC", out), "mmmmhmmm");
    tfx_free(f);
}

static void test_plru_eight_ways(void **state)
{
    (void)state;
    struct tfx *f = machine("l1d:4k=8:plru");
    char out[32];
    uint64_t bits[16];
    /*
     * Nodes: 0 root (ways 0-3 | 4-7), 1 (0-1 | 2-3), 2 (4-5 | 6-7),
     * 3 (0 | 1), 4 (2 | 3), 5 (4 | 5), 6 (6 | 7).
     * Filling ways 0..7 in order leaves every bit 0: the last fill (way 7)
     * cleared root, 2 and 6; way 5 cleared 5, way 3 cleared 1 and 4, way 1
     * cleared 3.
     *   C hits way 2: root 1, node 1 0, node 4 1     bits 0010001 = 0x11
     *   F hits way 5: root 0, node 2 1, node 5 0     bits 0010100 = 0x14
     *   I misses: root 0 -> left, node 1 0 -> left, node 3 0 -> way 0:
     *     evicts A; fill way 0: root 1, node 1 1, node 3 1
     *                                                bits 0011111 = 0x1f
     *   J misses: root 1 -> right, node 2 1 -> right, node 6 0 -> way 6:
     *     evicts G; fill way 6: root 0, node 2 0, node 6 1
     *                                                bits 1011010 = 0x5a
     */
    assert_string_equal(run_bits(f, "ABCDEFGHCFIJ", out, bits), "mmmmmmmmhhmm");
    assert_int_equal(bits[7], 0);
    assert_int_equal(bits[8], 0x11);
    assert_int_equal(bits[9], 0x14);
    assert_int_equal(bits[10], 0x1f);
    assert_int_equal(bits[11], 0x5a);
    assert_false(cached(f, 'A'));
    assert_false(cached(f, 'G'));
    for (const char *p = "BCDEFHIJ"; *p; p++)
        assert_true(cached(f, *p));
    tfx_free(f);
}

static void test_plru_three_ways_never_picks_a_missing_way(void **state)
{
    (void)state;
    struct tfx *f = machine("l1d:4k=3:plru");
    char out[32];
    uint64_t bits[16];
    /*
     * Three ways use the tree of four; node 2's right leaf (way 3) does not
     * exist and is never chosen.
     *   A, B, C fill ways 0-2: way 2 leaves root 0, node 2 1     bits 100 = 4
     *   D misses: root 0 -> left, node 1 0 -> way 0: evicts A;
     *     the fill: root 1, node 1 1                             bits 111 = 7
     *   E misses: root 1 -> right, node 2 1 -> way 3, which does not exist:
     *     way 2, evicting C; the fill: root 0, node 2 1          bits 110 = 6
     *   B hits way 1: root 1, node 1 0                           bits 101 = 5
     */
    assert_string_equal(run_bits(f, "ABCDEB", out, bits), "mmmmmh");
    const uint64_t expect[] = { 3, 1, 4, 7, 6, 5 };
    assert_memory_equal(bits, expect, sizeof expect);
    assert_false(cached(f, 'A'));
    assert_false(cached(f, 'C'));
    tfx_free(f);
}

static void test_random_is_deterministic_for_a_seed(void **state)
{
    (void)state;
    const char *seq = "ABCDEFGHABCDEFGHABCDEFGHAEBFCGDH";
    char a[64], b[64], c[64];
    struct tfx *f = machine("l1d:4k=4:random,seed=11");
    run(f, seq, a);
    tfx_free(f);
    f = machine("l1d:4k=4:random,seed=11");
    run(f, seq, b);
    tfx_free(f);
    assert_string_equal(a, b);
    f = machine("l1d:4k=4:random,seed=12");
    run(f, seq, c);
    tfx_free(f);
    /* Another seed evicts other ways (these two seeds differ; if the
     * generator changed, pick two that do). */
    assert_string_not_equal(a, c);
    /* The first four accesses fill free ways whatever the seed. */
    assert_memory_equal(a, "mmmm", 4);
}

static void test_random_is_uniform(void **state)
{
    (void)state;
    struct tlb_geometry g = { .kind = TLB_L1D, .holds = { TLB_4K, TLB_NOT_HELD, TLB_NOT_HELD },
                              .policy = TLB_RANDOM, .entries = 4, .ways = 4 };
    struct tlb_struct s;
    unsigned count[4] = { 0 };
    assert_true(tlb_struct_init(&s, &g, 2024));
    for (unsigned i = 0; i < 40000; i++)
        count[tlb_victim(&s, 0)]++;
    /* 10000 expected per way; the standard deviation is about 87. */
    for (unsigned w = 0; w < 4; w++) {
        assert_in_range(count[w], 9600, 10400);
    }
    tlb_struct_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru),
        cmocka_unit_test(test_fifo_disagrees_with_lru),
        cmocka_unit_test(test_plru_four_ways),
        cmocka_unit_test(test_plru_eight_ways),
        cmocka_unit_test(test_plru_three_ways_never_picks_a_missing_way),
        cmocka_unit_test(test_random_is_deterministic_for_a_seed),
        cmocka_unit_test(test_random_is_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
