/*
 * statsport.c - a guest statistics table (shared/devices.h, DEV_STATS_PORT)
 * with good and bad entries, registered, then changed: the machine must
 * report the last values of the good entries and skip the bad ones.  The
 * command line chooses a wild registration instead ("outside": a page past
 * RAM; "badmagic"): the machine must say so and still write valid JSON.
 * Checked by stats_json.py.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

static struct dev_stats_table table __attribute__((aligned(4096)));

static void name(unsigned i, const char *s, uint64_t v)
{
    memcpy(table.entry[i].name, s, strlen(s) + 1);
    table.entry[i].value = v;
}

/* The kernel image's physical address: ktest maps it at its link address. */
static uint64_t table_pa(void)
{
    return (uint64_t)&table - 0xffffffff80000000ull;
}

void ktest_main(void)
{
    tap_plan(1);
    table.magic = DEV_STATS_MAGIC;
    name(0, "answer", 41);
    name(1, "Bad-Name", 7);     /* not [a-z0-9_]: skipped */
    name(2, "", 8);             /* empty: skipped */
    name(3, "big_value", 0xffffffffffffffffull);
    memset(table.entry[4].name, 'x', DEV_STATS_NAME); /* no NUL: skipped */
    table.count = 5;
    const char *cmd = ktest_boot->cmdline;
    if (!strcmp(cmd, "outside"))
        outl(DEV_STATS_PORT, (uint32_t)(ktest_boot->ram_size >> 12) + 16);
    else if (!strcmp(cmd, "badmagic"))
        table.magic = 1, outl(DEV_STATS_PORT, (uint32_t)(table_pa() >> 12));
    else
        outl(DEV_STATS_PORT, (uint32_t)(table_pa() >> 12));
    table.entry[0].value = 42; /* read at exit: the last value counts */
    tap_ok(true, "table registered (%s)", cmd[0] ? cmd : "good");
}
