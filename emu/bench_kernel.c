/*
 * bench_kernel.c - `mmulab bench kernel`: the NT-like guest kernel's costs.
 * Runs of the built-in kernel (or --kernel) with the command line "quiet
 * run=bench.elf" and the bench volume (bench.elf and, when mmulab was built
 * with mingw-w64, the PE programs of tests/guest/pe) as disk 0, written to
 * a temporary file: the guest program (guest/user/bench.c) frames each
 * phase with console lines (emu/benchprobe.h).  Time per operation = CPU
 * time between the markers / N, the best of --repeat runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/benchprobe.h"
#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/kernel.h"
#include "emu/machine.h"
#include "emu/report.h"
#include "loader/elf.h"
#include "loader/file.h"

/* The volume bench.elf runs from (tests/guest/pe/meson.build). */
extern const unsigned char mmulab_bench_volume[];
extern const unsigned long mmulab_bench_volume_size;

enum { OPT_JSON = 1, OPT_KERNEL, OPT_REPEAT };

static const struct cli_option options[] = {
    { "json", NULL, OPT_JSON, "print the figures as one JSON object" },
    { "kernel", "ELF", OPT_KERNEL, "the kernel to measure (default: mmulab's own)" },
    { "repeat", "N", OPT_REPEAT, "runs, the best of each figure is kept (default 3)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "bench kernel",
    .usage = "[--json] [--kernel ELF] [--repeat N]",
    .summary = "Runs the NT-like guest kernel's benchmark program (bench.elf) and reports,\n"
               "in host CPU time (best of N runs): the null system call round trip (target\n"
               "<= 3 us), the demand-zero page fault round trip (target <= 10 us), reserve +\n"
               "commit + touch + release cycles of 1 MB per second, and context switches per\n"
               "second; PE process creation to its first instruction (+ exit and wait) and\n"
               "image page-ins per second (read from the disk on first touch); with each,\n"
               "the guest instructions it took.  JSON keys: syscall_roundtrip_us,\n"
               "demand_zero_fault_us, reserve_commit_touch_release_1mb_per_s,\n"
               "context_switches_per_s, pe_process_create_us, image_page_ins_per_s, and\n"
               "*_guest_instructions per operation (the PE keys only when mmulab was built\n"
               "with mingw-w64).",
    .options = options,
};

/* The figures of one run, or the best of several. */
struct figures {
    double syscall_us, fault_us, cycles_per_s, switches_per_s;
    double syscall_insns, fault_insns, cycle_insns, switch_insns;
    uint64_t syscalls, faults, cycles, switches, insns;
    bool pe;                    /* the PE phases ran */
    double pe_create_us, pageins_per_s, pe_create_insns, pagein_insns;
    uint64_t pe_creates, pageins;
};

static void keep_best(struct figures *best, const struct figures *f, bool first)
{
    if (first) {
        *best = *f;
        return;
    }
    if (f->syscall_us < best->syscall_us)
        best->syscall_us = f->syscall_us;
    if (f->fault_us < best->fault_us)
        best->fault_us = f->fault_us;
    if (f->cycles_per_s > best->cycles_per_s)
        best->cycles_per_s = f->cycles_per_s;
    if (f->switches_per_s > best->switches_per_s)
        best->switches_per_s = f->switches_per_s;
    if (f->pe && f->pe_create_us < best->pe_create_us)
        best->pe_create_us = f->pe_create_us;
    if (f->pe && f->pageins_per_s > best->pageins_per_s)
        best->pageins_per_s = f->pageins_per_s;
}

/* The bench volume in a temporary file (removed by the caller). */
static bool write_volume(char *path, size_t len)
{
    struct loader_error lerr;
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/mmulab-bench-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "mmulab bench kernel: %s: %s\n", path, strerror(errno));
        return false;
    }
    close(fd);
    if (!loader_write_file(path, mmulab_bench_volume, mmulab_bench_volume_size, &lerr)) {
        fprintf(stderr, "mmulab bench kernel: %s\n", lerr.msg);
        unlink(path);
        return false;
    }
    return true;
}

/* One run of the benchmark program; false (with a message) if it failed. */
static bool run_once(const char *kernel, struct figures *f)
{
    struct bench_probe probe = { .nphases = 0 };
    FILE *console = bench_probe_console(&probe);
    if (!console) {
        fprintf(stderr, "mmulab bench kernel: %s\n", strerror(errno));
        return false;
    }

    struct elf_image img;
    struct loader_error lerr;
    bool opened = kernel ? elf_image_open(&img, kernel, &lerr)
                         : elf_image_open_mem(&img, mmulab_default_kernel,
                                              mmulab_default_kernel_size, "built-in kernel", &lerr);
    if (!opened) {
        fprintf(stderr, "mmulab bench kernel: %s\n", lerr.msg);
        fclose(console);
        return false;
    }
    char volume[4096];
    if (!write_volume(volume, sizeof volume)) {
        elf_image_close(&img);
        fclose(console);
        return false;
    }
    struct machine_config cfg = { .ram_size = 128ull << 20, .console = console };
    cfg.disk_path[0] = volume;
    cfg.disk_read_only[0] = true;
    char err[512];
    bool ok = false;
    struct machine *m = machine_new(&cfg, err, sizeof err);
    if (!m) {
        fprintf(stderr, "mmulab bench kernel: %s\n", err);
        goto out;
    }
    struct boot_params bp = { .cmdline = "quiet run=bench.elf" };
    bp.disk[0].present = m->disk[0].file != NULL;
    bp.disk[0].read_only = true;
    bp.disk[0].sectors = m->disk[0].sectors;
    bp.disk[0].name = m->disk[0].name;
    if (!machine_load_kernel(m, &img, &bp, &lerr)) {
        fprintf(stderr, "mmulab bench kernel: %s\n", lerr.msg);
        machine_free(m);
        goto out;
    }
    probe.m = m;
    int guest = machine_run(m);
    if (m->stop != STOP_EXIT_PORT)
        machine_report(m, stderr);
    f->insns = m->vt.now;
    probe.m = NULL;
    machine_free(m);

    const struct bench_phase *sys = bench_probe_find(&probe, "syscall"), *fault = bench_probe_find(&probe, "fault");
    const struct bench_phase *cycle = bench_probe_find(&probe, "cycle"), *sw = bench_probe_find(&probe, "switch");
    if (guest != 0 || !sys || !fault || !cycle || !sw) {
        fprintf(stderr, "mmulab bench kernel: the guest benchmark did not complete (exit status "
                        "%d)\n", guest);
        goto out;
    }
    *f = (struct figures){
        .syscall_us = bench_phase_us(sys), .fault_us = bench_phase_us(fault),
        .cycles_per_s = bench_phase_per_s(cycle),
        .switches_per_s = bench_phase_per_s(sw),
        .syscall_insns = bench_phase_insns(sys), .fault_insns = bench_phase_insns(fault),
        .cycle_insns = bench_phase_insns(cycle), .switch_insns = bench_phase_insns(sw),
        .syscalls = sys->n, .faults = fault->n, .cycles = cycle->n, .switches = sw->n,
        .insns = f->insns,
    };
    const struct bench_phase *create = bench_probe_find(&probe, "pecreate"), *pagein = bench_probe_find(&probe, "pagein");
    if (create && pagein) {
        f->pe = true;
        f->pe_create_us = bench_phase_us(create);
        f->pe_create_insns = bench_phase_insns(create);
        f->pageins_per_s = bench_phase_per_s(pagein);
        f->pagein_insns = bench_phase_insns(pagein);
        f->pe_creates = create->n;
        f->pageins = pagein->n;
    }
    ok = true;
out:
    unlink(volume);
    elf_image_close(&img);
    fclose(console);
    return ok;
}

int cmd_bench_kernel(int argc, char **argv)
{
    bool json = false;
    const char *kernel = NULL;
    unsigned repeat = 3;
    struct cli c;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));) {
        if (id == OPT_JSON)
            json = true;
        else if (id == OPT_KERNEL)
            kernel = c.value;
        else if (id == OPT_REPEAT)
            repeat = (unsigned)cli_u64(&c, 1, 100);
    }
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);

    struct figures best = { 0 }, f;
    for (unsigned i = 0; i < repeat; i++) {
        if (!run_once(kernel, &f))
            return 1;
        keep_best(&best, &f, i == 0);
    }
    if (json) {
        printf("{\"syscall_roundtrip_us\": %.3f, \"demand_zero_fault_us\": %.3f, "
               "\"reserve_commit_touch_release_1mb_per_s\": %.1f, "
               "\"context_switches_per_s\": %.0f, \"syscall_guest_instructions\": %.0f, "
               "\"demand_zero_fault_guest_instructions\": %.0f, "
               "\"cycle_guest_instructions\": %.0f, \"switch_guest_instructions\": %.0f, "
               "\"syscalls\": %" PRIu64 ", \"faults\": %" PRIu64 ", \"cycles\": %" PRIu64
               ", \"switches\": %" PRIu64 ", \"guest_instructions\": %" PRIu64,
               best.syscall_us, best.fault_us, best.cycles_per_s, best.switches_per_s,
               best.syscall_insns, best.fault_insns, best.cycle_insns, best.switch_insns,
               best.syscalls, best.faults, best.cycles, best.switches, best.insns);
        if (best.pe)
            printf(", \"pe_process_create_us\": %.3f, "
                   "\"pe_process_create_guest_instructions\": %.0f, "
                   "\"image_page_ins_per_s\": %.0f, \"image_page_in_guest_instructions\": %.0f, "
                   "\"pe_process_creates\": %" PRIu64 ", \"image_page_ins\": %" PRIu64,
                   best.pe_create_us, best.pe_create_insns, best.pageins_per_s,
                   best.pagein_insns, best.pe_creates, best.pageins);
        printf("}\n");
        return 0;
    }
    printf("mmulab bench kernel (best of %u runs; host CPU time)\n", repeat);
    printf("  null system call round trip        %8.3f us   %6.0f guest instructions  "
           "(target <= 3 us)\n", best.syscall_us, best.syscall_insns);
    printf("  demand-zero page fault round trip  %8.3f us   %6.0f guest instructions  "
           "(target <= 10 us)\n", best.fault_us, best.fault_insns);
    printf("  reserve+commit+touch+release 1 MB  %8.1f per second (%.0f guest instructions each)\n",
           best.cycles_per_s, best.cycle_insns);
    printf("  context switches                   %8.0f per second (%.0f guest instructions each)\n",
           best.switches_per_s, best.switch_insns);
    if (best.pe) {
        printf("  PE process creation to first insn  %8.3f us   %6.0f guest instructions  "
               "(+ exit and wait)\n", best.pe_create_us, best.pe_create_insns);
        printf("  image page-ins (from the disk)     %8.0f per second (%.0f guest instructions "
               "each)\n", best.pageins_per_s, best.pagein_insns);
    }
    printf("  (each run: %" PRIu64 " syscalls, %" PRIu64 " faults, %" PRIu64 " cycles, %" PRIu64
           " switches; %" PRIu64 " guest instructions)\n", best.syscalls, best.faults,
           best.cycles, best.switches, best.insns);
    return 0;
}
