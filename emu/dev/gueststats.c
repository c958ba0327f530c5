/*
 * gueststats.c - the guest's own counters (shared/devices.h,
 * DEV_STATS_PORT): the guest registers a table by its physical page; at exit
 * the machine reads it and reports it under "guest" in --stats-json and
 * --stats.  The table is guest memory, so everything in it is checked: a
 * wild table gives a note, never a crash or malformed JSON.
 */
#include <inttypes.h>
#include <string.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"

uint32_t gueststats_in(struct machine *m, unsigned offset, int size)
{
    (void)m, (void)offset, (void)size;
    return 0;
}

void gueststats_out(struct machine *m, unsigned offset, int size, uint32_t value)
{
    (void)offset, (void)size;
    m->guest_stats_pa = (uint64_t)value << 12;
    m->guest_stats_set = true;
    machine_event(m, "guest statistics table at 0x%" PRIx64, m->guest_stats_pa);
}

/* A name the JSON can carry as it is. */
static bool good_name(const char *name)
{
    size_t n = strnlen(name, DEV_STATS_NAME);
    if (n == 0 || n == DEV_STATS_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return false;
    return true;
}

/* Read and check the table; NULL (and why) if there is none to report. */
static bool read_table(struct machine *m, struct dev_stats_table *t, const char **why)
{
    if (!m->guest_stats_set) {
        *why = NULL;
        return false;
    }
    if (!machine_phys_read(m, m->guest_stats_pa, t, sizeof *t)) {
        *why = "the table is outside RAM";
        return false;
    }
    if (t->magic != DEV_STATS_MAGIC || t->count > DEV_STATS_MAX) {
        *why = "the table has a bad magic number or count";
        return false;
    }
    return true;
}

void gueststats_json(struct machine *m, FILE *out)
{
    struct dev_stats_table t;
    const char *why;
    if (!read_table(m, &t, &why)) {
        if (why)
            fprintf(out, ",\n  \"guest_error\": \"%s\"", why);
        return;
    }
    fputs(",\n  \"guest\": {", out);
    unsigned shown = 0;
    for (uint32_t i = 0; i < t.count; i++) {
        if (!good_name(t.entry[i].name))
            continue;
        fprintf(out, "%s\n    \"%s\": %" PRIu64, shown++ ? "," : "", t.entry[i].name,
                t.entry[i].value);
    }
    fputs(shown ? "\n  }" : "}", out);
}

void gueststats_print(struct machine *m, FILE *out)
{
    struct dev_stats_table t;
    const char *why;
    if (!read_table(m, &t, &why)) {
        if (why)
            fprintf(out, "guest statistics: %s\n", why);
        return;
    }
    fprintf(out, "guest statistics:\n");
    for (uint32_t i = 0; i < t.count; i++)
        if (good_name(t.entry[i].name))
            fprintf(out, "  %-32s %" PRIu64 "\n", t.entry[i].name, t.entry[i].value);
}
