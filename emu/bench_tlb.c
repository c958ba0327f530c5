/*
 * bench_tlb.c - `mmulab bench tlb`: what the TLB model costs, and what it
 * shows, measured on the machine itself with a guest built into mmulab
 * (guest/bench/tlbbench.c).
 *
 *  1. Speed, side by side in one run: the same TLB-friendly loop without a
 *     model, with the skylake model in fast mode and in precise mode; MIPS
 *     (guest instructions per microsecond of the emulating thread's CPU
 *     time) and ratios.  Best of
 *     --repeat runs each, alternating, so that a noisy moment hurts every
 *     configuration alike.
 *  2. Reach: random reads over working sets from 16 KB to 1 GB, mapped with
 *     4 KB and with 2 MB pages, under the skylake and zen2 presets, in
 *     precise mode (exact counts whatever the replacement policy): L1 misses,
 *     page walks (misses of every level) and the paging-structure entries
 *     they read, per thousand reads.
 *
 * The guest marks the measured part by writing 0x01 and 0x02 to the debug
 * console; the console is a stdio stream of ours (fopencookie) that takes
 * the counters and the time at each mark.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/kernel.h"
#include "emu/machine.h"
#include "emu/tlbmodel.h"
#include "loader/elf.h"
#include "mmu/tlb.h"

extern const unsigned char mmulab_tlb_bench_kernel[];
extern const unsigned long mmulab_tlb_bench_kernel_size;

enum { OPT_JSON = 1, OPT_ITERATIONS, OPT_ACCESSES, OPT_REPEAT, OPT_MAX_WS };

static const struct cli_option options[] = {
    { "json", NULL, OPT_JSON, "print the figures as one JSON object" },
    { "iterations", "N", OPT_ITERATIONS,
      "iterations of the speed loop (default 30000000; precise mode: 1/20)" },
    { "accesses", "N", OPT_ACCESSES, "measured reads per working set (default 200000)" },
    { "repeat", "N", OPT_REPEAT, "speed runs per configuration, the best counts (default 3)" },
    { "max-ws", "SIZE", OPT_MAX_WS, "largest working set of the sweep (default 1G)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "bench tlb",
    .usage = "[--json] [--iterations N] [--accesses N] [--repeat N] [--max-ws SIZE]",
    .summary =
        "Runs a guest built into mmulab on the machine.  Speed: a TLB-friendly loop\n"
        "(16 KB, a load and a store per iteration) without a TLB model, with the\n"
        "skylake model in fast mode and in precise mode, side by side: MIPS (per\n"
        "microsecond of CPU time) and ratios.  Reach: random reads over working sets\n"
        "from 16 KB to 1 GB, with 4 KB and with 2 MB pages, under skylake and zen2, in\n"
        "precise mode: L1 misses, page walks and the paging-structure entries they\n"
        "read per 1000 reads, as a table and as CSV.  Large working sets alias few\n"
        "physical frames (a TLB caches by virtual page).  JSON keys:\n"
        "fast_ratio_vs_no_model, precise_mips, sweep (a list of objects with preset,\n"
        "page_size, working_set_bytes, misses_per_1000 = walks per 1000 reads).",
    .options = options,
};

#define RAM (128ull << 20)

/* ---- one run of the guest ------------------------------------------------ */

struct snap {
    bool taken;
    double cpu; /* seconds of the emulating thread's CPU time */
    uint64_t insns;
    struct tlb_stats st;
    struct tlb_counters c[TLB_MAX_STRUCTS];
};

struct probe {
    struct machine *m;
    struct snap at[2]; /* the marks 0x01 and 0x02 */
    unsigned nstructs;
    uint8_t kind[TLB_MAX_STRUCTS]; /* enum tlb_kind of each structure */
};

/* CPU time of the emulating thread: what the machine cost, without the time
 * other jobs on a shared host took the CPU away (wall time then varied by
 * 30% between otherwise equal runs). */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static ssize_t console_write(void *cookie, const char *buf, size_t n)
{
    struct probe *p = cookie;
    for (size_t i = 0; i < n; i++) {
        if ((buf[i] != 1 && buf[i] != 2) || !p->m)
            continue;
        struct snap *s = &p->at[buf[i] - 1];
        s->cpu = now_s();
        s->insns = vtime_io_time(p->m);
        s->taken = true;
        if (p->m->tlbm) {
            const struct tlb *t = p->m->tlbm->t;
            s->st = t->st;
            p->nstructs = t->n;
            for (unsigned k = 0; k < t->n; k++) {
                s->c[k] = t->s[k].c;
                p->kind[k] = t->s[k].g.kind;
            }
        }
    }
    return (ssize_t)n;
}

/* Run the guest with cmdline; false with a message on failure. */
static bool run(const struct elf_image *img, const char *cmdline, const struct tlb_config *cfg,
                enum tlbm_mode mode, struct probe *p)
{
    memset(p, 0, sizeof *p);
    cookie_io_functions_t io = { .write = console_write };
    FILE *con = fopencookie(p, "w", io);
    if (!con)
        return false;
    setvbuf(con, NULL, _IONBF, 0);
    struct machine_config mc = { .ram_size = RAM, .console = con, .tlb = cfg,
                                 .tlb_mode = mode };
    char err[512];
    struct machine *m = machine_new(&mc, err, sizeof err);
    bool ok = false;
    if (!m) {
        fprintf(stderr, "mmulab bench tlb: %s\n", err);
        goto out;
    }
    struct boot_params bp = { .cmdline = cmdline };
    struct loader_error lerr;
    if (!machine_load_kernel(m, img, &bp, &lerr)) {
        fprintf(stderr, "mmulab bench tlb: %s\n", lerr.msg);
        goto out;
    }
    p->m = m;
    int status = machine_run(m);
    p->m = NULL;
    ok = status == 0 && p->at[0].taken && p->at[1].taken;
    if (!ok)
        fprintf(stderr, "mmulab bench tlb: the guest (%s) stopped with status %d%s%s\n", cmdline,
                status, m->stop_message[0] ? ": " : "", m->stop_message);
out:
    machine_free(m);
    fclose(con);
    return ok;
}

/* ---- speed ------------------------------------------------------------- */

struct speed {
    const char *label;
    bool model;
    enum tlbm_mode mode;
    uint64_t iterations;
    double best; /* MIPS */
};

static double mips(const struct probe *p)
{
    double secs = p->at[1].cpu - p->at[0].cpu;
    return secs > 0 ? (double)(p->at[1].insns - p->at[0].insns) / secs / 1e6 : 0;
}

/* ---- reach --------------------------------------------------------------- */

struct point {
    const char *preset;
    uint64_t page, ws, accesses;
    double l1_misses, walks, walk_reads; /* per 1000 reads */
};

static bool sweep_point(const struct elf_image *img, const struct tlb_config *cfg,
                        struct point *pt)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "sweep %s %" PRIu64 " %" PRIu64, pt->page == 4096 ? "4k" : "2m",
             pt->ws, pt->accesses);
    struct probe p;
    if (!run(img, cmd, cfg, TLBM_PRECISE, &p))
        return false;
    const struct snap *a = &p.at[0], *b = &p.at[1];
    uint64_t l1_hits = 0;
    for (unsigned k = 0; k < p.nstructs; k++)
        if (p.kind[k] == TLB_L1D)
            l1_hits += b->c[k].hits - a->c[k].hits;
    double n = (double)pt->accesses / 1000.0;
    pt->l1_misses = ((double)pt->accesses - (double)l1_hits) / n;
    if (pt->l1_misses < 0)
        pt->l1_misses = 0;
    pt->walks = (double)(b->st.walks - a->st.walks) / n;
    pt->walk_reads = (double)(b->st.walk_reads - a->st.walk_reads) / n;
    return true;
}

static void print_size(char *buf, size_t len, uint64_t bytes)
{
    if (bytes >= (1ull << 30))
        snprintf(buf, len, "%" PRIu64 " GiB", bytes >> 30);
    else if (bytes >= (1ull << 20))
        snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
    else
        snprintf(buf, len, "%" PRIu64 " KiB", bytes >> 10);
}

int cmd_bench_tlb(int argc, char **argv)
{
    bool json = false;
    uint64_t iterations = 30000000, accesses = 200000, repeat = 3, max_ws = 1ull << 30;
    struct cli c;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));) {
        switch (id) {
        case OPT_JSON: json = true; break;
        case OPT_ITERATIONS: iterations = cli_u64(&c, 1000, 1ull << 40); break;
        case OPT_ACCESSES: accesses = cli_u64(&c, 100, 1ull << 32); break;
        case OPT_REPEAT: repeat = cli_u64(&c, 1, 100); break;
        case OPT_MAX_WS: max_ws = cli_size(&c, 16384, 1ull << 30); break;
        }
    }
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);

    struct elf_image img;
    struct loader_error lerr;
    if (!elf_image_open_mem(&img, mmulab_tlb_bench_kernel, mmulab_tlb_bench_kernel_size,
                            "built-in TLB benchmark kernel", &lerr)) {
        fprintf(stderr, "mmulab bench tlb: %s\n", lerr.msg);
        return 1;
    }
    int status = 1;
    struct tlb_config skylake, zen2;
    char err[256];
    if (!tlb_parse("skylake", &skylake, err, sizeof err) ||
        !tlb_parse("zen2", &zen2, err, sizeof err)) {
        fprintf(stderr, "mmulab bench tlb: %s\n", err);
        goto out;
    }

    struct speed speed[] = {
        { "no model", false, TLBM_FAST, iterations, 0 },
        { "skylake, fast mode", true, TLBM_FAST, iterations, 0 },
        { "skylake, precise mode", true, TLBM_PRECISE, iterations / 20, 0 },
    };
    for (uint64_t r = 0; r < repeat; r++) {
        for (size_t i = 0; i < sizeof speed / sizeof speed[0]; i++) {
            char cmd[64];
            struct probe p;
            snprintf(cmd, sizeof cmd, "friendly %" PRIu64, speed[i].iterations);
            if (!run(&img, cmd, speed[i].model ? &skylake : NULL, speed[i].mode, &p))
                goto out;
            double v = mips(&p);
            if (v > speed[i].best)
                speed[i].best = v;
        }
    }
    double fast_ratio = speed[0].best > 0 ? speed[1].best / speed[0].best : 0;

    const struct { const char *name; const struct tlb_config *cfg; } presets[] = {
        { "skylake", &skylake }, { "zen2", &zen2 },
    };
    struct point pts[2 * 2 * 16];
    size_t npts = 0;
    for (size_t pi = 0; pi < 2; pi++)
        for (uint64_t page = 4096; page <= (2u << 20); page <<= 9)
            for (uint64_t ws = 16384; ws <= max_ws; ws <<= 2) {
                struct point *pt = &pts[npts++];
                *pt = (struct point){ .preset = presets[pi].name, .page = page, .ws = ws,
                                      .accesses = accesses };
                if (!sweep_point(&img, presets[pi].cfg, pt))
                    goto out;
            }

    if (json) {
        printf("{\"fast_ratio_vs_no_model\": %.3f, \"precise_mips\": %.1f, \"sweep\": [",
               fast_ratio, speed[2].best);
        for (size_t i = 0; i < npts; i++)
            printf("%s\n  {\"preset\": \"%s\", \"page_size\": %" PRIu64
                   ", \"working_set_bytes\": %" PRIu64 ", \"misses_per_1000\": %.3f}",
                   i ? "," : "", pts[i].preset, pts[i].page, pts[i].ws, pts[i].walks);
        printf("\n]}\n");
    } else {
        printf("Speed: a TLB-friendly loop (16 KB; a load and a store per iteration), best of %"
               PRIu64 "\n", repeat);
        for (size_t i = 0; i < sizeof speed / sizeof speed[0]; i++)
            printf("  %-24s %8.1f MIPS   %.3fx the machine without a model\n", speed[i].label,
                   speed[i].best, speed[0].best > 0 ? speed[i].best / speed[0].best : 0);
        printf("\nReach: %" PRIu64 " random 8-byte reads per working set, precise mode\n"
               "(per 1000 reads: L1 data-TLB misses, page walks = misses of every TLB level,\n"
               "paging-structure entries read by those walks; memory references = the reads\n"
               "themselves plus the entries)\n\n", accesses);
        printf("%-8s %-5s %11s %12s %10s %13s %13s %10s\n", "preset", "page", "working set",
               "L1 miss/1k", "walks/1k", "walk refs/1k", "mem refs/1k", "miss rate");
        for (size_t i = 0; i < npts; i++) {
            char ws[32];
            print_size(ws, sizeof ws, pts[i].ws);
            printf("%-8s %-5s %11s %12.1f %10.1f %13.1f %13.1f %9.2f%%\n", pts[i].preset,
                   pts[i].page == 4096 ? "4K" : "2M", ws, pts[i].l1_misses, pts[i].walks,
                   pts[i].walk_reads, 1000.0 + pts[i].walk_reads, pts[i].walks / 10.0);
        }
        printf("\npreset,page_size,working_set_bytes,accesses,l1_misses_per_1000,"
               "misses_per_1000,walk_reads_per_1000,memory_refs_per_1000\n");
        for (size_t i = 0; i < npts; i++)
            printf("%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f,%.3f,%.3f\n", pts[i].preset,
                   pts[i].page, pts[i].ws, pts[i].accesses, pts[i].l1_misses, pts[i].walks,
                   pts[i].walk_reads, 1000.0 + pts[i].walk_reads);
    }
    status = 0;
out:
    elf_image_close(&img);
    return status;
}
