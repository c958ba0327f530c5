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

/* Run seq on a new machine with spec and expect answers.  Returns the
 * machine for further checks. */
static struct tfx *expect_run(const char *spec, const char *seq, const char *answers)
{
    struct tfx *f = machine(spec);
    char out[32];
    assert_string_equal(run(f, seq, out), answers);
    return f;
}

/* Run seq on a new machine with spec; expect answers and, after access i,
 * the PLRU bits bits[i] in set 0 of structure 0.  Returns the machine. */
static struct tfx *expect_plru(const char *spec, const char *seq, const char *answers,
                               const uint64_t *bits)
{
    struct tfx *f = machine(spec);
    char out[32] = "";
    for (size_t i = 0; seq[i]; i++) {
        out[i] = tfx_hm(f, PAGE(seq[i]));
        out[i + 1] = '\0';
        if (f->t->s[0].plru[0] != bits[i])
            fail_msg("after \"%.*s\": bits 0x%llx, expected 0x%llx", (int)i + 1, seq,
                     (unsigned long long)f->t->s[0].plru[0], (unsigned long long)bits[i]);
    }
    assert_string_equal(out, answers);
    return f;
}

static bool cached(struct tfx *f, char page)
{
    return tlb_peek(&f->m, PAGE(page), MMU_READ, NULL) != NULL;
}

static void test_lru(void **state)
{
    (void)state;
    /* A B C D fill the four ways.  A hits and becomes most recent, so E
     * evicts B, the least recently used.  A and D hit.  B misses and
     * evicts C: the uses are now C(3) E(6) A(7) D(8). */
    struct tfx *f = expect_run("l1d:4k=4:lru", "ABCDAEADB", "mmmmhmhhm");
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
    /* The same start as test_lru.  A's hit does not renew it, so E evicts A
     * (the first filled), and A then misses and evicts B.  LRU answered
     * "mmmmhmhh" to the same sequence. */
    struct tfx *f = expect_run("l1d:4k=4:fifo", "ABCDAEAD", "mmmmhmmh");
    assert_int_equal(tfx_counters(f, "l1d:4k")->evictions, 2);
    assert_false(cached(f, 'B'));
    tfx_free(f);
}

static void test_plru_four_ways(void **state)
{
    (void)state;
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
    static const uint64_t bits[] = { 3, 1, 4, 0, 3, 6, 5, 0 };
    struct tfx *f = expect_plru("l1d:4k=4:plru", "ABCDAEBC", "mmmmhmhm", bits);
    assert_false(cached(f, 'D'));
    tfx_free(f);

    tfx_free(expect_run("l1d:4k=4:lru", "ABCDAEBC", "mmmmhmmm"));
}

static void test_plru_eight_ways(void **state)
{
    (void)state;
    /*
     * Nodes: 0 root (ways 0-3 | 4-7), 1 (0-1 | 2-3), 2 (4-5 | 6-7),
     * 3 (0 | 1), 4 (2 | 3), 5 (4 | 5), 6 (6 | 7); bits written 6543210.
     *   A fills 0: root 1, node 1 1, node 3 1           0001011 = 0x0b
     *   B fills 1: root 1, node 1 1, node 3 0           0000011 = 0x03
     *   C fills 2: root 1, node 1 0, node 4 1           0010001 = 0x11
     *   D fills 3: root 1, node 1 0, node 4 0           0000001 = 0x01
     *   E fills 4: root 0, node 2 1, node 5 1           0100100 = 0x24
     *   F fills 5: root 0, node 2 1, node 5 0           0000100 = 0x04
     *   G fills 6: root 0, node 2 0, node 6 1           1000000 = 0x40
     *   H fills 7: root 0, node 2 0, node 6 0           0000000 = 0x00
     *   C hits 2:  root 1, node 1 0, node 4 1           0010001 = 0x11
     *   F hits 5:  root 0, node 2 1, node 5 0           0010100 = 0x14
     *   I misses: root 0 -> left, node 1 0 -> left, node 3 0 -> way 0:
     *     evicts A; fill: root 1, node 1 1, node 3 1    0011111 = 0x1f
     *   J misses: root 1 -> right, node 2 1 -> right, node 6 0 -> way 6:
     *     evicts G; fill: root 0, node 2 0, node 6 1    1011010 = 0x5a
     */
    static const uint64_t bits[] = { 0x0b, 0x03, 0x11, 0x01, 0x24, 0x04,
                                     0x40, 0x00, 0x11, 0x14, 0x1f, 0x5a };
    struct tfx *f = expect_plru("l1d:4k=8:plru", "ABCDEFGHCFIJ", "mmmmmmmmhhmm", bits);
    assert_false(cached(f, 'A'));
    assert_false(cached(f, 'G'));
    for (const char *p = "BCDEFHIJ"; *p; p++)
        assert_true(cached(f, *p));
    tfx_free(f);
}

static void test_plru_three_ways_never_picks_a_missing_way(void **state)
{
    (void)state;
    /*
     * Three ways use the tree of four; node 2's right leaf (way 3) does not
     * exist and is never chosen.
     *   A, B, C fill ways 0-2 (bits 3, 1, 4 as with four ways)
     *   D misses: root 0 -> left, node 1 0 -> way 0: evicts A;
     *     the fill: root 1, node 1 1                             bits 111 = 7
     *   E misses: root 1 -> right, node 2 1 -> way 3, which does not exist:
     *     way 2, evicting C; the fill: root 0, node 2 1          bits 110 = 6
     *   B hits way 1: root 1, node 1 0                           bits 101 = 5
     */
    static const uint64_t bits[] = { 3, 1, 4, 7, 6, 5 };
    struct tfx *f = expect_plru("l1d:4k=3:plru", "ABCDEB", "mmmmmh", bits);
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
