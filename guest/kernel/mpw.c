/*
 * mpw.c - the modified page writer: the kernel thread that writes pages of
 * the modified list to the paging file, each to a slot of its own, and
 * moves them to the standby list, from which they can be reused without
 * I/O.  It runs when the modified list has grown to mm_limits.modified_max
 * pages, or when available memory is below mm_limits.goal (then every
 * modified page is worth writing); it writes MPW_BATCH pages at a time and
 * lets other threads run between batches.
 *
 * With the paging file full, resident pages that still hold a slot give
 * theirs up (pfn_drop_resident_slots): they will be written again when they
 * leave their working set.  A failed write leaves the page on the modified
 * list (nothing is lost) and retires the slot.
 */
#include "guest/kernel/kernel.h"

#define MPW_BATCH 16
#define MPW_RETRY_NS 1000000ull /* after a failure: 1 ms before trying again */

static struct object mpw_event = { .type = OBJ_EVENT };

bool mpw_has_work(void)
{
    uint64_t m = pfn_modified_count();
    if (!m || !pagefile_pages())
        return false;
    return m >= mm_limits.modified_max || pfn_available() < mm_limits.goal;
}

void mpw_wake(void)
{
    if (mpw_event.waiters)
        wait_wake_all(&mpw_event);
}

/* The oldest modified page to a free slot; false if it could not be done. */
static bool write_one(void)
{
    uint64_t pa = pfn_modified_head(), slot;
    if (!pagefile_alloc(&slot) && !(pfn_drop_resident_slots() && pagefile_alloc(&slot)))
        return false;
    if (!pagefile_write(slot, pa)) {
        pagefile_mark_bad(slot);
        pfn_requeue(pa);
        return false;
    }
    pfn_written(pa, slot);
    return true;
}

void modified_page_writer(void *arg)
{
    (void)arg;
    for (;;) {
        if (!mpw_has_work()) {
            wait_object(&mpw_event, UINT64_MAX);
            continue;
        }
        bool ok = true;
        for (unsigned n = 0; ok && n < MPW_BATCH && mpw_has_work(); n++)
            ok = write_one();
        if (ok)
            sched_yield();
        else
            wait_object(&mpw_event, MPW_RETRY_NS);
    }
}
