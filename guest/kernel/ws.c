/*
 * ws.c - working sets: for each process, the virtual pages it has resident
 * (NT's working-set list).  Every user page whose PTE holds a frame - valid,
 * or resident but inaccessible (PAGE_NOACCESS, an armed guard page) - has
 * exactly one entry in its process's working set, and no other page has
 * one: a page joins when a fault (or the loader) makes it resident and
 * leaves when it is trimmed, decommitted or unmapped.
 *
 * An entry is the page's address with a 3-bit age in its low bits.  Entries
 * live in pages of 512 under a directory of at most MAX_CHUNKS (260,096
 * entries, 1 GB resident per process); a private frame's PFN entry records
 * its index, so that decommitting it finds its entry at once (a shared
 * frame has one entry per process mapping it and records none: unmapping a
 * view takes its entries out in one pass, ws_remove_range; the rare single
 * search is linear).
 *
 * Aging and trimming follow a clock hand around the list.  An entry whose
 * page's accessed bit is set has the bit cleared (with INVLPG, so that the
 * next access sets it again: the TLB would otherwise keep the translation
 * and the bit stay clear) and its age reset to 0; an entry whose bit stayed
 * clear grows older.  Trimming takes the pages at least min_age old; the
 * balance set manager asks for the oldest first (balance.c).
 *
 * Minimum and maximum (SetProcessWorkingSetSize): when a page joins a
 * working set already at its maximum, the process gives up one of its own
 * pages first (the first not accessed since the hand last passed) - unless
 * memory is plentiful and the maximum is not hard, when the working set
 * simply grows.  The balance set manager trims no process below its
 * minimum unless nothing else helps and the minimum is not hard.
 */
#include "guest/kernel/kernel.h"

#define PER_CHUNK (PAGE_SIZE / 8)
#define MAX_CHUNKS 508 /* the directory is one pool block (at most a page) */
#define AGE_MASK 7ull
#define AGE_MAX 7u
#define NONE 0xffffffffu

static uint64_t total; /* entries of all working sets */

static uint64_t *entry(struct ws *w, uint32_t i)
{
    return &w->chunk[i / PER_CHUNK][i % PER_CHUNK];
}

static uint64_t entry_va(struct ws *w, uint32_t i)
{
    return *entry(w, i) & ~AGE_MASK;
}

void ws_init(struct process *p)
{
    p->ws.min = WS_DEFAULT_MIN;
    p->ws.max = WS_DEFAULT_MAX;
}

uint64_t ws_total_pages(void)
{
    return total;
}

static bool grow(struct ws *w)
{
    if (!w->chunk && !(w->chunk = kalloc(MAX_CHUNKS * sizeof *w->chunk)))
        return false;
    if (w->nchunks == MAX_CHUNKS)
        return false;
    uint64_t pa = pfn_alloc(USE_KERNEL, false);
    if (!pa)
        return false;
    w->chunk[w->nchunks++] = P2V(pa);
    return true;
}

/* Entry i leaves: the last entry takes its place (and its frame, if private,
 * learns its new index). */
static void remove_at(struct process *p, uint32_t i)
{
    struct ws *w = &p->ws;
    uint32_t last = w->count - 1;
    if (i != last) {
        *entry(w, i) = *entry(w, last);
        uint64_t frame = vm_resident_frame(p, entry_va(w, i));
        if (frame)
            pfn_set_ws_index(frame, i);
    }
    w->count--;
    total--;
}

static uint32_t find(struct ws *w, uint64_t va)
{
    for (uint32_t i = 0; i < w->count; i++)
        if (entry_va(w, i) == va)
            return i;
    return NONE;
}

void ws_insert(struct process *p, uint64_t va, uint64_t frame)
{
    struct ws *w = &p->ws;
    KASSERT(w->count < w->nchunks * PER_CHUNK);
    *entry(w, w->count) = va;
    pfn_set_ws_index(frame, w->count);
    w->count++;
    total++;
    if (w->count > w->peak)
        w->peak = w->count;
}

void ws_remove(struct process *p, uint64_t va, uint64_t frame)
{
    struct ws *w = &p->ws;
    uint32_t i = pfn_ws_index(frame);
    if (i >= w->count || entry_va(w, i) != va)
        i = find(w, va);
    if (i != NONE)
        remove_at(p, i);
}

/* Every entry in [start, end): one pass (remove_at moves the last entry
 * into the hole, which is looked at next). */
void ws_remove_range(struct process *p, uint64_t start, uint64_t end)
{
    struct ws *w = &p->ws;
    for (uint32_t i = 0; i < w->count;) {
        uint64_t va = entry_va(w, i);
        if (va >= start && va < end)
            remove_at(p, i);
        else
            i++;
    }
}

void ws_replace(struct process *p, uint64_t va, uint64_t frame)
{
    uint32_t i = find(&p->ws, va);
    if (i != NONE)
        pfn_set_ws_index(frame, i);
}

uint32_t ws_trim(struct process *p, uint32_t want, unsigned min_age, uint32_t floor)
{
    struct ws *w = &p->ws;
    uint32_t done = 0;
    for (uint32_t seen = 0, n = w->count; done < want && w->count > floor && seen < n; seen++) {
        if (w->hand >= w->count)
            w->hand = 0;
        uint64_t *e = entry(w, w->hand), va = *e & ~AGE_MASK;
        unsigned age = (unsigned)(*e & AGE_MASK);
        if (vm_test_clear_accessed(p, va)) {
            *e = va;
            w->hand++;
            continue;
        }
        if (age < min_age) {
            *e = va | (age + 1);
            w->hand++;
            continue;
        }
        enum vm_trim r = vm_trim_page(p, va);
        if (r == TRIM_SKIP) {
            w->hand++;
            continue;
        }
        done += r == TRIM_DONE;
        remove_at(p, w->hand); /* the last entry moved here: the hand looks at it next */
    }
    return done;
}

void ws_age(struct process *p)
{
    struct ws *w = &p->ws;
    for (uint32_t i = 0; i < w->count; i++) {
        uint64_t *e = entry(w, i), va = *e & ~AGE_MASK;
        unsigned age = (unsigned)(*e & AGE_MASK);
        *e = vm_test_clear_accessed(p, va) ? va : va | (age < AGE_MAX ? age + 1 : AGE_MAX);
    }
}

/* Room for one more entry: at the maximum (and memory not plentiful, or the
 * maximum hard), one of the process's own pages goes first. */
bool ws_make_room(struct process *p)
{
    struct ws *w = &p->ws;
    bool at_max = w->count >= w->max &&
                  ((w->flags & NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE) || !mm_plentiful());
    if (at_max && w->count) /* a second pass finds the accessed bits cleared by the first */
        if (!ws_trim(p, 1, 0, 0))
            ws_trim(p, 1, 0, 0);
    return w->count < w->nchunks * PER_CHUNK || grow(w);
}

/* "Removes as many pages as possible": all but those that cannot go. */
uint32_t ws_empty(struct process *p)
{
    struct ws *w = &p->ws;
    uint32_t done = 0;
    for (uint32_t i = w->count; i-- > 0;) {
        enum vm_trim r = vm_trim_page(p, entry_va(w, i));
        if (r == TRIM_SKIP)
            continue;
        done += r == TRIM_DONE;
        remove_at(p, i);
    }
    return done;
}

void ws_clear(struct process *p)
{
    struct ws *w = &p->ws;
    total -= w->count;
    for (uint32_t i = 0; i < w->nchunks; i++)
        pfn_free(V2P(w->chunk[i]));
    kfree(w->chunk);
    w->chunk = NULL;
    w->nchunks = w->count = w->hand = 0;
}

/* The sum of the other processes' minimums: what "first come, first
 * served" has already given away. */
static uint64_t others_minimums(const struct process *self)
{
    uint64_t sum = 0;
    uint32_t cursor = 0;
    for (struct process *p; (p = process_next(&cursor));)
        if (p != self)
            sum += p->ws.min;
    return sum;
}

#define HARDWS_FLAGS (NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE | NTK_QUOTA_LIMITS_HARDWS_MIN_DISABLE | \
                      NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE | NTK_QUOTA_LIMITS_HARDWS_MAX_DISABLE)

/* NtSetInformationProcess(ProcessQuotaLimits): sizes in bytes (0: keep
 * that limit), both (SIZE_T)-1: empty the working set.  docs/paging.md,
 * "Working sets", has the rules. */
ntk_status ws_set_limits(struct process *p, uint64_t min, uint64_t max, uint32_t flags)
{
    struct ws *w = &p->ws;
    if (min == UINT64_MAX && max == UINT64_MAX) {
        ws_empty(p);
        return NTK_STATUS_SUCCESS;
    }
    if ((flags & ~HARDWS_FLAGS) ||
        (flags & (NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE | NTK_QUOTA_LIMITS_HARDWS_MIN_DISABLE)) ==
            (NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE | NTK_QUOTA_LIMITS_HARDWS_MIN_DISABLE) ||
        (flags & (NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE | NTK_QUOTA_LIMITS_HARDWS_MAX_DISABLE)) ==
            (NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE | NTK_QUOTA_LIMITS_HARDWS_MAX_DISABLE))
        return NTK_STATUS_INVALID_PARAMETER;
    uint64_t lo = min ? (min > UINT64_MAX - PAGE_SIZE ? UINT64_MAX : PAGE_ROUND_UP(min)) >> PAGE_SHIFT
                      : w->min;
    uint64_t hi = max ? (max > UINT64_MAX - PAGE_SIZE ? UINT64_MAX : PAGE_ROUND_UP(max)) >> PAGE_SHIFT
                      : w->max;
    if (lo < WS_FLOOR_MIN)
        lo = WS_FLOOR_MIN;
    if (hi < WS_FLOOR_MAX || lo > hi || hi > mm_limits.ws_system_max)
        return NTK_STATUS_BAD_WORKING_SET_LIMIT;
    if (lo > w->min && lo + others_minimums(p) > mm_limits.ws_system_max)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    w->min = (uint32_t)lo;
    w->max = (uint32_t)hi;
    if (flags & NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE)
        w->flags |= NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE;
    if (flags & NTK_QUOTA_LIMITS_HARDWS_MIN_DISABLE)
        w->flags &= ~NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE;
    if (flags & NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE)
        w->flags |= NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE;
    if (flags & NTK_QUOTA_LIMITS_HARDWS_MAX_DISABLE)
        w->flags &= ~NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE;
    for (int pass = 0; pass < 2 && (w->flags & NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE) &&
                       w->count > w->max; pass++)
        ws_trim(p, w->count - w->max, 0, w->max);
    return NTK_STATUS_SUCCESS;
}
