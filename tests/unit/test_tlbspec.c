/*
 * test_tlbspec.c - the TLB spec grammar, the presets and the way back to
 * text.  Preset figures are checked against the sources docs/tlb.md cites.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "mmu/tlb.h"

static struct tlb_config parse_ok(const char *spec)
{
    struct tlb_config cfg;
    char err[256];
    if (!tlb_parse(spec, &cfg, err, sizeof err))
        fail_msg("\"%s\" rejected: %s", spec, err);
    return cfg;
}

/* The message for a spec that must be rejected. */
static const char *parse_err(const char *spec)
{
    static char err[256];
    struct tlb_config cfg;
    assert_false(tlb_parse(spec, &cfg, err, sizeof err));
    return err;
}

#define N TLB_NOT_HELD

static const struct tlb_geometry *find(const struct tlb_config *cfg, unsigned kind,
                                       const uint8_t holds[TLB_NSIZES])
{
    for (unsigned i = 0; i < cfg->n; i++)
        if (cfg->s[i].kind == kind && memcmp(cfg->s[i].holds, holds, TLB_NSIZES) == 0)
            return &cfg->s[i];
    fail_msg("structure not found");
    return NULL;
}

static void test_the_briefs_example(void **state)
{
    (void)state;
    struct tlb_config c = parse_ok("l1d:4k=64x4:lru,l1d:2m=32x4,l1i:4k=128x8,"
                                   "stlb:4k+2m=1536x12:plru");
    assert_int_equal(c.n, 4);
    const struct tlb_geometry *g = find(&c, TLB_STLB, (uint8_t[]){ TLB_4K, TLB_2M, N });
    assert_int_equal(g->entries, 1536);
    assert_int_equal(g->ways, 12);
    assert_int_equal(g->policy, TLB_PLRU);
    /* The default policy. */
    assert_int_equal(find(&c, TLB_L1D, (uint8_t[]){ N, TLB_2M, N })->policy, TLB_LRU);
    assert_false(c.rewalk_on_fault);
}

/* The TLBs of each preset, as docs/tlb.md gives them with their sources.
 * holds: the class each page size is stored as (a smaller class: split). */
static const struct {
    const char *preset;
    uint8_t kind;
    uint8_t holds[TLB_NSIZES];
    uint32_t entries, ways;
} preset_tlbs[] = {
    { "skylake", TLB_L1D, { TLB_4K, N, N }, 64, 4 },
    { "skylake", TLB_L1D, { N, TLB_2M, N }, 32, 4 },
    { "skylake", TLB_L1D, { N, N, TLB_1G }, 4, 4 },
    { "skylake", TLB_L1I, { TLB_4K, N, N }, 128, 8 },
    { "skylake", TLB_L1I, { N, TLB_2M, TLB_2M }, 8, 8 }, /* 1 GB code as 2 MB */
    { "skylake", TLB_STLB, { TLB_4K, TLB_2M, N }, 1536, 12 },
    { "skylake", TLB_STLB, { N, N, TLB_1G }, 16, 4 },
    { "zen2", TLB_L1D, { TLB_4K, TLB_2M, TLB_1G }, 64, 64 },
    { "zen2", TLB_L2D, { TLB_4K, TLB_2M, TLB_2M }, 2040, 12 }, /* 1 GB as 2 MB */
    { "zen2", TLB_L1I, { TLB_4K, TLB_2M, TLB_1G }, 64, 64 },
    { "zen2", TLB_L2I, { TLB_4K, TLB_2M, TLB_2M }, 512, 8 },
};

static void test_preset_figures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof preset_tlbs / sizeof preset_tlbs[0]; i++) {
        struct tlb_config c = parse_ok(preset_tlbs[i].preset);
        const struct tlb_geometry *g = find(&c, preset_tlbs[i].kind, preset_tlbs[i].holds);
        assert_int_equal(g->entries, preset_tlbs[i].entries);
        assert_int_equal(g->ways, preset_tlbs[i].ways);
    }
    struct tlb_config sky = parse_ok("skylake"), zen = parse_ok("zen2");
    assert_int_equal(sky.n, 10); /* 7 TLBs and the PML4, PDPT and PD caches */
    assert_false(sky.rewalk_on_fault);
    assert_true(zen.rewalk_on_fault);
}

static void test_every_preset_builds(void **state)
{
    (void)state;
    for (unsigned i = 0; tlb_preset_name(i); i++) {
        struct tlb_config c = parse_ok(tlb_preset_name(i));
        struct tlb *t = tlb_new(&c);
        assert_non_null(t);
        tlb_free(t);
    }
    assert_null(tlb_preset("no-such-cpu"));
}

static void test_format_round_trip(void **state)
{
    (void)state;
    const char *specs[] = { "skylake", "zen2", "tiny", "l1d:4k=8x2:fifo,seed=42",
                            "stlb:1g>4k+2m>4k=16:random,psc:pml5=4x2:plru,fault=rewalk" };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        struct tlb_config a = parse_ok(specs[i]), b;
        char text[1024], err[256];
        assert_true(tlb_format(&a, text, sizeof text) < sizeof text);
        if (!tlb_parse(text, &b, err, sizeof err))
            fail_msg("formatted \"%s\" rejected: %s", text, err);
        assert_memory_equal(&a, &b, sizeof a);
    }
    struct tlb_config c = parse_ok("l1d:4k=8x2:fifo,l1i:2m+1g>2m=4,seed=7");
    char text[256];
    tlb_format(&c, text, sizeof text);
    assert_string_equal(text, "l1d:4k=8x2:fifo,l1i:2m+1g>2m=4:lru,seed=7");
}

static void test_a_later_item_replaces_a_preset_structure(void **state)
{
    (void)state;
    struct tlb_config c = parse_ok("skylake, stlb:4k+2m=1536x12:plru, seed=9");
    assert_int_equal(c.n, 10);
    assert_int_equal(find(&c, TLB_STLB, (uint8_t[]){ TLB_4K, TLB_2M, N })->policy, TLB_PLRU);
    assert_int_equal(c.seed, 9);
}

static void test_errors_name_the_bad_item(void **state)
{
    (void)state;
    assert_string_equal(parse_err("l1d:4k=64x4,l3d:4k=8"),
                        "in \"l3d:4k=8\": unknown structure \"l3d\" (expected l1d, l1i, l2d, "
                        "l2i, stlb or psc)");
    assert_string_equal(parse_err("l1d:8k=64x4"),
                        "in \"l1d:8k=64x4\": unknown page size \"8k\" (expected 4k, 2m, 1g, "
                        "2m>4k, 1g>4k or 1g>2m)");
    assert_string_equal(parse_err("l1d:4k=64x5"),
                        "in \"l1d:4k=64x5\": 64 entries do not make sets of 5 ways");
    assert_string_equal(parse_err("l1d:4k=0"),
                        "in \"l1d:4k=0\": bad entry count \"0\" (1 to 65536)");
    assert_string_equal(parse_err("l1d:4k=64xz"),
                        "in \"l1d:4k=64xz\": bad number of ways \"z\" (1 to the entry count)");
    assert_string_equal(parse_err("l1d:4k=64x4:mru"),
                        "in \"l1d:4k=64x4:mru\": unknown policy \"mru\" (expected lru, plru, "
                        "fifo or random)");
    assert_string_equal(parse_err("l1d:4k=128:plru"),
                        "in \"l1d:4k=128:plru\": plru supports at most 64 ways, not 128");
    assert_string_equal(parse_err("l1d:4k+4k=8"), "in \"l1d:4k+4k=8\": 4k pages listed twice");
    assert_string_equal(parse_err("l1d:4k+=8"),
                        "in \"l1d:4k+=8\": a page size must follow \"+\"");
    assert_string_equal(parse_err("psc:pt=8"),
                        "in \"psc:pt=8\": unknown paging-structure cache \"pt\" (expected "
                        "pml5, pml4, pdpt or pd)");
    assert_string_equal(parse_err("l1d:4k=8,,l1i:4k=8"), "in \"\": empty item");
    assert_string_equal(parse_err("l1d:4k=8,speed=3"),
                        "in \"speed=3\": unknown option \"speed\" (expected seed or fault)");
    assert_string_equal(parse_err("fault=maybe"),
                        "in \"fault=maybe\": fault must be spurious or rewalk");
    assert_string_equal(parse_err("haswell"),
                        "in \"haswell\": not a preset (skylake, zen2, tiny), an option (seed=, "
                        "fault=) or a structure (KIND:WHAT=ENTRIES[xWAYS][:POLICY])");
    assert_string_equal(parse_err("l1d:4k"),
                        "in \"l1d:4k\": expected \"l1d:WHAT=ENTRIES[xWAYS][:POLICY]\"");
    assert_string_equal(parse_err("seed=1"), "in \"seed=1\": no structure");
}

static void test_overlapping_structures_are_rejected(void **state)
{
    (void)state;
    assert_string_equal(parse_err("l1d:4k=64x4,l1d:4k+2m=32x4"),
                        "in \"l1d:4k\": l1d:4k and l1d:4k+2m both hold 4k pages for data "
                        "accesses at level 1");
    /* An STLB serves both sides, so it overlaps an L2 ITLB. */
    assert_string_equal(parse_err("stlb:4k+2m=1536x12,l2i:2m=8"),
                        "in \"stlb:4k+2m\": stlb:4k+2m and l2i:2m both hold 2m pages for "
                        "instruction fetches at level 2");
    /* Different sides or levels may hold the same size. */
    parse_ok("l1d:4k=64x4,l1i:4k=64x4,l2d:4k=512x8,l2i:4k=512x8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_briefs_example),
        cmocka_unit_test(test_preset_figures),
        cmocka_unit_test(test_every_preset_builds),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_a_later_item_replaces_a_preset_structure),
        cmocka_unit_test(test_errors_name_the_bad_item),
        cmocka_unit_test(test_overlapping_structures_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
