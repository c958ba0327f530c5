/*
 * gen.c - random cases for the walker differential test (see walkcase.h).
 *
 * A case is a random hierarchy of paging structures built along the path
 * of one random linear address, plus random noise around it, a random CPU
 * state and one access.  Entries get random flags (P, R/W, U/S, PWT, PCD,
 * A, D, G, PS, XD, protection keys, ignored bits) and, sometimes, random
 * extra bits anywhere, which lands on reserved bits often enough.  Tables
 * come from a pool and are shared: mostly between entries of the same level
 * (two PDEs referencing one page table), sometimes across levels (recursive
 * "self-map" entries), which makes the walk reinterpret entries.
 *
 * The generator decides nothing about the outcome: that is for the three
 * translators.  It only needs to know enough of the formats to build a
 * plausible path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emu/selftest/walkcase.h"
#include "shared/x86.h"

/* The top-level slot (index) that maps the harness, per mode. */
static const unsigned harness_slot[MMU_MODE_COUNT] = {
    [MMU_MODE_LEGACY] = 1023, [MMU_MODE_PAE] = 3, [MMU_MODE_4LEVEL] = 255,
    [MMU_MODE_5LEVEL] = 255,
};

uint64_t wc_harness_va(enum mmu_mode mode)
{
    switch (mode) {
    case MMU_MODE_LEGACY: return 0xffc00000ull;
    case MMU_MODE_PAE: return 0xffe00000ull;
    case MMU_MODE_4LEVEL: return 0x00007f8000000000ull;
    default: return 0x00ff000000000000ull;
    }
}

struct gen {
    struct rng r;
    enum mmu_mode mode;
    uint8_t *img;
    struct walk_case *c;
    unsigned width;                    /* entry width: 4 or 8 */
    int level_of[WC_POOL_PAGES];       /* level a pool table serves at; 0: unused */
    uint64_t generated[WC_POOL_PAGES][16]; /* bitmap: entries given a value on purpose */
    bool no_new_tables;                /* noise entries reuse existing tables only */
};

static void add_page(struct gen *g, uint64_t pa)
{
    struct walk_case *c = g->c;
    pa &= ~0xfffull;
    for (unsigned i = 0; i < c->npages; i++)
        if (c->pages[i] == pa)
            return;
    if (c->npages < WC_MAX_PAGES)
        c->pages[c->npages++] = pa;
}

/* An entry of the image; memory beyond it reads as zero, as in the engines. */
static uint64_t get(const struct gen *g, uint64_t pa)
{
    uint64_t v = 0;
    if (pa + g->width <= WC_LOW_SIZE)
        memcpy(&v, g->img + pa, g->width);
    return v;
}

static void set(struct gen *g, uint64_t pa, uint64_t v)
{
    memcpy(g->img + pa, &v, g->width);
}

static bool in_pool(uint64_t pa)
{
    return pa >= WC_POOL && pa < WC_POOL + WC_POOL_PAGES * 0x1000ull;
}

static unsigned pool_index(uint64_t pa)
{
    return (unsigned)((pa - WC_POOL) >> 12);
}

static bool is_generated(const struct gen *g, uint64_t epa)
{
    if (!in_pool(epa))
        return true; /* fixed harness entries */
    unsigned i = (unsigned)((epa & 0xfff) / g->width);
    return g->generated[pool_index(epa)][i / 64] >> (i % 64) & 1;
}

static void mark_generated(struct gen *g, uint64_t epa)
{
    unsigned i = (unsigned)((epa & 0xfff) / g->width);
    g->generated[pool_index(epa)][i / 64] |= 1ull << (i % 64);
}

/* Random bits for a not-present entry: operating systems keep data there. */
static uint64_t not_present(struct gen *g)
{
    uint64_t v = rng_next(&g->r) & ~X86_PTE_P;
    return g->width == 4 ? (uint32_t)v : v;
}

/* A fresh pool page, filled with not-present noise. */
static uint64_t fresh_table(struct gen *g, int level)
{
    unsigned start = (unsigned)rng_below(&g->r, WC_POOL_PAGES);
    for (unsigned k = 0; k < WC_POOL_PAGES; k++) {
        unsigned i = (start + k) % WC_POOL_PAGES;
        if (g->level_of[i])
            continue;
        uint64_t pa = WC_POOL + 0x1000ull * i;
        g->level_of[i] = level;
        add_page(g, pa);
        for (unsigned off = 0; off < 0x1000; off += g->width)
            set(g, pa + off, rng_chance(&g->r, 70) ? not_present(g) : 0);
        return pa;
    }
    return 0;
}

/* A used pool table: at the given level (same-level sharing) or any. */
static uint64_t used_table(struct gen *g, int level)
{
    unsigned start = (unsigned)rng_below(&g->r, WC_POOL_PAGES);
    for (unsigned k = 0; k < WC_POOL_PAGES; k++) {
        unsigned i = (start + k) % WC_POOL_PAGES;
        if (g->level_of[i] && (level == 0 || g->level_of[i] == level))
            return WC_POOL + 0x1000ull * i;
    }
    return 0;
}

/* The table an entry at `level` references: fresh, or shared. */
static uint64_t pick_table(struct gen *g, int level)
{
    uint64_t t = 0;
    if (g->no_new_tables || rng_chance(&g->r, 3))
        t = used_table(g, 0); /* any level: recursive and cross-level sharing */
    else if (rng_chance(&g->r, 15))
        t = used_table(g, level);
    if (!t && !g->no_new_tables)
        t = fresh_table(g, level);
    return t ? t : WC_POOL;
}

/* Can an entry at level map a page (as the generator sees the format)? */
static bool may_map_page(const struct gen *g, int level)
{
    switch (g->mode) {
    case MMU_MODE_LEGACY: return level == MMU_PDE && (g->c->regs.cr4 & X86_CR4_PSE);
    case MMU_MODE_PAE: return level == MMU_PDE;
    default: return level == MMU_PDE || level == MMU_PDPTE;
    }
}

static uint64_t page_size_at(const struct gen *g, int level)
{
    if (level == MMU_PTE)
        return X86_PAGE_4K;
    if (level == MMU_PDPTE)
        return X86_PAGE_1G;
    return g->mode == MMU_MODE_LEGACY ? X86_PAGE_4M : X86_PAGE_2M;
}

/*
 * A physical frame for a page of size, above the low image (nothing backs
 * it, so QEMU's access reports its address), below 4 GB half of the time
 * and anywhere below 2^MAXPHYADDR otherwise; 4 KB pages of 32-bit paging
 * have 32-bit frames.
 */
static uint64_t pick_frame(struct gen *g, uint64_t size)
{
    bool low4g = rng_chance(&g->r, 50) || (g->mode == MMU_MODE_LEGACY && size == X86_PAGE_4K);
    uint64_t limit = low4g ? (1ull << 32) : (1ull << WC_MAXPHYADDR);
    uint64_t first = (WC_LOW_SIZE + size - 1) / size; /* first frame above the low image */
    return (first + rng_below(&g->r, limit / size - first)) * size;
}

/* Encode a frame into a leaf entry at level. */
static uint64_t frame_bits(const struct gen *g, int level, uint64_t frame)
{
    if (g->mode == MMU_MODE_LEGACY && level == MMU_PDE)
        return (frame & 0xffc00000ull) | (((frame >> 32) & 0xff) << 13); /* PSE-36 */
    return frame;
}

static uint64_t random_flags(struct gen *g, bool leaf)
{
    struct rng *r = &g->r;
    uint64_t e = X86_PTE_P;
    e |= rng_chance(r, 75) ? X86_PTE_RW : 0;
    e |= rng_chance(r, 75) ? X86_PTE_US : 0;
    e |= rng_chance(r, 15) ? X86_PTE_PWT : 0;
    e |= rng_chance(r, 15) ? X86_PTE_PCD : 0;
    e |= rng_chance(r, 50) ? X86_PTE_A : 0;
    e |= rng_chance(r, 50) ? X86_PTE_D : 0;
    e |= rng_chance(r, 20) ? X86_PTE_G : 0;
    e |= rng_below(r, 8) << 9; /* ignored bits 11:9 */
    if (g->width == 8) {
        e |= rng_chance(r, 20) ? X86_PTE_XD : 0;
        /* Bits 58:52: ignored in IA-32e paging; reserved in PAE paging, where
         * maybe_flip() reaches them often enough. */
        if (g->mode >= MMU_MODE_4LEVEL && rng_chance(r, 20))
            e |= rng_below(r, 128) << 52;
        if (leaf && rng_chance(r, 40))
            e |= rng_below(r, 16) << X86_PTE_PK_SHIFT;
    }
    return e;
}

/* Sometimes set a random bit or two beyond the plausible format. */
static uint64_t maybe_flip(struct gen *g, uint64_t e)
{
    unsigned bits = g->width * 8;
    if (rng_chance(&g->r, 10))
        e ^= 1ull << (1 + rng_below(&g->r, bits - 1));
    if (rng_chance(&g->r, 3))
        e ^= 1ull << (1 + rng_below(&g->r, bits - 1));
    return e;
}

/* A new entry for level: not present, a page, or a reference to a table. */
static uint64_t gen_entry(struct gen *g, int level)
{
    if (!rng_chance(&g->r, 93))
        return not_present(g);
    bool leaf;
    uint64_t ps = 0;
    if (level == MMU_PTE) {
        leaf = true;
    } else if (may_map_page(g, level)) {
        leaf = rng_chance(&g->r, 30);
        ps = leaf ? X86_PTE_PS : 0;
    } else {
        /* PS where it is reserved or ignored: the entry stays a table reference. */
        leaf = false;
        ps = rng_chance(&g->r, 3) ? X86_PTE_PS : 0;
    }
    uint64_t e = random_flags(g, leaf) | ps;
    if (level == MMU_PTE)
        e = (e & ~X86_PTE_PAT) | (rng_chance(&g->r, 10) ? X86_PTE_PAT : 0);
    if (leaf)
        e |= frame_bits(g, level, pick_frame(g, page_size_at(g, level)));
    else
        e |= pick_table(g, level - 1);
    if (g->width == 4)
        e = (uint32_t)e;
    return maybe_flip(g, e);
}

/* Would the generator's view of the format follow this entry to a table? */
static bool follows(const struct gen *g, int level, uint64_t e)
{
    if (!(e & X86_PTE_P) || level == MMU_PTE)
        return false;
    if ((e & X86_PTE_PS) && may_map_page(g, level))
        return false;
    uint64_t t = e & (g->width == 4 ? 0xfffff000ull : X86_PTE_ADDR_MASK);
    return in_pool(t);
}

static unsigned index_at(const struct gen *g, int level, uint64_t va)
{
    if (g->mode == MMU_MODE_LEGACY)
        return (unsigned)(va >> (level == MMU_PDE ? 22 : 12)) & 0x3ff;
    if (g->mode == MMU_MODE_PAE && level == MMU_PDPTE)
        return (unsigned)(va >> 30) & 3;
    return (unsigned)(va >> (12 + 9 * (level - 1))) & 0x1ff;
}

static int top_level(enum mmu_mode mode)
{
    static const int top[MMU_MODE_COUNT] = {
        [MMU_MODE_LEGACY] = MMU_PDE, [MMU_MODE_PAE] = MMU_PDPTE,
        [MMU_MODE_4LEVEL] = MMU_PML4E, [MMU_MODE_5LEVEL] = MMU_PML5E,
    };
    return top[mode];
}

/* Build entries along va's path, starting at table `table` of level `level`. */
static void build_path(struct gen *g, uint64_t table, int level, uint64_t va)
{
    for (; level >= MMU_PTE; level--) {
        uint64_t epa = table + (uint64_t)index_at(g, level, va) * g->width;
        if (in_pool(epa) && !is_generated(g, epa)) {
            set(g, epa, gen_entry(g, level));
            mark_generated(g, epa);
        }
        uint64_t e = get(g, epa);
        if (!follows(g, level, e))
            return;
        table = e & (g->width == 4 ? 0xfffff000ull : X86_PTE_ADDR_MASK);
    }
}

/* The fixed chain of tables mapping the two harness code pages. */
static void build_harness(struct gen *g, uint64_t root)
{
    const uint64_t tbl = X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A;
    const uint64_t leaf = X86_PTE_P | X86_PTE_RW | X86_PTE_A | X86_PTE_D;
    uint64_t pt = WC_HARNESS_TABLES;
    add_page(g, pt);
    set(g, pt, WC_HARNESS_CODE | leaf);
    set(g, pt + g->width, (WC_HARNESS_CODE + 0x1000) | leaf | X86_PTE_US);

    uint64_t slot = root + (uint64_t)harness_slot[g->mode] * g->width;
    switch (g->mode) {
    case MMU_MODE_LEGACY:
        set(g, slot, pt | tbl);
        break;
    case MMU_MODE_PAE: {
        /* PDPTE 3 references a random page directory whose last entry maps
         * the harness page table (PAE has only four top-level slots). */
        uint64_t pd = get(g, slot) & X86_PTE_ADDR_MASK;
        set(g, pd + 511 * 8, pt | tbl);
        mark_generated(g, pd + 511 * 8);
        break;
    }
    default: {
        uint64_t pd = WC_HARNESS_TABLES + 0x1000, pdpt = WC_HARNESS_TABLES + 0x2000;
        uint64_t pml4 = WC_HARNESS_TABLES + 0x3000;
        add_page(g, pd);
        add_page(g, pdpt);
        set(g, pd, pt | tbl);
        set(g, pdpt, pd | tbl);
        if (g->mode == MMU_MODE_5LEVEL) {
            add_page(g, pml4);
            set(g, pml4, pdpt | tbl);
            set(g, slot, pml4 | tbl);
        } else {
            set(g, slot, pdpt | tbl);
        }
        break;
    }
    }
    if (in_pool(slot))
        mark_generated(g, slot);
}

/* The harness code (see WC_CODE_*), on the supervisor and the user page. */
static void write_harness_code(struct gen *g)
{
    static const uint8_t code64[5][8] = {
        [WC_CODE_READ / 16] = { 0x48, 0x8b, 0x03 },                   /* mov rax,[rbx] */
        [WC_CODE_WRITE / 16] = { 0x48, 0x89, 0x03 },                  /* mov [rbx],rax */
        [WC_CODE_PKRU_READ / 16] = { 0x0f, 0x01, 0xef, 0x48, 0x8b, 0x03 },
        [WC_CODE_PKRU_WRITE / 16] = { 0x0f, 0x01, 0xef, 0x48, 0x89, 0x03 },
        [WC_CODE_PKRU_FETCH / 16] = { 0x0f, 0x01, 0xef, 0xff, 0xe3 }, /* wrpkru; jmp rbx */
    };
    static const uint8_t code32[5][8] = {
        [WC_CODE_READ / 16] = { 0x8b, 0x03 },  /* mov eax,[ebx] */
        [WC_CODE_WRITE / 16] = { 0x89, 0x03 }, /* mov [ebx],eax */
    };
    bool longmode = g->mode >= MMU_MODE_4LEVEL;
    for (uint64_t page = WC_HARNESS_CODE; page <= WC_HARNESS_CODE + 0x1000; page += 0x1000) {
        add_page(g, page);
        memset(g->img + page, 0xf4, 0x1000); /* hlt everywhere else */
        for (unsigned i = 0; i < 5; i++)
            memcpy(g->img + page + 16 * i, longmode ? code64[i] : code32[i], 8);
    }
}

/* A random linear address outside the harness slot. */
static uint64_t pick_va(struct gen *g)
{
    struct rng *r = &g->r;
    uint64_t va;
    switch (g->mode) {
    case MMU_MODE_LEGACY:
        va = rng_below(r, 0xffc00000ull);
        break;
    case MMU_MODE_PAE:
        va = rng_below(r, 0xffe00000ull);
        break;
    default: {
        unsigned bits = g->mode == MMU_MODE_5LEVEL ? 57 : 48, top_shift = bits - 9;
        do
            va = rng_next(r) & ((1ull << bits) - 1);
        while (((va >> top_shift) & 0x1ff) == harness_slot[g->mode]);
        /* Canonical: sign-extend bit (bits - 1); sometimes break the rule. */
        if (va >> (bits - 1))
            va |= ~0ull << bits;
        if (rng_chance(r, 3))
            va ^= 1ull << (bits + rng_below(r, 64 - bits));
        break;
    }
    }
    if (g->c->access == MMU_FETCH) {
        /* Keep the fetched byte (and the translator's look-ahead) in one page. */
        if ((va & 0xfff) > 0xff0)
            va -= 0x10;
    } else {
        va &= ~(uint64_t)(g->mode >= MMU_MODE_4LEVEL ? 7 : 3);
    }
    return va;
}

static void pick_cpu_state(struct gen *g)
{
    struct rng *r = &g->r;
    struct walk_case *c = g->c;
    static const uint64_t mode_cr4[MMU_MODE_COUNT] = {
        [MMU_MODE_PAE] = X86_CR4_PAE, [MMU_MODE_4LEVEL] = X86_CR4_PAE,
        [MMU_MODE_5LEVEL] = X86_CR4_PAE | X86_CR4_LA57,
    };
    bool longmode = g->mode >= MMU_MODE_4LEVEL;
    c->regs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG |
                  (rng_chance(r, 60) ? X86_CR0_WP : 0);
    c->regs.cr4 = mode_cr4[g->mode] | (rng_chance(r, 50) ? X86_CR4_PSE : 0) |
                  (rng_chance(r, 50) ? X86_CR4_PGE : 0) | (rng_chance(r, 40) ? X86_CR4_SMEP : 0) |
                  (rng_chance(r, 40) ? X86_CR4_SMAP : 0) |
                  (rng_chance(r, longmode ? 40 : 15) ? X86_CR4_PKE : 0);
    c->regs.efer = (longmode ? X86_EFER_LME | X86_EFER_LMA : 0) |
                   (rng_chance(r, 60) ? X86_EFER_NXE : 0);
    c->cpl = rng_chance(r, 55) ? 3 : 0;
    c->ac = rng_chance(r, 50);
    c->pkru = rng_chance(r, 35) ? 0 : (uint32_t)rng_next(r);
    unsigned a = (unsigned)rng_below(r, 100);
    c->access = a < 40 ? MMU_READ : a < 75 ? MMU_WRITE : MMU_FETCH;
    /* What a write stores: with CR4.PKE the harness runs WRPKRU, which takes
     * PKRU from EAX, so RAX holds PKRU then. */
    c->data = longmode && (c->regs.cr4 & X86_CR4_PKE) ? c->pkru : rng_next(r);
}

void wc_generate(uint64_t seed, enum mmu_mode mode, uint64_t index, uint8_t *image,
                 struct walk_case *c)
{
    struct gen g;
    memset(&g, 0, sizeof g);
    memset(c, 0, sizeof *c);
    rng_seed(&g.r, seed, mode, index);
    g.mode = mode;
    g.img = image;
    g.c = c;
    g.width = mode == MMU_MODE_LEGACY ? 4 : 8;
    c->mode = mode;
    pick_cpu_state(&g);

    write_harness_code(&g);
    uint64_t root;
    if (mode == MMU_MODE_PAE) {
        /* CR3 points at a 32-byte PDPT anywhere in a pool page. */
        uint64_t page = fresh_table(&g, MMU_PDPTE);
        root = page + 32 * rng_below(&g.r, 128);
        for (unsigned i = 0; i < 4; i++) {
            uint64_t e = rng_chance(&g.r, 85) || i == 3 ? (pick_table(&g, MMU_PDE) | X86_PTE_P)
                                                       : not_present(&g);
            if (rng_chance(&g.r, 15))
                e |= rng_chance(&g.r, 50) ? X86_PTE_PWT : X86_PTE_PCD;
            if (rng_chance(&g.r, 4))
                e ^= 1ull << (1 + rng_below(&g.r, 63)); /* often reserved: #GP at load */
            set(&g, root + 8 * i, e);
            mark_generated(&g, root + 8 * i);
        }
        /* PDPTE 3 must reference a page directory of its own for the harness. */
        uint64_t pd3 = fresh_table(&g, MMU_PDE);
        set(&g, root + 24, (get(&g, root + 24) & ~X86_PTE_ADDR_MASK) | pd3 | X86_PTE_P);
        c->regs.cr3 = root;
    } else {
        root = fresh_table(&g, top_level(mode));
        c->regs.cr3 = root | (rng_chance(&g.r, 20) ? X86_PTE_PWT | X86_PTE_PCD : 0);
    }
    build_harness(&g, root);

    c->va = pick_va(&g);
    if (mode == MMU_MODE_PAE) {
        uint64_t pdpte = get(&g, root + 8 * index_at(&g, MMU_PDPTE, c->va));
        if (pdpte & X86_PTE_P)
            build_path(&g, pdpte & X86_PTE_ADDR_MASK & ((1ull << WC_MAXPHYADDR) - 1), MMU_PDE,
                       c->va);
    } else {
        build_path(&g, root, top_level(mode), c->va);
    }

    /* Noise: present entries off the path, reachable through shared tables. */
    g.no_new_tables = true;
    for (unsigned n = (unsigned)rng_below(&g.r, 6); n; n--) {
        uint64_t t = used_table(&g, 0);
        int level = g.level_of[pool_index(t)];
        uint64_t epa = t + rng_below(&g.r, 0x1000 / g.width) * g.width;
        if (level >= MMU_PTE && !is_generated(&g, epa)) {
            set(&g, epa, gen_entry(&g, level));
            mark_generated(&g, epa);
        }
    }
}

void wc_clear(const struct walk_case *c, uint8_t *image)
{
    for (unsigned i = 0; i < c->npages; i++)
        memset(image + c->pages[i], 0, 0x1000);
}

void wc_copy(const struct walk_case *c, uint8_t *dst, const uint8_t *src)
{
    for (unsigned i = 0; i < c->npages; i++)
        memcpy(dst + c->pages[i], src + c->pages[i], 0x1000);
}

void wc_print(FILE *out, const struct walk_case *c)
{
    fprintf(out,
            "  %s %s 0x%016" PRIx64 " at CPL %u, AC=%d, PKRU=0x%08x\n"
            "  CR0=0x%" PRIx64 " (WP=%d) CR3=0x%" PRIx64 " CR4=0x%" PRIx64
            " (PSE=%d PGE=%d SMEP=%d SMAP=%d PKE=%d) EFER=0x%" PRIx64 " (NXE=%d)\n",
            mmu_mode_name(c->mode), mmu_access_name(c->access), c->va, c->cpl, c->ac, c->pkru,
            c->regs.cr0, !!(c->regs.cr0 & X86_CR0_WP), c->regs.cr3, c->regs.cr4,
            !!(c->regs.cr4 & X86_CR4_PSE), !!(c->regs.cr4 & X86_CR4_PGE),
            !!(c->regs.cr4 & X86_CR4_SMEP), !!(c->regs.cr4 & X86_CR4_SMAP),
            !!(c->regs.cr4 & X86_CR4_PKE), c->regs.efer, !!(c->regs.efer & X86_EFER_NXE));
}
