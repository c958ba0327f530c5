/*
 * tlbphase.c - the TLB model phase by phase.  A guest marks the phases of
 * its run on the mark port (the NT-like kernel's NtkMark service); with a
 * model attached each mark takes the model's counters and the virtual
 * time, and --stats prints the phases between consecutive marks side by
 * side (--stats-json: "tlb_phases"), e.g. the same sweep with 4 KB and
 * with 2 MB pages (`mmulab run --tlb skylake --stats largepages`).
 */
#include <inttypes.h>

#include "emu/machine.h"
#include "emu/tlbmodel.h"
#include "mmu/tlb.h"

#define MAX_SHOWN 6 /* phases a row has room for */

void tlbphase_mark(struct machine *m, struct mark *k)
{
    if (!m->tlbm)
        return;
    const struct tlb_stats *s = &m->tlbm->t->st;
    k->tlb = (struct mark_tlb){ true, m->vt.now - m->stats.idle, s->accesses, s->hits[1],
                                s->hits[2], s->walks, s->walk_reads };
}

/* The counters of the phases, each between mark i and i + 1. */
static const struct {
    const char *label, *key;
    size_t offset;
} rows[] = {
    { "instructions", "instructions", offsetof(struct mark_tlb, instructions) },
    { "translations", "accesses", offsetof(struct mark_tlb, accesses) },
    { "L1 TLB hits", "l1_hits", offsetof(struct mark_tlb, l1_hits) },
    { "L2 TLB hits", "l2_hits", offsetof(struct mark_tlb, l2_hits) },
    { "page walks", "walks", offsetof(struct mark_tlb, walks) },
    { "walk reads", "walk_reads", offsetof(struct mark_tlb, walk_reads) },
};

static uint64_t delta(const struct machine *m, unsigned i, size_t offset)
{
    const uint8_t *a = (const uint8_t *)&m->marks[i].tlb, *b = (const uint8_t *)&m->marks[i + 1].tlb;
    return *(const uint64_t *)(b + offset) - *(const uint64_t *)(a + offset);
}

static unsigned phases(const struct machine *m)
{
    return m->tlbm && m->nmarks >= 2 ? m->nmarks - 1 : 0;
}

void tlbphase_print(struct machine *m, FILE *out)
{
    unsigned n = phases(m);
    if (!n)
        return;
    fprintf(out, "TLB model between the guest's marks:\n  %-14s", "");
    for (unsigned i = 0; i < n && i < MAX_SHOWN; i++) {
        char h[32];
        snprintf(h, sizeof h, "%u -> %u", m->marks[i].id, m->marks[i + 1].id);
        fprintf(out, " %14s", h);
    }
    fputc('\n', out);
    for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        fprintf(out, "  %-14s", rows[r].label);
        for (unsigned i = 0; i < n && i < MAX_SHOWN; i++)
            fprintf(out, " %14" PRIu64, delta(m, i, rows[r].offset));
        fputc('\n', out);
    }
}

void tlbphase_json(struct machine *m, FILE *out)
{
    unsigned n = phases(m);
    if (!n)
        return;
    fputs(",\n  \"tlb_phases\": [", out);
    for (unsigned i = 0; i < n; i++) {
        fprintf(out, "%s\n    {\"from\": %u, \"to\": %u", i ? "," : "", m->marks[i].id,
                m->marks[i + 1].id);
        for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++)
            fprintf(out, ", \"%s\": %" PRIu64, rows[r].key, delta(m, i, rows[r].offset));
        fputc('}', out);
    }
    fputs("\n  ]", out);
}
