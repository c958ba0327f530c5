/*
 * selftest.c - the kernel's own tests (command line "selftest"), TAP on the
 * console: the AVL tree of VADs against a reference model, and the PFN
 * database (allocation, freeing, the zero-page thread, commit charge).
 * The machine's exit status is 0 if every check passed.
 */
#include "guest/kernel/kernel.h"

static unsigned tap_n, tap_failed;

static bool ok(bool cond, const char *what)
{
    tap_n++;
    if (!cond)
        tap_failed++;
    kprintf("%sok %u - %s\n", cond ? "" : "not ", tap_n, what);
    return cond;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---- AVL ---------------------------------------------------------------- */

#define SLOTS 512          /* each slot: 16 pages of address space */
#define SLOT_BYTES (16 * PAGE_SIZE)

static void avl_tests(void)
{
    static struct vad *model[SLOTS]; /* the VAD starting in each slot, or NULL */
    struct vad *root = NULL;
    unsigned live = 0, count;
    bool inv = true, find_ok = true, order_ok = true, height_ok = true;
    for (unsigned op = 0; op < 6000; op++) {
        unsigned s = (unsigned)(rnd() % SLOTS);
        if (!model[s]) {
            struct vad *v = kalloc(sizeof *v);
            v->start = 0x10000000ull + s * SLOT_BYTES + (rnd() % 8) * PAGE_SIZE;
            v->end = v->start + (1 + rnd() % 8) * PAGE_SIZE; /* stays inside the slot */
            vad_insert(&root, v);
            model[s] = v;
            live++;
        } else {
            vad_remove(&root, model[s]);
            kfree(model[s]);
            model[s] = NULL;
            live--;
        }
        inv &= vad_check(root, &count) && count == live;
        /* log2(live + 2) * 1.44 bounds an AVL tree's height */
        unsigned lg = 0;
        while ((2u << lg) <= live + 2)
            lg++;
        height_ok &= !root || (unsigned)root->height * 100 <= 144 * (lg + 1) + 100;
        uint64_t probe = 0x10000000ull + (rnd() % (SLOTS * SLOT_BYTES));
        struct vad *want = model[(probe - 0x10000000ull) / SLOT_BYTES];
        if (want && (probe < want->start || probe >= want->end))
            want = NULL;
        find_ok &= vad_find(root, probe) == want;
    }
    uint64_t prev_end = 0;
    unsigned walked = 0;
    for (struct vad *v = vad_first(root); v; v = vad_successor(v), walked++) {
        order_ok &= v->start >= prev_end;
        prev_end = v->end;
    }
    order_ok &= walked == live;
    ok(inv, "AVL: balanced, ordered, parent links and heights right after 6000 inserts/removes");
    ok(height_ok, "AVL: height within 1.44 log2(n + 2)");
    ok(find_ok, "AVL: vad_find agrees with the reference model on 6000 random addresses");
    ok(order_ok, "AVL: in-order walk (successor) visits every VAD in address order");
    bool back = true;
    walked = 0;
    for (struct vad *v = vad_last(root); v; v = vad_predecessor(v), walked++)
        back &= !vad_predecessor(v) || vad_predecessor(v)->end <= v->start;
    ok(back && walked == live, "AVL: predecessor walks back over every VAD");
    bool next_ok = true;
    for (unsigned i = 0; i < 500; i++) {
        uint64_t probe = 0x10000000ull + (rnd() % (SLOTS * SLOT_BYTES));
        struct vad *want = NULL;
        for (unsigned s = 0; s < SLOTS && !want; s++)
            if (model[s] && model[s]->end > probe)
                want = model[s];
        next_ok &= vad_next_after(root, probe) == want;
    }
    ok(next_ok, "AVL: vad_next_after finds the lowest VAD ending above an address");
    /* Ascending and descending insertion: the worst cases for a plain BST. */
    for (unsigned s = 0; s < SLOTS; s++)
        if (model[s]) {
            vad_remove(&root, model[s]);
            kfree(model[s]);
            model[s] = NULL;
        }
    ok(root == NULL, "AVL: empty after removing everything");
    static struct vad seq[1023];
    for (unsigned i = 0; i < 1023; i++) {
        seq[i].start = 0x100000ull + i * PAGE_SIZE;
        seq[i].end = seq[i].start + PAGE_SIZE;
        vad_insert(&root, &seq[i]);
    }
    ok(vad_check(root, &count) && count == 1023 && root->height == 10,
       "AVL: 1023 ascending inserts give a perfect tree of height 10");
    for (unsigned i = 0; i < 1023; i++)
        vad_remove(&root, &seq[i]);
    ok(root == NULL, "AVL: and removing them in order empties it");
}

/* ---- PFN ---------------------------------------------------------------- */

static void pfn_tests(void)
{
    struct ntk_system_memory a, b;
    ok(pfn_check(), "PFN: lists, states and counters agree at boot");
    pfn_counts(&a);
    static uint64_t pages[256];
    bool active = true, distinct = true;
    for (unsigned i = 0; i < 256; i++) {
        pages[i] = pfn_alloc(USE_KERNEL, false);
        active &= pages[i] && pfn_state_of(pages[i]) == PFN_ACTIVE;
        for (unsigned j = 0; j < i; j++)
            distinct &= pages[j] != pages[i];
    }
    ok(active && distinct, "PFN: 256 allocations give 256 distinct active frames");
    pfn_counts(&b);
    ok(b.active_pages == a.active_pages + 256 &&
           b.free_pages + b.zeroed_pages == a.free_pages + a.zeroed_pages - 256,
       "PFN: counters moved by 256");
    for (unsigned i = 0; i < 256; i++)
        memset(P2V(pages[i]), 0xa5, PAGE_SIZE);
    for (unsigned i = 0; i < 256; i++)
        pfn_free(pages[i]);
    bool freed = true;
    for (unsigned i = 0; i < 256; i++)
        freed &= pfn_state_of(pages[i]) == PFN_FREE;
    ok(freed, "PFN: freed frames are on the free list");
    ok(pfn_check(), "PFN: lists agree after freeing");
    /* A zeroed allocation while dirty pages are about: must be all zero. */
    uint64_t z = pfn_alloc(USE_KERNEL, true);
    bool zero = z != 0;
    for (unsigned i = 0; z && i < PAGE_SIZE / 8; i++)
        zero &= ((uint64_t *)P2V(z))[i] == 0;
    ok(zero, "PFN: a zeroed allocation is all zeros, even from the free list");
    pfn_free(z);
    /* Let the zero-page thread run: sleep 20 ms of virtual time. */
    pfn_counts(&a);
    wait_sleep(20000000ull);
    pfn_counts(&b);
    ok(b.zeroed_by_thread > a.zeroed_by_thread && b.zeroed_pages > a.zeroed_pages,
       "PFN: the zero-page thread zeroed pages while this thread slept");
    ok(pfn_check(), "PFN: every page on the zeroed list is zero");
    uint64_t limit = b.commit_limit, charged = b.commit_charge;
    ok(!commit_charge(limit - charged + 1), "PFN: a charge past the commit limit is refused");
    ok(commit_charge(limit - charged), "PFN: a charge up to the commit limit is granted");
    ok(!commit_charge(1), "PFN: then not one page more");
    commit_release(limit - charged);
    pfn_counts(&b);
    ok(b.commit_charge == charged, "PFN: releasing gives the charge back");
    ok(b.commit_limit_ram < b.total_pages && b.commit_limit_ram > b.total_pages / 2,
       "PFN: the commit limit's RAM part is most, not all, of RAM");
    ok(limit == b.commit_limit_ram + pagefile_pages(),
       "PFN: the commit limit is that plus the paging file's pages");
}

/* ---- paging: the standby and modified lists, the paging file's slots ------ */

static void paging_tests(void)
{
    uint64_t pa = pfn_alloc(USE_PRIVATE, true), slot = 0, s2;
    struct ntk_system_memory a, b;
    pfn_counts(&a);
    bool have_slot = pagefile_pages() && pagefile_alloc(&slot);
    ok(pa && (!pagefile_pages() || have_slot), "paging: a frame and a paging-file slot");
    if (have_slot)
        pfn_set_slot(pa, slot);
    pfn_release(pa, false); /* clean, with a copy: standby (without: modified) */
    pfn_counts(&b);
    enum pfn_state want = have_slot ? PFN_STANDBY : PFN_MODIFIED;
    ok(pfn_state_of(pa) == want && b.standby_pages + b.modified_pages ==
                                       a.standby_pages + a.modified_pages + 1 &&
           pfn_check(),
       "paging: a clean page with a paging-file copy goes to the standby list");
    ok(pfn_reclaim(pa) && pfn_state_of(pa) == PFN_ACTIVE && pfn_slot(pa, &s2) == have_slot,
       "paging: taken back without I/O, with its copy");
    pfn_release(pa, true); /* dirty: the copy is stale */
    ok(pfn_state_of(pa) == PFN_MODIFIED && !pfn_slot(pa, &s2) && pfn_check(),
       "paging: a dirty page goes to the modified list, its slot freed");
    pfn_free(pa);
    pfn_counts(&b);
    ok(b.pagefile_in_use == a.pagefile_in_use && pfn_state_of(pa) == PFN_FREE &&
           pfn_check(),
       "paging: freed from the modified list; every slot back");
    /* Slots: distinct, and each freed one can be had again. */
    static uint64_t slots[64];
    unsigned n = 0;
    bool distinct = true;
    while (n < 64 && pagefile_pages() && pagefile_alloc(&slots[n])) {
        for (unsigned j = 0; j < n; j++)
            distinct &= slots[j] != slots[n];
        n++;
    }
    for (unsigned i = 0; i < n; i++)
        pagefile_free(slots[i]);
    pfn_counts(&b);
    ok(distinct && n == (pagefile_pages() < 64 ? pagefile_pages() : 64) &&
           b.pagefile_in_use == a.pagefile_in_use,
       "paging: 64 slots are distinct and all come back");
}

void selftest_run(void *arg)
{
    (void)arg;
    kprintf("1..29\n");
    avl_tests();
    pfn_tests();
    paging_tests();
    if (tap_n != 29)
        kprintf("# planned 29 checks, ran %u\n", tap_n);
    kernel_finish(tap_failed || tap_n != 29 ? 1 : 0);
}
