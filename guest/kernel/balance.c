/*
 * balance.c - memory pressure: the thresholds the memory manager works to,
 * waiting for memory, and the balance set manager, the kernel thread that
 * ages working sets by the accessed bit and trims them when available
 * memory (free + zeroed + standby pages) runs low.
 *
 *   reserve  user page faults wait for memory below this many available
 *            pages, so that the kernel's own allocations (page tables, pool,
 *            kernel stacks) still find pages
 *   low      below it, the balance set manager is woken to trim
 *   goal     it trims until available + modified pages reach it (the
 *            modified ones become available once the modified page writer
 *            has written them)
 *   plenty   from here up, memory is plentiful: a working set may grow past
 *            its maximum (unless that maximum is hard)
 *
 * The balance set manager waits on its event; while memory is not
 * plentiful it also wakes every BSM_PERIOD of virtual time and ages every
 * working set.  Woken because available memory fell below `low`, it trims:
 * first every working set above its maximum down to it (the maximum is what
 * a process keeps "when available memory is low"), then the oldest pages
 * first (pages whose accessed bit stayed clear the longest), never below a
 * process's minimum, then - if that was not enough - below the minimums that
 * are not hard, as Windows does.
 */
#include "guest/kernel/kernel.h"

#define BSM_PERIOD_NS 100000000ull   /* 100 ms of virtual time */
#define PAGE_WAIT_NS 10000000ull     /* a faulting thread waits for memory 10 ms at most */

struct mm_limits mm_limits;
static struct object bsm_event = { .type = OBJ_EVENT };
static struct object pages_event = { .type = OBJ_EVENT };
static unsigned page_waiters;
static uint64_t last_aging;

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* From the memory available once the kernel is up. */
void balance_init(void)
{
    uint64_t total = pfn_available();
    mm_limits.low = max64(32, total / 64);
    mm_limits.reserve = mm_limits.low / 2;
    mm_limits.goal = 2 * mm_limits.low;
    mm_limits.plenty = 4 * mm_limits.low;
    mm_limits.modified_max = max64(64, total / 32);
    mm_limits.ws_system_max = total > 512 + WS_FLOOR_MIN ? total - 512 : WS_FLOOR_MIN;
}

bool mm_plentiful(void)
{
    return pfn_available() >= mm_limits.plenty;
}

bool mm_user_may_allocate(void)
{
    return pfn_available() > mm_limits.reserve;
}

void balance_pressure(void)
{
    if (!mm_limits.low)
        return; /* before balance_init: the kernel is booting */
    if (pfn_available() < mm_limits.low && bsm_event.waiters)
        wait_wake_all(&bsm_event);
    if (mpw_has_work())
        mpw_wake();
}

void balance_pages_available(void)
{
    if (page_waiters && mm_user_may_allocate())
        wait_wake_all(&pages_event);
}

/* Something can still make pages available: pages to write, or resident
 * pages to trim. */
static bool progress_possible(void)
{
    return (pfn_modified_count() && pagefile_pages()) || ws_total_pages();
}

/* A user fault found too little memory: wake those who make more and wait
 * for them (at most PAGE_WAIT_NS; the caller retries).  False when it is
 * pointless - nothing can free memory - or the thread is being terminated. */
bool mm_wait_for_pages(void)
{
    if (current->terminate_pending)
        return false;
    if (mm_user_may_allocate())
        return true;
    if (bsm_event.waiters)
        wait_wake_all(&bsm_event);
    mpw_wake();
    if (!progress_possible())
        return false;
    page_waiters++;
    wait_object(&pages_event, PAGE_WAIT_NS);
    page_waiters--;
    return !current->terminate_pending;
}

/* The passes of a trim, in order: working sets above their maximum down to
 * it; then the oldest pages of every process first (age 3, 2, 1, 0), down to
 * its minimum; then, if that was not enough, below the minimums that are
 * not hard. */
enum { PASS_OVER_MAX, PASS_AGED = 1, PASS_BELOW_MIN = 5, PASSES };

static uint32_t trim_pass(struct process *p, int pass, uint32_t want)
{
    struct ws *w = &p->ws;
    if (pass == PASS_OVER_MAX)
        return w->count > w->max ? ws_trim(p, w->count - w->max, 0, w->max) : 0;
    if (pass == PASS_BELOW_MIN)
        return w->flags & NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE ? 0 : ws_trim(p, want, 0, 0);
    return ws_trim(p, want, (unsigned)(PASS_BELOW_MIN - 1 - pass), w->min);
}

/* Trim until available + modified pages reach the goal. */
static uint64_t trim_working_sets(void)
{
    uint64_t done = 0;
    paging_stats.balance_runs++;
    for (int pass = 0; pass < PASSES; pass++) {
        uint32_t cursor = 0;
        for (struct process *p; (p = process_next(&cursor));) {
            uint64_t have = pfn_available() + pfn_modified_count();
            if (have >= mm_limits.goal && pass != PASS_OVER_MAX)
                return done;
            uint64_t want = have < mm_limits.goal ? mm_limits.goal - have : 0;
            done += trim_pass(p, pass, want > UINT32_MAX ? UINT32_MAX : (uint32_t)want);
        }
    }
    return done;
}

static void age_working_sets(void)
{
    uint32_t cursor = 0;
    for (struct process *p; (p = process_next(&cursor));)
        ws_age(p);
    last_aging = now_ns();
}

void balance_set_manager(void *arg)
{
    (void)arg;
    bool progress = false;
    last_aging = now_ns();
    for (;;) {
        /* Low memory after a pass that freed something: go on at once; else
         * wait to be woken (or for the next aging while memory is tight). */
        if (pfn_available() >= mm_limits.low || !progress)
            wait_object(&bsm_event, mm_plentiful() ? UINT64_MAX : BSM_PERIOD_NS);
        if (!mm_plentiful() && now_ns() - last_aging >= BSM_PERIOD_NS)
            age_working_sets();
        progress = pfn_available() < mm_limits.low && trim_working_sets() > 0;
        if (mpw_has_work())
            mpw_wake();
        sched_yield(); /* trimming done: whoever needs the pages runs */
    }
}
