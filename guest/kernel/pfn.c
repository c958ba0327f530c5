/*
 * pfn.c - the page frame number (PFN) database: one entry per physical page
 * of RAM saying what the page is doing now.
 *
 *   free      on the free list: its contents are whatever the last owner left
 *   zeroed    on the zeroed list: known to hold zeros
 *   active    in use (by whom: the entry's `use`)
 *   reserved  not ours: not RAM, or the boot structures, or the kernel image
 *
 * (The paging-file issue adds standby, modified and transition.)  A freed
 * page goes on the free list; the zero-page thread, which runs only when no
 * other thread wants the CPU, takes pages from the free list, zeroes them and
 * moves them to the zeroed list, so that a demand-zero fault usually finds a
 * page ready.  Lists are LIFO stacks linked by frame number.
 *
 * Commit charge: every committed private page is charged against the commit
 * limit when it is committed (not when it is touched), so that a fault on a
 * committed page never finds memory exhausted.  The limit is the number of
 * pages available once the kernel is up, less a reserve for the kernel's own
 * needs (page tables, pool, kernel stacks), plus paging-file pages (none yet).
 */
#include "guest/kernel/kernel.h"

#define NIL 0xffffffffu

struct pfn {
    uint32_t next;        /* list link (frame number), NIL at the end */
    uint8_t state;        /* enum pfn_state */
    uint8_t use;          /* enum pfn_use while active */
    uint16_t reserved;
};

static struct pfn *db;
static uint64_t nframes;
static uint32_t free_head = NIL, zeroed_head = NIL;
static uint64_t nfree, nzeroed, nactive, nmanaged;
static uint64_t commit_total, commit_limit;
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

static void push(uint32_t *head, uint64_t f)
{
    db[f].next = *head;
    *head = (uint32_t)f;
}

static uint64_t pop(uint32_t *head)
{
    uint32_t f = *head;
    *head = db[f].next;
    db[f].next = NIL;
    return f;
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
    for (uint64_t f = 0; f < nframes; f++)
        db[f] = (struct pfn){ .next = NIL, .state = PFN_RESERVED };
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
                db[f].state = PFN_ACTIVE;
                db[f].use = USE_KERNEL;
                nactive++;
            } else {
                db[f].state = PFN_FREE;
                push(&free_head, f);
                nfree++;
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

uint64_t pfn_alloc(enum pfn_use use, bool zeroed)
{
    uint64_t f;
    bool clean;
    if (zeroed ? zeroed_head != NIL : free_head == NIL) {
        if (zeroed_head == NIL)
            return 0;
        f = pop(&zeroed_head);
        nzeroed--;
        clean = true;
    } else {
        if (free_head == NIL)
            return 0;
        f = pop(&free_head);
        nfree--;
        clean = false;
    }
    db[f].state = PFN_ACTIVE;
    db[f].use = (uint8_t)use;
    nactive++;
    if (zeroed && !clean)
        zero_page(f << PAGE_SHIFT);
    return f << PAGE_SHIFT;
}

void pfn_free(uint64_t pa)
{
    uint64_t f = frame_of(pa);
    if (db[f].state != PFN_ACTIVE)
        panic("freeing page 0x%llx, which is not active (state %u)", (unsigned long long)pa,
              db[f].state);
    db[f].state = PFN_FREE;
    db[f].use = USE_NONE;
    nactive--;
    push(&free_head, f);
    nfree++;
    if (zero_thread_idle) {
        struct thread *t = zero_thread_idle;
        zero_thread_idle = NULL;
        sched_ready(t);
    }
}

enum pfn_state pfn_state_of(uint64_t pa)
{
    return (enum pfn_state)db[frame_of(pa)].state;
}

void pfn_counts(struct ntk_system_memory *m)
{
    m->total_pages = nmanaged;
    m->free_pages = nfree;
    m->zeroed_pages = nzeroed;
    m->active_pages = nactive;
    m->commit_charge = commit_total;
    m->commit_limit = commit_limit;
    m->demand_zero_faults = pfn_demand_zero_faults;
    m->zeroed_by_thread = zeroed_by_thread;
    m->image_page_ins = image_stats.page_ins;
    m->image_cow_copies = image_stats.cow_copies;
    m->image_pages_resident = image_stats.resident;
    m->image_sections = image_stats.sections;
}

/* Called once the kernel is up: what is available now, less a reserve of
 * 1/16 of it (at least 256 pages) for the kernel's own allocations. */
void pfn_set_commit_limit(void)
{
    uint64_t avail = nfree + nzeroed;
    uint64_t reserve = avail / 16 > 256 ? avail / 16 : 256;
    commit_limit = avail > reserve ? avail - reserve : 0;
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
        if (free_head == NIL) {
            zero_thread_idle = current;
            current->state = TS_WAITING;
            sched_block();
            continue;
        }
        uint64_t f = pop(&free_head);
        nfree--;
        db[f].state = PFN_ACTIVE; /* ours while we zero it */
        db[f].use = USE_KERNEL;
        nactive++;
        zero_page(f << PAGE_SHIFT);
        db[f].state = PFN_ZEROED;
        db[f].use = USE_NONE;
        nactive--;
        push(&zeroed_head, f);
        nzeroed++;
        zeroed_by_thread++;
        sched_poll(); /* a preemption point */
    }
}

/* Self-test support: the lists agree with the states and the counters. */
bool pfn_check(void)
{
    uint64_t n = 0;
    for (uint32_t f = free_head; f != NIL; f = db[f].next, n++)
        if (db[f].state != PFN_FREE || n > nframes)
            return false;
    if (n != nfree)
        return false;
    n = 0;
    for (uint32_t f = zeroed_head; f != NIL; f = db[f].next, n++) {
        if (db[f].state != PFN_ZEROED || n > nframes)
            return false;
        const uint64_t *w = P2V((uint64_t)f << PAGE_SHIFT);
        for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
            if (w[i])
                return false;
    }
    if (n != nzeroed)
        return false;
    uint64_t active = 0;
    for (uint64_t f = 0; f < nframes; f++)
        active += db[f].state == PFN_ACTIVE;
    return active == nactive && nfree + nzeroed + nactive == nmanaged;
}

/* ---- physically contiguous runs (large pages, largepage.c) ---------------- */

/* Take the frames [lo, hi) off a list (singly linked: one pass over it). */
static uint64_t unlink_range(uint32_t *head, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (uint32_t *link = head; *link != NIL;) {
        uint32_t f = *link;
        if (f >= lo && f < hi) {
            *link = db[f].next;
            db[f].next = NIL;
            n++;
        } else {
            link = &db[f].next;
        }
    }
    return n;
}

/* The highest npages-aligned run of free or zeroed frames, or NIL: runs are
 * taken from the top of RAM, away from the low frames the free lists hand
 * out first, so that 4 KB allocations fragment them later. */
static uint64_t find_run(uint64_t npages)
{
    for (uint64_t f = (nframes / npages) * npages; f >= npages;) {
        uint64_t base = f - npages, g = f;
        while (g > base && (db[g - 1].state == PFN_FREE || db[g - 1].state == PFN_ZEROED))
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
    nfree -= unlink_range(&free_head, base, base + npages);
    nzeroed -= unlink_range(&zeroed_head, base, base + npages);
    for (uint64_t f = base; f < base + npages; f++) {
        if (db[f].state == PFN_FREE)
            zero_page(f << PAGE_SHIFT);
        db[f].state = PFN_ACTIVE;
        db[f].use = (uint8_t)use;
    }
    nactive += npages;
    return base << PAGE_SHIFT;
}

void pfn_free_run(uint64_t pa, uint64_t npages)
{
    for (uint64_t i = 0; i < npages; i++)
        pfn_free(pa + i * PAGE_SIZE);
}
