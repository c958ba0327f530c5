/*
 * bench_paging.c - `mmulab bench paging`: what paging costs in the NT-like
 * guest kernel (docs/paging.md).  Each run boots the built-in kernel (or
 * --kernel) on a small machine with a temporary paging file and runs the
 * guest program guest/bench/pagebench.c the way `mmulab run PROGRAM` does
 * (emu/program.c makes its volume); the program marks its phases on the
 * console (emu/benchprobe.h) with the number of page-outs, page-ins and
 * faults the kernel counted in each.  A phase's figure = host CPU time (or
 * virtual time: guest instructions) between its markers / that number; the
 * best time of --repeat runs is kept (instruction counts do not vary).
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
#include "emu/pagefile.h"
#include "emu/program.h"
#include "emu/report.h"
#include "loader/elf.h"
#include "loader/file.h"
#include "shared/devices.h"

extern const unsigned char mmulab_paging_bench[];
extern const unsigned long mmulab_paging_bench_size;

#define PAGE ((uint64_t)4096)
#define NAME "mmulab bench paging"

enum { OPT_JSON = 1, OPT_KERNEL, OPT_REPEAT, OPT_RAM, OPT_SWEEP, OPT_FAULTS };

static const struct cli_option options[] = {
    { "json", NULL, OPT_JSON, "print the figures as one JSON object" },
    { "kernel", "ELF", OPT_KERNEL, "the kernel to measure (default: mmulab's own)" },
    { "repeat", "N", OPT_REPEAT, "runs; the best time of each figure is kept (default 3)" },
    { "ram", "SIZE", OPT_RAM, "the machine's RAM, 8M to 256M (default 16M)" },
    { "sweep", "SIZE", OPT_SWEEP,
      "the buffer written then read for page-outs and page-ins, more than the RAM, "
      "at most 1G (default 64M, or 4 x the RAM if that is not more)" },
    { "faults", "N", OPT_FAULTS,
      "pages faulted in each of the fault phases, 16 to a quarter of the RAM "
      "(default 1024, or a quarter of the RAM if less)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "bench paging",
    .usage = "[--json] [--kernel ELF] [--repeat N] [--ram SIZE] [--sweep SIZE] [--faults N]",
    .summary =
        "Runs a paging benchmark in the NT-like guest kernel on a small machine (--ram)\n"
        "with a paging file of sweep + RAM + 16M, and reports in host CPU time (best\n"
        "of N runs) and in guest instructions, side by side from the same runs:\n"
        "\n"
        "  page-outs  pages written to the paging file per second, while a program\n"
        "             writes each page of a --sweep buffer once with RAM already full\n"
        "             of dirty pages (each page: a demand-zero fault, and an older\n"
        "             page trimmed and written by the modified page writer)\n"
        "  page-ins   pages read from the paging file per second, while it reads the\n"
        "             buffer again (paging-file faults under memory pressure)\n"
        "  a paging-file fault and a transition fault on the same --faults pages\n"
        "             with memory plentiful: first out in the paging file (a disk\n"
        "             read), then on the standby list after the working set was\n"
        "             emptied (no I/O); each one's time, and their ratio\n"
        "  a demand-zero fault, with memory plentiful, for comparison\n"
        "\n"
        "Each figure is divided by what the kernel's counters saw in the phase\n"
        "(paging-file writes, reads, faults by kind), printed too.  The disk is a\n"
        "host file: a paging-file read costs a host pread, not a disk's latency.\n"
        "JSON keys: page_out_per_s, page_out_guest_instructions, page_in_per_s,\n"
        "page_in_guest_instructions, pagefile_fault_us,\n"
        "pagefile_fault_guest_instructions, transition_fault_us,\n"
        "transition_fault_guest_instructions, pagefile_vs_transition_time_ratio,\n"
        "pagefile_vs_transition_instruction_ratio, demand_zero_fault_us,\n"
        "demand_zero_fault_guest_instructions, page_outs, page_ins, pagefile_faults,\n"
        "transition_faults, demand_zero_faults, ram_bytes, sweep_pages, fault_pages,\n"
        "pagefile_bytes, guest_instructions, runs.",
    .options = options,
};

struct settings {
    const char *kernel;
    unsigned repeat;
    uint64_t ram, sweep, faults; /* bytes, bytes, pages */
};

/* One phase's figures: operations, host CPU time and guest instructions each. */
struct cost {
    uint64_t n;
    double us, insns;
};

struct figures {
    struct cost out, in, pagefile, transition, zero;
    uint64_t insns;
};

static bool take(const struct bench_probe *p, const char *name, struct cost *c)
{
    const struct bench_phase *ph = bench_probe_find(p, name);
    if (!ph)
        return false;
    *c = (struct cost){ ph->n, bench_phase_us(ph), bench_phase_insns(ph) };
    return true;
}

static void keep_best(struct cost *best, const struct cost *c, bool first)
{
    if (first || c->us < best->us)
        *best = *c;
}

/* pagebench.exe in a directory of its own, for program_prepare. */
static bool write_program(char *dir, size_t dirlen, char *path, size_t pathlen)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, dirlen, "%s/mmulab-bench-paging-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, NAME ": %s: %s\n", dir, strerror(errno));
        return false;
    }
    snprintf(path, pathlen, "%s/pagebench.exe", dir);
    struct loader_error err;
    if (!loader_write_file(path, mmulab_paging_bench, mmulab_paging_bench_size, &err)) {
        fprintf(stderr, NAME ": %s\n", err.msg);
        rmdir(dir);
        return false;
    }
    return true;
}

static uint64_t pagefile_size(const struct settings *s)
{
    return s->sweep + s->ram + (16ull << 20);
}

/* Boot the machine on the prepared volume and run it; the guest's exit
 * status, or -1. */
static int boot(const struct settings *s, const struct program_run *prog, FILE *console,
                struct bench_probe *probe, uint64_t *insns)
{
    struct elf_image img;
    struct loader_error lerr;
    bool opened = s->kernel ? elf_image_open(&img, s->kernel, &lerr)
                            : elf_image_open_mem(&img, mmulab_default_kernel,
                                                 mmulab_default_kernel_size, "built-in kernel",
                                                 &lerr);
    if (!opened) {
        fprintf(stderr, NAME ": %s\n", lerr.msg);
        return -1;
    }
    char pagefile[512], err[512];
    bool temporary = false;
    if (!pagefile_create(NULL, pagefile_size(s), pagefile, sizeof pagefile, &temporary, err,
                         sizeof err)) {
        fprintf(stderr, NAME ": %s\n", err);
        elf_image_close(&img);
        return -1;
    }
    struct machine_config cfg = { .ram_size = s->ram, .console = console };
    cfg.disk_path[0] = prog->volume;
    cfg.disk_read_only[0] = true;
    cfg.disk_path[DEV_DISK_PAGEFILE] = pagefile;
    struct machine *m = machine_new(&cfg, err, sizeof err);
    unlink(pagefile); /* open by the machine, or not needed */
    int status = -1;
    if (!m) {
        fprintf(stderr, NAME ": %s\n", err);
        goto out;
    }
    struct boot_params bp = { .cmdline = prog->cmdline };
    for (unsigned i = 0; i < DEV_DISK_MAX; i++) {
        bp.disk[i].present = m->disk[i].file != NULL;
        bp.disk[i].read_only = m->disk[i].read_only;
        bp.disk[i].sectors = m->disk[i].sectors;
        bp.disk[i].name = m->disk[i].name;
    }
    if (machine_load_kernel(m, &img, &bp, &lerr)) {
        probe->m = m;
        status = machine_run(m);
        probe->m = NULL;
        if (m->stop != STOP_EXIT_PORT)
            machine_report(m, stderr);
        *insns = m->vt.now;
    } else {
        fprintf(stderr, NAME ": %s\n", lerr.msg);
    }
    machine_free(m);
out:
    elf_image_close(&img);
    return status;
}

/* One run; false (with a message) if it failed. */
static bool run_once(const struct settings *s, struct figures *f)
{
    char dir[512], exe[600], sweep[32], faults[32];
    if (!write_program(dir, sizeof dir, exe, sizeof exe))
        return false;
    snprintf(sweep, sizeof sweep, "%" PRIu64, s->sweep / PAGE);
    snprintf(faults, sizeof faults, "%" PRIu64, s->faults);
    char *args[] = { sweep, faults };
    struct program_request req = { .program = exe, .args = args, .nargs = 2 };
    struct program_run prog;
    char msg[768];
    bool ok = false;
    if (program_prepare(&req, &prog, msg, sizeof msg) != PROGRAM_OK) {
        fprintf(stderr, NAME ": %s\n", msg);
        goto out;
    }
    struct bench_probe probe = { .nphases = 0 };
    FILE *console = bench_probe_console(&probe);
    if (!console) {
        fprintf(stderr, NAME ": %s\n", strerror(errno));
        program_cleanup(&prog);
        goto out;
    }
    int guest = boot(s, &prog, console, &probe, &f->insns);
    fclose(console);
    program_cleanup(&prog);
    ok = guest == 0 && take(&probe, "pageout", &f->out) && take(&probe, "pagein", &f->in) &&
         take(&probe, "pagefile", &f->pagefile) && take(&probe, "transition", &f->transition) &&
         take(&probe, "demandzero", &f->zero);
    if (!ok && guest >= 0)
        fprintf(stderr, NAME ": the guest benchmark did not complete (exit status %d%s)\n", guest,
                guest == 1 ? ": pages read back wrong" : guest == 2 ? ": no memory" : "");
out:
    unlink(exe);
    rmdir(dir);
    return ok;
}

static void parse(int argc, char **argv, struct settings *s, bool *json)
{
    struct cli c;
    cli_begin(&c, &command, argc, argv);
    bool sweep_given = false, faults_given = false;
    for (int id; (id = cli_next(&c));) {
        switch (id) {
        case OPT_JSON: *json = true; break;
        case OPT_KERNEL: s->kernel = c.value; break;
        case OPT_REPEAT: s->repeat = (unsigned)cli_u64(&c, 1, 100); break;
        case OPT_RAM: s->ram = cli_size(&c, 8ull << 20, 256ull << 20); break;
        case OPT_SWEEP:
            s->sweep = cli_size(&c, PAGE, 1ull << 30) / PAGE * PAGE;
            sweep_given = true;
            break;
        case OPT_FAULTS:
            s->faults = cli_u64(&c, 16, UINT32_MAX);
            faults_given = true;
            break;
        }
    }
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);
    if (!sweep_given && s->sweep <= s->ram)
        s->sweep = 4 * s->ram;
    if (s->sweep <= s->ram)
        cli_usage_error(&c, "--sweep %" PRIu64 "M is not more than the RAM (%" PRIu64
                            "M): nothing would be paged out", s->sweep >> 20, s->ram >> 20);
    uint64_t most = s->ram / PAGE / 4;
    if (!faults_given && s->faults > most)
        s->faults = most;
    if (s->faults > most)
        cli_usage_error(&c, "--faults %" PRIu64 ": at most %" PRIu64 " pages with --ram %" PRIu64
                            "M (a quarter of it: they must fit with room to spare)", s->faults,
                        most, s->ram >> 20);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void print_json(const struct settings *s, const struct figures *b)
{
    printf("{\"page_out_per_s\": %.0f, \"page_out_guest_instructions\": %.0f, "
           "\"page_in_per_s\": %.0f, \"page_in_guest_instructions\": %.0f, "
           "\"pagefile_fault_us\": %.3f, \"pagefile_fault_guest_instructions\": %.0f, "
           "\"transition_fault_us\": %.3f, \"transition_fault_guest_instructions\": %.0f, "
           "\"pagefile_vs_transition_time_ratio\": %.2f, "
           "\"pagefile_vs_transition_instruction_ratio\": %.2f, "
           "\"demand_zero_fault_us\": %.3f, \"demand_zero_fault_guest_instructions\": %.0f, "
           "\"page_outs\": %" PRIu64 ", \"page_ins\": %" PRIu64 ", \"pagefile_faults\": %" PRIu64
           ", \"transition_faults\": %" PRIu64 ", \"demand_zero_faults\": %" PRIu64
           ", \"ram_bytes\": %" PRIu64 ", \"sweep_pages\": %" PRIu64 ", \"fault_pages\": %" PRIu64
           ", \"pagefile_bytes\": %" PRIu64 ", \"guest_instructions\": %" PRIu64
           ", \"runs\": %u}\n",
           1e6 / b->out.us, b->out.insns, 1e6 / b->in.us, b->in.insns, b->pagefile.us,
           b->pagefile.insns, b->transition.us, b->transition.insns,
           ratio(b->pagefile.us, b->transition.us), ratio(b->pagefile.insns, b->transition.insns),
           b->zero.us, b->zero.insns, b->out.n, b->in.n, b->pagefile.n, b->transition.n,
           b->zero.n, s->ram, s->sweep / PAGE, s->faults, pagefile_size(s), b->insns, s->repeat);
}

static void print_human(const struct settings *s, const struct figures *b)
{
    printf(NAME " (best of %u runs; host CPU time; --ram %" PRIu64 "M, --sweep %" PRIu64
           "M, --faults %" PRIu64 ")\n", s->repeat, s->ram >> 20, s->sweep >> 20, s->faults);
    printf("  page-outs (writing the sweep)   %9.0f pages/s   %8.0f guest instructions each  "
           "(%" PRIu64 " pages written)\n", 1e6 / b->out.us, b->out.insns, b->out.n);
    printf("  page-ins (reading it again)     %9.0f pages/s   %8.0f guest instructions each  "
           "(%" PRIu64 " pages read)\n", 1e6 / b->in.us, b->in.insns, b->in.n);
    printf("  paging-file fault               %9.3f us        %8.0f guest instructions      "
           "(%" PRIu64 " faults)\n", b->pagefile.us, b->pagefile.insns, b->pagefile.n);
    printf("  transition fault                %9.3f us        %8.0f guest instructions      "
           "(%" PRIu64 " faults)\n", b->transition.us, b->transition.insns, b->transition.n);
    printf("  paging-file / transition        %9.2f x (time)  %8.2f x (instructions)\n",
           ratio(b->pagefile.us, b->transition.us), ratio(b->pagefile.insns, b->transition.insns));
    printf("  demand-zero fault (comparison)  %9.3f us        %8.0f guest instructions      "
           "(%" PRIu64 " faults)\n", b->zero.us, b->zero.insns, b->zero.n);
    printf("  (each run: %" PRIu64 " guest instructions; a paging file of %" PRIu64 "M)\n",
           b->insns, pagefile_size(s) >> 20);
}

int cmd_bench_paging(int argc, char **argv)
{
    struct settings s = { .repeat = 3, .ram = 16ull << 20, .sweep = 64ull << 20,
                          .faults = 1024 };
    bool json = false;
    parse(argc, argv, &s, &json);
    struct figures best = { 0 }, f;
    for (unsigned i = 0; i < s.repeat; i++) {
        if (!run_once(&s, &f))
            return 1;
        keep_best(&best.out, &f.out, i == 0);
        keep_best(&best.in, &f.in, i == 0);
        keep_best(&best.pagefile, &f.pagefile, i == 0);
        keep_best(&best.transition, &f.transition, i == 0);
        keep_best(&best.zero, &f.zero, i == 0);
        best.insns = f.insns;
    }
    if (json)
        print_json(&s, &best);
    else
        print_human(&s, &best);
    return 0;
}
