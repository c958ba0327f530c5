/*
 * tlbstats.c - the model's counters for people (a table) and for programs
 * (JSON).  What each counter means is in tlb.h and docs/tlb.md.
 */
#include <inttypes.h>

#include "mmu/tlb_internal.h"

const char *tlb_event_name(enum tlb_event ev)
{
    static const char *const names[TLB_NEVENTS] = {
        [TLB_EV_INVLPG] = "invlpg",
        [TLB_EV_INVPCID0] = "invpcid_address",
        [TLB_EV_INVPCID1] = "invpcid_context",
        [TLB_EV_INVPCID2] = "invpcid_all_with_globals",
        [TLB_EV_INVPCID3] = "invpcid_all",
        [TLB_EV_MOV_CR3] = "mov_cr3",
        [TLB_EV_MOV_CR3_NOFLUSH] = "mov_cr3_noflush",
        [TLB_EV_CR4_ALL] = "mov_cr4_all",
        [TLB_EV_CR4_PCID] = "mov_cr4_pcid",
        [TLB_EV_CR0_PG] = "mov_cr0_paging_off",
        [TLB_EV_PAGE_FAULT] = "page_fault",
        [TLB_EV_FAULT_REWALK] = "fault_rewalk",
        [TLB_EV_FLUSH_ALL] = "flush_all",
    };
    return (unsigned)ev < TLB_NEVENTS ? names[ev] : "?";
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

void tlb_print_stats(FILE *out, const struct tlb *t)
{
    const struct tlb_stats *st = &t->st;
    fprintf(out, "%-16s %7s %5s %5s %-6s %12s %12s %12s %10s %10s %10s\n", "structure",
            "entries", "ways", "sets", "policy", "lookups", "hits", "misses", "fills",
            "evictions", "invalid.");
    for (unsigned i = 0; i < t->n; i++) {
        const struct tlb_struct *s = &t->s[i];
        fprintf(out, "%-16s %7u %5u %5u %-6s %12" PRIu64 " %12" PRIu64 " %12" PRIu64
                     " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
                s->name, s->g.entries, s->g.ways, s->sets,
                tlb_policy_name((enum tlb_policy)s->g.policy), s->c.lookups, s->c.hits,
                s->c.misses, s->c.fills, s->c.evictions, s->c.invalidations);
    }
    fprintf(out, "accesses %" PRIu64 ": L1 hits %" PRIu64 " (%.1f%%), L2 hits %" PRIu64
                 ", walks %" PRIu64 " (%" PRIu64 " to set D, %" PRIu64
                 " re-checks), faults from TLB entries %" PRIu64 "\n",
            st->accesses, st->hits[1], 100.0 * ratio(st->hits[1], st->accesses), st->hits[2],
            st->walks, st->dirty_walks, st->fault_rewalks, st->cached_faults);
    fprintf(out, "walks read %" PRIu64 " entries (%.2f per walk); paging-structure caches "
                 "spared %" PRIu64 "\n",
            st->walk_reads, ratio(st->walk_reads, st->walks), st->reads_saved);
    fputs("walks by entries read:", out);
    for (unsigned n = 0; n <= MMU_MAX_LEVELS; n++)
        fprintf(out, " %u:%" PRIu64, n, st->walks_by_reads[n]);
    fputs("\nwalks begun below a cached", out);
    for (unsigned lv = MMU_PDE; lv <= MMU_PML5E; lv++)
        fprintf(out, " %s:%" PRIu64, mmu_level_name(MMU_MODE_5LEVEL, lv), st->psc_starts[lv]);
    fputs("\nevents:", out);
    for (unsigned ev = 0; ev < TLB_NEVENTS; ev++)
        fprintf(out, " %s:%" PRIu64, tlb_event_name((enum tlb_event)ev), st->events[ev]);
    fprintf(out, "\nstale entries reported %" PRIu64 ", used while stale %" PRIu64 "\n",
            st->stale_reports, st->stale_uses);
}

static void json_array(FILE *out, const char *name, const uint64_t *v, unsigned n)
{
    fprintf(out, "\"%s\":[", name);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", v[i]);
    fputc(']', out);
}

void tlb_print_json(FILE *out, const struct tlb *t)
{
    const struct tlb_stats *st = &t->st;
    fputs("{\"structures\":[", out);
    for (unsigned i = 0; i < t->n; i++) {
        const struct tlb_struct *s = &t->s[i];
        fprintf(out, "%s{\"name\":\"%s\",\"entries\":%u,\"ways\":%u,\"sets\":%u,"
                     "\"policy\":\"%s\",\"lookups\":%" PRIu64 ",\"hits\":%" PRIu64
                     ",\"misses\":%" PRIu64 ",\"fills\":%" PRIu64 ",\"evictions\":%" PRIu64
                     ",\"invalidations\":%" PRIu64 "}",
                i ? "," : "", s->name, s->g.entries, s->g.ways, s->sets,
                tlb_policy_name((enum tlb_policy)s->g.policy), s->c.lookups, s->c.hits,
                s->c.misses, s->c.fills, s->c.evictions, s->c.invalidations);
    }
    fprintf(out, "],\"accesses\":%" PRIu64 ",\"l1_hits\":%" PRIu64 ",\"l2_hits\":%" PRIu64
                 ",\"walks\":%" PRIu64 ",\"dirty_walks\":%" PRIu64 ",\"fault_rewalks\":%" PRIu64
                 ",\"cached_faults\":%" PRIu64 ",\"walk_reads\":%" PRIu64
                 ",\"reads_saved\":%" PRIu64 ",\"stale_reports\":%" PRIu64
                 ",\"stale_uses\":%" PRIu64 ",",
            st->accesses, st->hits[1], st->hits[2], st->walks, st->dirty_walks,
            st->fault_rewalks, st->cached_faults, st->walk_reads, st->reads_saved,
            st->stale_reports, st->stale_uses);
    json_array(out, "walks_by_reads", st->walks_by_reads, MMU_MAX_LEVELS + 1);
    fputc(',', out);
    json_array(out, "psc_starts_by_level", st->psc_starts, MMU_MAX_LEVELS + 1);
    fputs(",\"events\":{", out);
    for (unsigned ev = 0; ev < TLB_NEVENTS; ev++)
        fprintf(out, "%s\"%s\":%" PRIu64, ev ? "," : "", tlb_event_name((enum tlb_event)ev),
                st->events[ev]);
    fputs("}}\n", out);
}
