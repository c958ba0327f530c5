/*
 * tlbspec.c - TLB geometries as text: the spec grammar, the presets, and
 * the way back from a configuration to its spec.
 *
 *   spec      = item { "," item }
 *   item      = preset | option | structure
 *   preset    = "skylake" | "zen2" | "tiny"
 *   option    = "seed=" number | "fault=" ( "spurious" | "rewalk" )
 *   structure = kind ":" holds "=" entries [ "x" ways ] [ ":" policy ]
 *   kind      = "l1d" | "l1i" | "l2d" | "l2i" | "stlb" | "psc"
 *   holds     = size { "+" size }                  (TLBs)
 *             | "pml5" | "pml4" | "pdpt" | "pd"     (psc)
 *   size      = "4k" | "2m" | "1g" | "2m>4k" | "1g>4k" | "1g>2m"
 *   policy    = "lru" | "plru" | "fifo" | "random"       (default lru)
 *
 * "2m" also holds the 4 MB pages of 32-bit paging.  "1g>2m" holds 1 GB
 * pages as 2 MB entries (splintered).  entries alone (no "x ways") is fully
 * associative.  A structure whose kind and holds repeat an earlier one
 * replaces it, so a preset can be varied; two structures holding the same
 * size for the same side and level are an error.  docs/tlb.md gives the
 * sources of the preset figures.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/tlb_internal.h"

static const struct {
    const char *name;
    uint8_t level, sides;
} kinds[TLB_NKINDS] = {
    [TLB_L1D] = { "l1d", 1, 1u << TLB_SIDE_D },
    [TLB_L1I] = { "l1i", 1, 1u << TLB_SIDE_I },
    [TLB_L2D] = { "l2d", 2, 1u << TLB_SIDE_D },
    [TLB_L2I] = { "l2i", 2, 1u << TLB_SIDE_I },
    [TLB_STLB] = { "stlb", 2, (1u << TLB_SIDE_D) | (1u << TLB_SIDE_I) },
    [TLB_PSC] = { "psc", 0, 0 },
};

static const struct {
    const char *name;
    uint8_t size, stored;
} sizes[] = {
    { "4k", TLB_4K, TLB_4K },    { "2m", TLB_2M, TLB_2M },    { "1g", TLB_1G, TLB_1G },
    { "2m>4k", TLB_2M, TLB_4K }, { "1g>4k", TLB_1G, TLB_4K }, { "1g>2m", TLB_1G, TLB_2M },
};

static const char *const size_names[TLB_NSIZES] = { "4k", "2m", "1g" };

static const char *const psc_names[MMU_MAX_LEVELS + 1] = {
    [MMU_PDE] = "pd", [MMU_PDPTE] = "pdpt", [MMU_PML4E] = "pml4", [MMU_PML5E] = "pml5",
};

static const char *const policy_names[TLB_NPOLICIES] = {
    [TLB_LRU] = "lru", [TLB_PLRU] = "plru", [TLB_FIFO] = "fifo", [TLB_RANDOM] = "random",
};

static const struct {
    const char *name, *spec;
} presets[] = {
    /* Intel Skylake client (Intel 64 and IA-32 Architectures Optimization
     * Reference Manual, Table 2-15).  PSC sizes are not published. */
    { "skylake", "l1d:4k=64x4,l1d:2m=32x4,l1d:1g=4,"
                 "l1i:4k=128x8,l1i:2m+1g>2m=8,"
                 "stlb:4k+2m=1536x12,stlb:1g=16x4,"
                 "psc:pml4=2,psc:pdpt=4,psc:pd=32" },
    /* AMD Zen 2 (Software Optimization Guide for Family 17h Models 30h,
     * via WikiChip and 7-cpu): 2048 entries cannot make 12 ways (see
     * docs/tlb.md), 170 sets of 12 are modelled; AMD re-walks before a
     * protection fault from a TLB entry. */
    { "zen2", "l1d:4k+2m+1g=64,l2d:4k+2m+1g>2m=2040x12,"
              "l1i:4k+2m+1g=64,l2i:4k+2m+1g>2m=512x8,"
              "psc:pml4=2,psc:pdpt=4,psc:pd=32,fault=rewalk" },
    /* A few entries, so that conflicts and evictions are easy to provoke. */
    { "tiny", "l1d:4k+2m+1g=4x2,l1i:4k+2m+1g=4x2,stlb:4k+2m+1g=16x4,"
              "psc:pml5=1,psc:pml4=1,psc:pdpt=2,psc:pd=2" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

unsigned tlb_kind_level(unsigned kind)
{
    return kinds[kind].level;
}

unsigned tlb_kind_sides(unsigned kind)
{
    return kinds[kind].sides;
}

const char *tlb_policy_name(enum tlb_policy p)
{
    return (unsigned)p < TLB_NPOLICIES ? policy_names[p] : "?";
}

const char *tlb_preset(const char *name)
{
    for (size_t i = 0; i < COUNT(presets); i++)
        if (strcmp(presets[i].name, name) == 0)
            return presets[i].spec;
    return NULL;
}

const char *tlb_preset_name(unsigned i)
{
    return i < COUNT(presets) ? presets[i].name : NULL;
}

/* ---- from text ----------------------------------------------------------- */

struct parser {
    struct tlb_config *cfg;
    const char *item;   /* the item being parsed, for messages */
    char *err;
    size_t errlen;
};

static bool fail(struct parser *ps, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(ps->err, ps->errlen, "in \"%s\": ", ps->item);
    if (n >= 0 && (size_t)n < ps->errlen) {
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A decimal number in [1, max] spanning all of [s, end). */
static bool number(const char *s, const char *end, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (s == end)
        return false;
    for (; s < end; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return v >= 1;
}

/* Does [s, end) spell word? */
static bool is(const char *s, const char *end, const char *word)
{
    return (size_t)(end - s) == strlen(word) && strncmp(s, word, (size_t)(end - s)) == 0;
}

static bool parse_holds_tlb(struct parser *ps, const char *s, const char *end,
                            struct tlb_geometry *g)
{
    memset(g->holds, TLB_NOT_HELD, sizeof g->holds);
    while (s < end) {
        const char *plus = memchr(s, '+', (size_t)(end - s));
        const char *tok_end = plus ? plus : end;
        size_t i;
        for (i = 0; i < COUNT(sizes) && !is(s, tok_end, sizes[i].name); i++)
            ;
        if (i == COUNT(sizes))
            return fail(ps, "unknown page size \"%.*s\" (expected 4k, 2m, 1g, 2m>4k, "
                            "1g>4k or 1g>2m)", (int)(tok_end - s), s);
        if (g->holds[sizes[i].size] != TLB_NOT_HELD)
            return fail(ps, "%s pages listed twice", size_names[sizes[i].size]);
        g->holds[sizes[i].size] = sizes[i].stored;
        s = plus ? plus + 1 : end;
        if (plus && s == end)
            return fail(ps, "a page size must follow \"+\"");
    }
    return true;
}

static bool parse_holds_psc(struct parser *ps, const char *s, const char *end,
                            struct tlb_geometry *g)
{
    for (unsigned lv = MMU_PDE; lv <= MMU_PML5E; lv++) {
        if (is(s, end, psc_names[lv])) {
            g->level = (uint8_t)lv;
            return true;
        }
    }
    return fail(ps, "unknown paging-structure cache \"%.*s\" (expected pml5, pml4, pdpt "
                    "or pd)", (int)(end - s), s);
}

/* entries [ "x" ways ] [ ":" policy ] */
static bool parse_size(struct parser *ps, const char *s, const char *end,
                       struct tlb_geometry *g)
{
    const char *colon = memchr(s, ':', (size_t)(end - s));
    const char *num_end = colon ? colon : end;
    const char *x = memchr(s, 'x', (size_t)(num_end - s));
    unsigned long entries, ways;
    if (!number(s, x ? x : num_end, 1ul << 16, &entries))
        return fail(ps, "bad entry count \"%.*s\" (1 to 65536)",
                    (int)((x ? x : num_end) - s), s);
    ways = entries;
    if (x && !number(x + 1, num_end, entries, &ways))
        return fail(ps, "bad number of ways \"%.*s\" (1 to the entry count)",
                    (int)(num_end - x - 1), x + 1);
    if (entries % ways)
        return fail(ps, "%lu entries do not make sets of %lu ways", entries, ways);
    g->entries = (uint32_t)entries;
    g->ways = (uint32_t)ways;
    g->policy = TLB_LRU;
    if (colon) {
        unsigned p;
        for (p = 0; p < TLB_NPOLICIES && !is(colon + 1, end, policy_names[p]); p++)
            ;
        if (p == TLB_NPOLICIES)
            return fail(ps, "unknown policy \"%.*s\" (expected lru, plru, fifo or random)",
                        (int)(end - colon - 1), colon + 1);
        g->policy = (uint8_t)p;
    }
    if (g->policy == TLB_PLRU && g->ways > 64)
        return fail(ps, "plru supports at most 64 ways, not %u", g->ways);
    return true;
}

static bool same_structure(const struct tlb_geometry *a, const struct tlb_geometry *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == TLB_PSC)
        return a->level == b->level;
    return memcmp(a->holds, b->holds, sizeof a->holds) == 0;
}

static bool add_structure(struct parser *ps, const struct tlb_geometry *g)
{
    struct tlb_config *cfg = ps->cfg;
    for (unsigned i = 0; i < cfg->n; i++) {
        if (same_structure(&cfg->s[i], g)) {
            cfg->s[i] = *g;
            return true;
        }
    }
    if (cfg->n == TLB_MAX_STRUCTS)
        return fail(ps, "more than %d structures", TLB_MAX_STRUCTS);
    cfg->s[cfg->n++] = *g;
    return true;
}

static bool parse_structure(struct parser *ps, const char *s, const char *end)
{
    struct tlb_geometry g;
    memset(&g, 0, sizeof g); /* padding too: configurations compare bytewise */
    const char *colon = memchr(s, ':', (size_t)(end - s));
    const char *eq = memchr(s, '=', (size_t)(end - s));
    unsigned k;
    for (k = 0; k < TLB_NKINDS && !is(s, colon, kinds[k].name); k++)
        ;
    if (k == TLB_NKINDS)
        return fail(ps, "unknown structure \"%.*s\" (expected l1d, l1i, l2d, l2i, stlb or "
                        "psc)", (int)(colon - s), s);
    g.kind = (uint8_t)k;
    if (!eq || eq < colon)
        return fail(ps, "expected \"%.*s:WHAT=ENTRIES[xWAYS][:POLICY]\"", (int)(colon - s), s);
    bool ok = k == TLB_PSC ? parse_holds_psc(ps, colon + 1, eq, &g)
                           : parse_holds_tlb(ps, colon + 1, eq, &g);
    return ok && parse_size(ps, eq + 1, end, &g) && add_structure(ps, &g);
}

static bool parse_option(struct parser *ps, const char *s, const char *end)
{
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (is(s, eq, "seed")) {
        char *num_end;
        if (eq + 1 == end || !isdigit((unsigned char)eq[1]))
            return fail(ps, "seed must be a number");
        ps->cfg->seed = strtoull(eq + 1, &num_end, 0);
        if (num_end != end)
            return fail(ps, "seed must be a number");
        return true;
    }
    if (is(s, eq, "fault")) {
        if (is(eq + 1, end, "spurious") || is(eq + 1, end, "rewalk")) {
            ps->cfg->rewalk_on_fault = is(eq + 1, end, "rewalk");
            return true;
        }
        return fail(ps, "fault must be spurious or rewalk");
    }
    return fail(ps, "unknown option \"%.*s\" (expected seed or fault)", (int)(eq - s), s);
}

static bool parse_items(struct parser *ps, const char *spec, bool in_preset);

static bool parse_item(struct parser *ps, const char *s, const char *end, bool in_preset)
{
    char item[128];
    snprintf(item, sizeof item, "%.*s", (int)(end - s), s);
    ps->item = item;
    if (s == end)
        return fail(ps, "empty item");
    const char *preset = tlb_preset(item);
    if (preset && !in_preset)
        return parse_items(ps, preset, true);
    if (memchr(s, ':', (size_t)(end - s)))
        return parse_structure(ps, s, end);
    if (memchr(s, '=', (size_t)(end - s)))
        return parse_option(ps, s, end);
    return fail(ps, "not a preset (skylake, zen2, tiny), an option (seed=, fault=) or a "
                    "structure (KIND:WHAT=ENTRIES[xWAYS][:POLICY])");
}

static bool parse_items(struct parser *ps, const char *spec, bool in_preset)
{
    const char *s = spec;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        const char *trim = end;
        while (trim > s && isspace((unsigned char)trim[-1]))
            trim--;
        if (!parse_item(ps, s, trim, in_preset))
            return false;
        if (!*end)
            return true;
        s = end + 1;
    }
}

static const char *side_text(unsigned side)
{
    return side == TLB_SIDE_I ? "instruction fetches" : "data accesses";
}

/* No page size may be held by two structures of the same side and level. */
static bool check_overlaps(struct parser *ps)
{
    const struct tlb_config *cfg = ps->cfg;
    for (unsigned i = 0; i < cfg->n; i++) {
        for (unsigned j = i + 1; j < cfg->n; j++) {
            const struct tlb_geometry *a = &cfg->s[i], *b = &cfg->s[j];
            unsigned sides = kinds[a->kind].sides & kinds[b->kind].sides;
            if (a->kind == TLB_PSC || b->kind == TLB_PSC || !sides ||
                kinds[a->kind].level != kinds[b->kind].level)
                continue;
            for (unsigned c = 0; c < TLB_NSIZES; c++) {
                if (a->holds[c] == TLB_NOT_HELD || b->holds[c] == TLB_NOT_HELD)
                    continue;
                char na[32], nb[32];
                tlb_geometry_name(a, na, sizeof na);
                tlb_geometry_name(b, nb, sizeof nb);
                ps->item = na;
                return fail(ps, "%s and %s both hold %s pages for %s at level %u", na, nb,
                            size_names[c], side_text((sides & 1) ? TLB_SIDE_D : TLB_SIDE_I),
                            kinds[a->kind].level);
            }
        }
    }
    return true;
}

bool tlb_parse(const char *spec, struct tlb_config *cfg, char *err, size_t errlen)
{
    struct parser ps = { .cfg = cfg, .item = spec, .err = err, .errlen = errlen };
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;
    if (errlen)
        err[0] = '\0';
    if (!parse_items(&ps, spec, false) || !check_overlaps(&ps))
        return false;
    if (cfg->n == 0) {
        ps.item = spec;
        return fail(&ps, "no structure");
    }
    return true;
}

/* ---- back to text -------------------------------------------------------- */

/* Append to buf at *used, keeping it terminated. */
static void put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + (*used < len ? *used : len), *used < len ? len - *used : 0, fmt,
                      ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
}

static void put_name(const struct tlb_geometry *g, char *buf, size_t len, size_t *used)
{
    put(buf, len, used, "%s:", kinds[g->kind].name);
    if (g->kind == TLB_PSC) {
        put(buf, len, used, "%s", psc_names[g->level]);
        return;
    }
    const char *sep = "";
    for (unsigned c = 0; c < TLB_NSIZES; c++) {
        if (g->holds[c] == TLB_NOT_HELD)
            continue;
        put(buf, len, used, "%s%s", sep, size_names[c]);
        if (g->holds[c] != c)
            put(buf, len, used, ">%s", size_names[g->holds[c]]);
        sep = "+";
    }
}

size_t tlb_geometry_name(const struct tlb_geometry *g, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    put_name(g, buf, len, &used);
    return used;
}

size_t tlb_format(const struct tlb_config *cfg, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (unsigned i = 0; i < cfg->n; i++) {
        const struct tlb_geometry *g = &cfg->s[i];
        if (i)
            put(buf, len, &used, ",");
        put_name(g, buf, len, &used);
        put(buf, len, &used, "=%u", g->entries);
        if (g->ways != g->entries)
            put(buf, len, &used, "x%u", g->ways);
        put(buf, len, &used, ":%s", policy_names[g->policy]);
    }
    put(buf, len, &used, ",seed=%llu", (unsigned long long)cfg->seed);
    if (cfg->rewalk_on_fault)
        put(buf, len, &used, ",fault=rewalk");
    return used;
}
