/*
 * bench_kernel.c - `mmulab bench kernel`: the NT-like guest kernel's costs,
 * measured in host wall-clock time.  One run of the built-in kernel (or
 * --kernel) with the command line "quiet run=bench.elf": the guest program
 * (guest/user/bench.c, in the kernel's built-in volume) frames each phase
 * with console lines "@bench begin NAME N" and "@bench end NAME"; the
 * console stream is ours (fopencookie), so each marker is timestamped the
 * moment the guest writes its last byte.  Time per operation = wall-clock
 * between the markers / N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/kernel.h"
#include "emu/machine.h"
#include "emu/report.h"
#include "loader/elf.h"

enum { OPT_JSON = 1, OPT_KERNEL };

static const struct cli_option options[] = {
    { "json", NULL, OPT_JSON, "print the figures as one JSON object" },
    { "kernel", "ELF", OPT_KERNEL, "the kernel to measure (default: mmulab's own)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "bench kernel",
    .usage = "[--json] [--kernel ELF]",
    .summary = "Runs the NT-like guest kernel's benchmark program (bench.elf) and reports,\n"
               "in host wall-clock time: the null system call round trip, the demand-zero\n"
               "page fault round trip, reserve + commit + touch + release cycles of 1 MB per\n"
               "second, and context switches per second.",
    .options = options,
};

#define MAX_PHASES 8

struct phase {
    char name[16];
    uint64_t n;
    double begin, end;
    bool done;
};

struct probe {
    char line[256];
    size_t len;
    struct phase phase[MAX_PHASES];
    unsigned nphases;
    bool echo;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_line(struct probe *p, const char *line)
{
    char name[16];
    unsigned long long n;
    if (sscanf(line, "@bench begin %15s %llu", name, &n) == 2 && p->nphases < MAX_PHASES) {
        struct phase *ph = &p->phase[p->nphases++];
        snprintf(ph->name, sizeof ph->name, "%s", name);
        ph->n = n;
        ph->begin = now_s();
    } else if (sscanf(line, "@bench end %15s", name) == 1) {
        for (unsigned i = 0; i < p->nphases; i++)
            if (!strcmp(p->phase[i].name, name) && !p->phase[i].done) {
                p->phase[i].end = now_s();
                p->phase[i].done = true;
            }
    } else if (p->echo) {
        fprintf(stderr, "guest: %s\n", line);
    }
}

static ssize_t console_write(void *cookie, const char *buf, size_t size)
{
    struct probe *p = cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            p->line[p->len] = 0;
            on_line(p, p->line);
            p->len = 0;
        } else if (p->len + 1 < sizeof p->line) {
            p->line[p->len++] = buf[i];
        }
    }
    return (ssize_t)size;
}

static const struct phase *find(const struct probe *p, const char *name)
{
    for (unsigned i = 0; i < p->nphases; i++)
        if (!strcmp(p->phase[i].name, name) && p->phase[i].done && p->phase[i].n)
            return &p->phase[i];
    return NULL;
}

static double per_op_us(const struct phase *ph)
{
    return (ph->end - ph->begin) * 1e6 / (double)ph->n;
}

int cmd_bench_kernel(int argc, char **argv)
{
    bool json = false;
    const char *kernel = NULL;
    struct cli c;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));) {
        if (id == OPT_JSON)
            json = true;
        else if (id == OPT_KERNEL)
            kernel = c.value;
    }
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);

    struct probe probe = { .echo = true };
    cookie_io_functions_t io = { .write = console_write };
    FILE *console = fopencookie(&probe, "w", io);
    if (!console) {
        fprintf(stderr, "mmulab bench kernel: %s\n", strerror(errno));
        return 1;
    }
    setvbuf(console, NULL, _IONBF, 0);

    struct elf_image img;
    struct loader_error lerr;
    bool opened = kernel ? elf_image_open(&img, kernel, &lerr)
                         : elf_image_open_mem(&img, mmulab_default_kernel,
                                              mmulab_default_kernel_size, "built-in kernel", &lerr);
    if (!opened) {
        fprintf(stderr, "mmulab bench kernel: %s\n", lerr.msg);
        fclose(console);
        return 1;
    }
    struct machine_config cfg = { .ram_size = 128ull << 20, .console = console };
    char err[512];
    int status = 1;
    struct machine *m = machine_new(&cfg, err, sizeof err);
    if (!m) {
        fprintf(stderr, "mmulab bench kernel: %s\n", err);
        goto out;
    }
    struct boot_params bp = { .cmdline = "quiet run=bench.elf" };
    if (!machine_load_kernel(m, &img, &bp, &lerr)) {
        fprintf(stderr, "mmulab bench kernel: %s\n", lerr.msg);
        machine_free(m);
        goto out;
    }
    double t0 = now_s();
    int guest = machine_run(m);
    double total = now_s() - t0;
    if (m->stop != STOP_EXIT_PORT)
        machine_report(m, stderr);
    uint64_t insns = m->vt.now;
    machine_free(m);

    const struct phase *sys = find(&probe, "syscall"), *fault = find(&probe, "fault");
    const struct phase *cycle = find(&probe, "cycle"), *sw = find(&probe, "switch");
    if (guest != 0 || !sys || !fault || !cycle || !sw) {
        fprintf(stderr, "mmulab bench kernel: the guest benchmark did not complete (exit status "
                        "%d)\n", guest);
        goto out;
    }
    double cycles_per_s = (double)cycle->n / (cycle->end - cycle->begin);
    double switches_per_s = (double)sw->n / (sw->end - sw->begin);
    if (json) {
        printf("{\"syscall_roundtrip_us\": %.3f, \"demand_zero_fault_us\": %.3f, "
               "\"reserve_commit_touch_release_1mb_per_s\": %.1f, "
               "\"context_switches_per_s\": %.0f, \"syscalls\": %" PRIu64
               ", \"faults\": %" PRIu64 ", \"cycles\": %" PRIu64 ", \"switches\": %" PRIu64
               ", \"guest_instructions\": %" PRIu64 ", \"wall_seconds\": %.3f}\n",
               per_op_us(sys), per_op_us(fault), cycles_per_s, switches_per_s, sys->n, fault->n,
               cycle->n, sw->n, insns, total);
    } else {
        printf("null system call round trip        %8.3f us   (target <= 3 us; %" PRIu64
               " calls)\n", per_op_us(sys), sys->n);
        printf("demand-zero page fault round trip  %8.3f us   (target <= 10 us; %" PRIu64
               " faults)\n", per_op_us(fault), fault->n);
        printf("reserve+commit+touch+release 1 MB  %8.1f per second (%" PRIu64 " cycles)\n",
               cycles_per_s, cycle->n);
        printf("context switches                   %8.0f per second (%" PRIu64 " switches)\n",
               switches_per_s, sw->n);
        printf("(one run: %" PRIu64 " guest instructions in %.3f s)\n", insns, total);
    }
    status = 0;
out:
    elf_image_close(&img);
    fclose(console);
    return status;
}
