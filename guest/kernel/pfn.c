/*
 * pfn.c - the page frame number (PFN) database: one entry per physical page
 * of RAM saying what the page is doing now.
 *
 *   free      on the free list: its contents are whatever the last owner left
 *   zeroed    on the zeroed list: known to hold zeros
 *   active    in use (by whom: the entry's `use`)
 *   standby   on the standby list: a page no process maps any more whose
 *             contents are also elsewhere (in the paging file, or in its
 *             image file): reusable at once, or taken back without I/O
 *   modified  on the modified list: the same, but its contents exist only
 *             here: the modified page writer (mpw.c) must write it to the
 *             paging file first
 *   reserved  not ours: not RAM, or the boot structures, or the kernel image
 *
 * A freed page goes on the free list; the zero-page thread, which runs only
 * when no other thread wants the CPU, takes pages from the free list, zeroes
 * them and moves them to the zeroed list, so that a demand-zero fault
 * usually finds a page ready.  Free and zeroed are LIFO stacks; standby and
 * modified are FIFO queues (the oldest page is reused or written first),
 * doubly linked so that a page touched again (a transition fault) leaves
 * from the middle.  When the free and zeroed lists are empty, an allocation
 * reuses the oldest standby page: the PTE (or an image section's prototype
 * entry) that still refers to it is rewritten first - the paging-file slot
 * that holds its copy (vm_page_out), or "not read" (section_discard).
 *
 * Each entry of a pageable frame records the entry that refers to it (a
 * PTE's or prototype entry's physical address), the paging-file slot that
 * holds a copy of it, if any, and either the number of PTEs that map it
 * (image frames, shared) or its index in its owner's working set (private
 * frames).
 *
 * Commit charge: every committed private page is charged against the commit
 * limit when it is committed (not when it is touched), so that a fault on a
 * committed page never finds memory exhausted.  The limit is the number of
 * pages available once the kernel is up, less a reserve for the kernel's own
 * needs (page tables, pool, kernel stacks), plus the paging file's pages.
 */
#include "guest/kernel/kernel.h"

#define NIL 0xffffffffu
#define PFN_KEEP 0x1u           /* never trimmed: its data exists nowhere else */

struct pfn {
    uint32_t next, prev;  /* list links (frame numbers), NIL at the ends */
    uint8_t state;        /* enum pfn_state */
    uint8_t use;          /* enum pfn_use */
    uint8_t flags;        /* PFN_KEEP */
    uint8_t reserved;
    uint32_t slot;        /* paging-file slot + 1 holding a copy of the contents, or 0 */
    uint32_t share;       /* image frames: PTEs mapping it; private: working-set index */
    uint64_t entry;       /* physical address of the PTE or prototype entry referring to it */
};

struct list {
    uint32_t head, tail;
    uint64_t count;
};

static struct pfn *db;
static uint64_t nframes;
static struct list free_list, zeroed_list, standby_list, modified_list;
static uint64_t nactive, nmanaged;
static uint64_t commit_total, commit_limit, pagefile_part;
static uint64_t early_start, early_next, early_end;
static uint64_t zeroed_by_thread;
uint64_t pfn_demand_zero_faults;
static struct thread *zero_thread_idle; /* the zero-page thread, waiting for work */

/* Zero a page, 64 bytes per iteration.  Not REP STOSQ: the machine runs
 * each iteration of a REP string instruction as a block of its own (and
 * counts it as an instruction), so 512 iterations cost far more than 64
 * iterations of a loop (docs/machine.md, "Virtual time"). */
void zero_page(uint64_t pa)
{
    uint64_t *d = P2V(pa);
    for (unsigned i = 0; i < PAGE_SIZE / 8; i += 8) {
        d[i] = 0, d[i + 1] = 0, d[i + 2] = 0, d[i + 3] = 0;
        d[i + 4] = 0, d[i + 5] = 0, d[i + 6] = 0, d[i + 7] = 0;
    }
}

/* Before the database exists: pages from the first usable region above the
 * kernel image; pfn_init marks them active. */
uint64_t early_alloc_page(void)
{
    if (early_next + PAGE_SIZE > early_end)
        panic("out of memory during boot");
    uint64_t pa = early_next;
    early_next += PAGE_SIZE;
    zero_page(pa);
    return pa;
}

void pfn_early_init(const struct boot_info *bi)
{
    uint64_t kend = PAGE_ROUND_UP(bi->kernel_phys_end);
    for (uint32_t i = 0; i < bi->nregions; i++) {
        const struct boot_mem_region *r = &bi->region[i];
        uint64_t lo = PAGE_ROUND_UP(r->base), hi = PAGE_ROUND_DOWN(r->base + r->size);
        if (r->type != BOOT_MEM_USABLE)
            continue;
        if (lo < kend)
            lo = kend;
        if (hi > lo + 64 * PAGE_SIZE && hi - lo > early_end - early_next) {
            early_start = early_next = lo;
            early_end = hi;
        }
    }
    if (!early_end)
        panic("no usable memory above the kernel");
}

/* ---- lists ---------------------------------------------------------------- */

static struct list *list_of(enum pfn_state st)
{
    switch (st) {
    case PFN_FREE: return &free_list;
    case PFN_ZEROED: return &zeroed_list;
    case PFN_STANDBY: return &standby_list;
    case PFN_MODIFIED: return &modified_list;
    default: return NULL;
    }
}

static void push_head(struct list *l, uint64_t f)
{
    db[f].prev = NIL;
    db[f].next = l->head;
    if (l->head != NIL)
        db[l->head].prev = (uint32_t)f;
    else
        l->tail = (uint32_t)f;
    l->head = (uint32_t)f;
    l->count++;
}

static void push_tail(struct list *l, uint64_t f)
{
    db[f].next = NIL;
    db[f].prev = l->tail;
    if (l->tail != NIL)
        db[l->tail].next = (uint32_t)f;
    else
        l->head = (uint32_t)f;
    l->tail = (uint32_t)f;
    l->count++;
}

static void unlink(struct list *l, uint64_t f)
{
    struct pfn *e = &db[f];
    if (e->prev != NIL)
        db[e->prev].next = e->next;
    else
        l->head = e->next;
    if (e->next != NIL)
        db[e->next].prev = e->prev;
    else
        l->tail = e->prev;
    e->next = e->prev = NIL;
    l->count--;
}

/* Put f in state st, on st's list (at the head for free and zeroed pages,
 * at the tail for standby and modified ones). */
static void enter(uint64_t f, enum pfn_state st)
{
    db[f].state = (uint8_t)st;
    struct list *l = list_of(st);
    if (!l)
        nactive++;
    else if (st == PFN_FREE || st == PFN_ZEROED)
        push_head(l, f);
    else
        push_tail(l, f);
}

static void leave(uint64_t f)
{
    struct list *l = list_of((enum pfn_state)db[f].state);
    if (l)
        unlink(l, f);
    else
        nactive--;
}

void pfn_init(const struct boot_info *bi)
{
    nframes = bi->ram_size >> PAGE_SHIFT;
    uint64_t bytes = PAGE_ROUND_UP(nframes * sizeof(struct pfn));
    /* The database itself comes from the early allocator (contiguous). */
    if (early_next + bytes > early_end)
        panic("no room for the PFN database (%llu bytes)", (unsigned long long)bytes);
    db = P2V(early_next);
    early_next += bytes;
    free_list = zeroed_list = standby_list = modified_list = (struct list){ NIL, NIL, 0 };
    for (uint64_t f = 0; f < nframes; f++)
        db[f] = (struct pfn){ .next = NIL, .prev = NIL, .state = PFN_RESERVED };
    /* Usable RAM is free, except what the early allocator handed out (the
     * kernel's page tables and this database): that is active.  Pushed from
     * the top down so that allocation starts with low frames. */
    for (uint32_t i = bi->nregions; i-- > 0;) {
        const struct boot_mem_region *r = &bi->region[i];
        if (r->type != BOOT_MEM_USABLE)
            continue;
        uint64_t lo = PAGE_ROUND_UP(r->base) >> PAGE_SHIFT;
        uint64_t hi = PAGE_ROUND_DOWN(r->base + r->size) >> PAGE_SHIFT;
        if (hi > nframes)
            hi = nframes;
        for (uint64_t f = hi; f-- > lo;) {
            uint64_t pa = f << PAGE_SHIFT;
            nmanaged++;
            if (pa >= early_start && pa < early_next) {
                db[f].use = USE_KERNEL;
                enter(f, PFN_ACTIVE);
            } else {
                enter(f, PFN_FREE);
            }
        }
    }
    early_end = early_next; /* the early allocator is closed */
}

static uint64_t frame_of(uint64_t pa)
{
    uint64_t f = pa >> PAGE_SHIFT;
    if ((pa & (PAGE_SIZE - 1)) || f >= nframes)
        panic("bad physical page 0x%llx", (unsigned long long)pa);
    return f;
}

uint64_t pfn_available(void)
{
    return free_list.count + zeroed_list.count + standby_list.count;
}

uint64_t pfn_modified_count(void)
{
    return modified_list.count;
}

/* ---- allocation ------------------------------------------------------------ */

/* Standby page f, for reuse: whoever still refers to it learns
 * where its contents are now - the paging-file slot (a private page) or
 * nowhere but the image file (an image page). */
static void repurpose(uint64_t f)
{
    unlink(&standby_list, f);
    if (db[f].use == USE_IMAGE) {
        section_discard(db[f].entry);
    } else {
        KASSERT(db[f].slot != 0);
        vm_page_out(db[f].entry, db[f].slot - 1); /* the slot is the PTE's now */
    }
    db[f].slot = 0;
}

uint64_t pfn_alloc(enum pfn_use use, bool zeroed)
{
    uint64_t f;
    bool clean = false;
    struct list *first = zeroed ? &zeroed_list : &free_list;
    struct list *second = zeroed ? &free_list : &zeroed_list;
    if (first->count || second->count) {
        struct list *l = first->count ? first : second;
        f = l->head;
        unlink(l, f);
        clean = l == &zeroed_list;
    } else if (standby_list.count) {
        f = standby_list.head;
        repurpose(f);
    } else {
        return 0;
    }
    db[f] = (struct pfn){ .next = NIL, .prev = NIL, .use = (uint8_t)use };
    enter(f, PFN_ACTIVE);
    if (zeroed && !clean)
        zero_page(f << PAGE_SHIFT);
    balance_pressure();
    return f << PAGE_SHIFT;
}

static void wake_zero_thread(void)
{
    if (zero_thread_idle) {
        struct thread *t = zero_thread_idle;
        zero_thread_idle = NULL;
        sched_ready(t);
    }
}

/* A frame of any state but free, zeroed or reserved goes back to the free
 * list, with its paging-file slot. */
void pfn_free(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    uint8_t st = db[f].state;
    if (st != PFN_ACTIVE && st != PFN_STANDBY && st != PFN_MODIFIED)
        panic("freeing page 0x%llx, which is not in use (state %u)", (unsigned long long)pa, st);
    leave(f);
    if (db[f].slot)
        pagefile_free(db[f].slot - 1);
    db[f] = (struct pfn){ .next = NIL, .prev = NIL, .use = USE_NONE };
    enter(f, PFN_FREE);
    wake_zero_thread();
    balance_pages_available();
}

enum pfn_state pfn_state_of(uint64_t pa)
{
    return (enum pfn_state)db[frame_of(pa)].state;
}

/* ---- pageable frames ---------------------------------------------------------- */

void pfn_set_pte(uint64_t pa, uint64_t entry_pa)
{
    db[frame_of(pa)].entry = entry_pa;
}

bool pfn_slot(uint64_t pa, uint64_t *slot)
{
    uint32_t s = db[frame_of(pa)].slot;
    if (s)
        *slot = s - 1;
    return s != 0;
}

void pfn_set_slot(uint64_t pa, uint64_t slot)
{
    struct pfn *e = &db[frame_of(pa)];
    KASSERT(!e->slot);
    e->slot = (uint32_t)(slot + 1);
}

void pfn_dirty(uint64_t pa)
{
    struct pfn *e = &db[frame_of(pa)];
    if (e->slot)
        pagefile_free(e->slot - 1);
    e->slot = 0;
}

void pfn_keep(uint64_t pa)
{
    db[frame_of(pa)].flags |= PFN_KEEP;
}

bool pfn_kept(uint64_t pa)
{
    return db[frame_of(pa)].flags & PFN_KEEP;
}

enum pfn_use pfn_use_of(uint64_t pa)
{
    return (enum pfn_use)db[frame_of(pa)].use;
}

/* An active page that nothing maps any more: to the standby list if its
 * contents are elsewhere too (an image page; a private page with an
 * up-to-date paging-file copy), else to the modified list. */
void pfn_release(uint64_t pa, bool dirty)
{
    uint64_t f = frame_of(pa);
    KASSERT(db[f].state == PFN_ACTIVE);
    if (dirty)
        pfn_dirty(pa);
    bool clean = db[f].use == USE_IMAGE || db[f].slot;
    leave(f);
    enter(f, clean ? PFN_STANDBY : PFN_MODIFIED);
    if (clean)
        balance_pages_available();
    else
        balance_pressure();
}

bool pfn_reclaim(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    if (db[f].state != PFN_STANDBY && db[f].state != PFN_MODIFIED)
        return false;
    leave(f);
    enter(f, PFN_ACTIVE);
    return true;
}

void pfn_share_add(uint64_t pa)
{
    db[frame_of(pa)].share++;
}

void pfn_release_unused(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    if (db[f].state == PFN_ACTIVE && db[f].share == 0 && !(db[f].flags & PFN_KEEP))
        pfn_release(pa, false);
}

void pfn_share_drop(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    KASSERT(db[f].share > 0);
    db[f].share--;
    pfn_release_unused(pa);
}

uint32_t pfn_ws_index(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    return db[f].use == USE_PRIVATE ? db[f].share : NIL;
}

void pfn_set_ws_index(uint64_t pa, uint32_t index)
{
    uint64_t f = frame_of(pa);
    if (db[f].use == USE_PRIVATE)
        db[f].share = index;
}

uint64_t pfn_modified_head(void)
{
    return modified_list.count ? (uint64_t)modified_list.head << PAGE_SHIFT : 0;
}

void pfn_written(uint64_t pa, uint64_t slot)
{
    uint64_t f = frame_of(pa);
    KASSERT(db[f].state == PFN_MODIFIED && !db[f].slot);
    db[f].slot = (uint32_t)(slot + 1);
    leave(f);
    enter(f, PFN_STANDBY);
    balance_pages_available();
}

void pfn_requeue(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    leave(f);
    enter(f, PFN_MODIFIED);
}

/* The paging file is full: resident pages give up the slots that still
 * copy them (they will be written again when they leave).  Rare: a scan. */
uint64_t pfn_drop_resident_slots(void)
{
    uint64_t n = 0;
    for (uint64_t f = 0; f < nframes; f++)
        if (db[f].state == PFN_ACTIVE && db[f].slot) {
            pagefile_free(db[f].slot - 1);
            db[f].slot = 0;
            n++;
        }
    return n;
}

/* ---- counters and the commit limit ------------------------------------------ */

void pfn_counts(struct ntk_system_memory *m)
{
    struct pagefile_stats pf;
    pagefile_counts(&pf);
    *m = (struct ntk_system_memory){
        .total_pages = nmanaged,
        .free_pages = free_list.count,
        .zeroed_pages = zeroed_list.count,
        .active_pages = nactive,
        .commit_charge = commit_total,
        .commit_limit = commit_limit,
        .demand_zero_faults = pfn_demand_zero_faults,
        .zeroed_by_thread = zeroed_by_thread,
        .image_page_ins = image_stats.page_ins,
        .image_cow_copies = image_stats.cow_copies,
        .image_pages_resident = image_stats.resident,
        .image_sections = image_stats.sections,
        .standby_pages = standby_list.count,
        .modified_pages = modified_list.count,
        .pagefile_pages = pf.pages,
        .pagefile_in_use = pf.in_use,
        .pagefile_reads = pf.reads,
        .pagefile_writes = pf.writes,
        .transition_faults = paging_stats.faults_transition,
        .pagefile_faults = paging_stats.faults_pagefile,
        .image_faults = paging_stats.faults_image,
        .working_set_pages = ws_total_pages(),
        .trimmed_pages = paging_stats.trimmed,
        .commit_limit_ram = commit_limit - pagefile_part,
        .mapped_page_ins = mapped_stats.page_ins,
        .mapped_page_writes = mapped_stats.page_writes,
        .mapped_pages_resident = mapped_stats.resident,
        .mapped_sections = mapped_stats.sections,
        .large_pages = largepage_count(),
        .mapped_faults = paging_stats.faults_mapped,
    };
}

void pfn_set_pagefile_pages(uint64_t pages)
{
    pagefile_part = pages;
}

/* Called once the kernel is up: what is available now, less a reserve of
 * 1/16 of it (at least 256 pages) for the kernel's own allocations, plus
 * the paging file. */
void pfn_set_commit_limit(void)
{
    uint64_t avail = pfn_available();
    uint64_t reserve = avail / 16 > 256 ? avail / 16 : 256;
    commit_limit = (avail > reserve ? avail - reserve : 0) + pagefile_part;
}

bool commit_charge(uint64_t pages)
{
    if (pages > commit_limit - commit_total)
        return false;
    commit_total += pages;
    return true;
}

void commit_release(uint64_t pages)
{
    KASSERT(pages <= commit_total);
    commit_total -= pages;
}

/*
 * The zero-page thread: the lowest-priority thread but the idle loop.  It
 * zeroes one free page at a time, then lets the scheduler in (sched_poll:
 * any ordinary thread that became ready runs first).
 * With nothing to zero it waits until pfn_free() gives it work, so that the
 * idle loop can halt the CPU.
 */
void zero_page_thread(void *arg)
{
    (void)arg;
    for (;;) {
        if (!free_list.count) {
            zero_thread_idle = current;
            current->state = TS_WAITING;
            sched_block();
            continue;
        }
        uint64_t f = free_list.head;
        unlink(&free_list, f);
        db[f].use = USE_KERNEL; /* ours while we zero it */
        enter(f, PFN_ACTIVE);
        zero_page(f << PAGE_SHIFT);
        leave(f);
        db[f].use = USE_NONE;
        enter(f, PFN_ZEROED);
        zeroed_by_thread++;
        sched_poll(); /* a preemption point */
    }
}

/* Self-test support: every list agrees with the states (both directions)
 * and the counters; zeroed pages are zero; free and zeroed pages hold no
 * slot; standby private pages hold one. */
static bool list_ok(const struct list *l, enum pfn_state st)
{
    uint64_t n = 0;
    uint32_t prev = NIL;
    for (uint32_t f = l->head; f != NIL; prev = f, f = db[f].next, n++) {
        if (db[f].state != st || db[f].prev != prev || n > nframes)
            return false;
        if ((st == PFN_FREE || st == PFN_ZEROED) && db[f].slot)
            return false;
        if (st == PFN_STANDBY && db[f].use != USE_IMAGE && !db[f].slot)
            return false;
        if (st == PFN_ZEROED) {
            const uint64_t *w = P2V((uint64_t)f << PAGE_SHIFT);
            for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
                if (w[i])
                    return false;
        }
    }
    return n == l->count && l->tail == prev;
}

bool pfn_check(void)
{
    if (!list_ok(&free_list, PFN_FREE) || !list_ok(&zeroed_list, PFN_ZEROED) ||
        !list_ok(&standby_list, PFN_STANDBY) || !list_ok(&modified_list, PFN_MODIFIED))
        return false;
    uint64_t active = 0;
    for (uint64_t f = 0; f < nframes; f++)
        active += db[f].state == PFN_ACTIVE;
    return active == nactive && free_list.count + zeroed_list.count + standby_list.count +
                                        modified_list.count + nactive ==
                                    nmanaged;
}

/* ---- physically contiguous runs (large pages, largepage.c) ---------------- */

/* A frame a run may take: free, zeroed, or standby (its contents are
 * elsewhere too: repurposed as pfn_alloc would). */
static bool runnable(uint64_t f)
{
    uint8_t st = db[f].state;
    return st == PFN_FREE || st == PFN_ZEROED || st == PFN_STANDBY;
}

/* The highest npages-aligned run of runnable frames, or NIL: runs are taken
 * from the top of RAM, away from the low frames the free lists hand out
 * first, so that 4 KB allocations fragment them later. */
static uint64_t find_run(uint64_t npages)
{
    for (uint64_t f = (nframes / npages) * npages; f >= npages;) {
        uint64_t base = f - npages, g = f;
        while (g > base && runnable(g - 1))
            g--;
        if (g == base)
            return base;
        f = g - 1 - (g - 1) % npages; /* frame g - 1 is busy: skip its run */
    }
    return NIL;
}

uint64_t pfn_alloc_run(uint64_t npages, enum pfn_use use)
{
    KASSERT(npages && !(npages & (npages - 1)));
    uint64_t base = find_run(npages);
    if (base == NIL)
        return 0;
    for (uint64_t f = base; f < base + npages; f++) {
        enum pfn_state st = (enum pfn_state)db[f].state;
        if (st == PFN_STANDBY)
            repurpose(f);
        else
            unlink(list_of(st), f);
        db[f] = (struct pfn){ .next = NIL, .prev = NIL, .use = (uint8_t)use };
        enter(f, PFN_ACTIVE);
        if (st != PFN_ZEROED)
            zero_page(f << PAGE_SHIFT);
    }
    balance_pressure();
    return base << PAGE_SHIFT;
}

void pfn_free_run(uint64_t pa, uint64_t npages)
{
    for (uint64_t i = 0; i < npages; i++)
        pfn_free(pa + i * PAGE_SIZE);
}
