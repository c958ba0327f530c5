/*
 * stats.c - the kernel's counters, published to the machine: a page holding
 * a struct dev_stats_table (shared/devices.h) is registered through
 * DEV_STATS_PORT, and mmulab reports its entries under "guest" in
 * --stats-json and --stats when the machine stops.  The table is refreshed
 * at every timer tick and before the kernel exits, so even a machine
 * stopped from outside (an instruction limit) shows recent values.
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"

static struct dev_stats_table *table;

/* Entry i is name = value. */
static void put(unsigned i, const char *name, uint64_t value)
{
    struct dev_stats_entry *e = &table->entry[i];
    if (!e->name[0]) {
        size_t n = strlen(name);
        memcpy(e->name, name, n < DEV_STATS_NAME - 1 ? n : DEV_STATS_NAME - 1);
    }
    e->value = value;
    if (i >= table->count)
        table->count = i + 1;
}

void stats_publish(void)
{
    if (!table)
        return;
    struct ntk_system_memory m;
    pfn_counts(&m);
    unsigned i = 0;
    put(i++, "pages_total", m.total_pages);
    put(i++, "pages_free", m.free_pages);
    put(i++, "pages_zeroed", m.zeroed_pages);
    put(i++, "pages_active", m.active_pages);
    put(i++, "commit_charge_pages", m.commit_charge);
    put(i++, "commit_limit_pages", m.commit_limit);
    put(i++, "faults_demand_zero", m.demand_zero_faults);
    put(i++, "pages_zeroed_by_thread", m.zeroed_by_thread);
    put(i++, "context_switches", sched_switches());
    /* Paging (docs/paging.md): the lists, the paging file, the
     * faults by kind, the working sets. */
    put(i++, "pages_standby", m.standby_pages);
    put(i++, "pages_modified", m.modified_pages);
    put(i++, "pagefile_pages", m.pagefile_pages);
    put(i++, "pagefile_in_use", m.pagefile_in_use);
    put(i++, "pagefile_reads", m.pagefile_reads);
    put(i++, "pagefile_writes", m.pagefile_writes);
    put(i++, "image_pageins", m.image_page_ins);
    put(i++, "faults_transition", m.transition_faults);
    put(i++, "faults_pagefile", m.pagefile_faults);
    put(i++, "faults_image", m.image_faults);
    put(i++, "faults_mapped", m.mapped_faults);
    put(i++, "working_set_pages", m.working_set_pages);
    put(i++, "working_set_trimmed", m.trimmed_pages);
    put(i++, "balance_set_runs", paging_stats.balance_runs);
    put(i++, "inpage_errors", paging_stats.inpage_errors);
    /* Mapped files and large pages. */
    put(i++, "mapped_pageins", m.mapped_page_ins);
    put(i++, "mapped_page_writes", m.mapped_page_writes);
    put(i++, "pages_mapped", m.mapped_pages_resident);
    put(i++, "large_pages_2m", m.large_pages);
}

void stats_init(void)
{
    uint64_t pa = pfn_alloc(USE_KERNEL, true);
    if (!pa)
        return; /* no statistics: nothing else depends on them */
    table = P2V(pa);
    table->magic = DEV_STATS_MAGIC;
    stats_publish();
    outl(DEV_STATS_PORT, (uint32_t)(pa >> 12));
}
