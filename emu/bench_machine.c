/*
 * bench_machine.c - `mmulab bench machine`: the machine's costs, measured
 * side by side in one run.
 *
 *   - a TLB-friendly loop (guest/bench/loop.S) under our MMU, and the same
 *     bytes on raw Unicorn (flat mapping, no hooks): MIPS and their ratio;
 *   - a 4,096-page sweep: nanoseconds per TLB fill (the sweep minus the same
 *     loop on one page, divided by the fills counted);
 *   - a null system call round trip from CPL 3 (SYSCALL, SYSRETQ);
 *   - a page fault from CPL 3 delivered, handled by mapping a page, and
 *     returned from;
 *   - boot: from creating the machine to the guest's first mark.
 * The guest times its phases itself through the mark port.  All times are
 * the CPU time of the one thread that runs both sides, and each figure is
 * the best of a few repetitions: the machines are shared and noisy.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/kernel.h"
#include "emu/machine.h"
#include "loader/elf.h"

extern const unsigned char mmulab_bench_kernel[];
extern const unsigned long mmulab_bench_kernel_size;

enum { OPT_JSON = 1, OPT_REPEAT };

static const struct cli_option options[] = {
    { "json", NULL, OPT_JSON, "print the figures as one JSON object" },
    { "repeat", "N", OPT_REPEAT, "repetitions of each measurement, best kept (default 3)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "bench machine",
    .usage = "[--json] [--repeat N]",
    .summary =
        "Measures, in one run: a TLB-friendly loop under mmulab's MMU and the same\n"
        "code on raw Unicorn (MIPS, ratio; target >= 0.9x), nanoseconds per TLB fill\n"
        "(4,096-page sweep), a null system call round trip (target <= 3 us), a page\n"
        "fault round trip (target <= 5 us), and boot to the kernel's first\n"
        "instruction (target <= 50 ms).  JSON keys: mips_mmulab, mips_raw_unicorn,\n"
        "ratio_vs_raw_unicorn, fill_ns, syscall_roundtrip_us, pagefault_roundtrip_us,\n"
        "boot_ms.",
    .options = options,
};

#define LOOP_ITERATIONS 20000000ull
#define SYSCALLS 200000
#define FAULTS 100000

/* CPU time of this thread: both sides run on it, and time spent
 * descheduled on a busy machine is nobody's cost. */
static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

struct phase {
    uint64_t create_ns;          /* host clock before the machine was created */
    struct mark marks[MAX_MARKS];
    unsigned nmarks;
    uint64_t fills;
};

/* Boot the bench kernel with a command line and run it to its exit. */
static bool run_phase(const char *cmdline, struct phase *ph)
{
    struct elf_image img;
    struct loader_error lerr;
    char err[256];
    if (!elf_image_open_mem(&img, mmulab_bench_kernel, mmulab_bench_kernel_size, "bench kernel",
                            &lerr)) {
        fprintf(stderr, "mmulab bench machine: %s\n", lerr.msg);
        return false;
    }
    struct machine_config cfg = { .ram_size = 256ull << 20, .console = stderr };
    ph->create_ns = now_ns();
    struct machine *m = machine_new(&cfg, err, sizeof err);
    bool ok = m != NULL;
    if (!m)
        fprintf(stderr, "mmulab bench machine: %s\n", err);
    struct boot_params bp = { .cmdline = cmdline };
    if (ok && !machine_load_kernel(m, &img, &bp, &lerr)) {
        fprintf(stderr, "mmulab bench machine: %s\n", lerr.msg);
        ok = false;
    }
    if (ok && machine_run(m) != 0) {
        fprintf(stderr, "mmulab bench machine: phase '%s' failed: %s\n", cmdline,
                m->stop_message);
        ok = false;
    }
    if (ok) {
        memcpy(ph->marks, m->marks, sizeof ph->marks);
        ph->nmarks = m->nmarks;
        ph->fills = m->stats.fills;
    }
    machine_free(m);
    elf_image_close(&img);
    return ok && ph->nmarks >= 3;
}

static uint64_t span_ns(const struct phase *ph, unsigned a, unsigned b)
{
    return ph->marks[b].host_ns - ph->marks[a].host_ns;
}

static uint64_t span_insns(const struct phase *ph, unsigned a, unsigned b)
{
    return ph->marks[b].vtime - ph->marks[a].vtime;
}

/* The bytes of a loop (from its symbol to its return), from the embedded
 * kernel image. */
static bool loop_code(const char *name, const uint8_t **code, size_t *len)
{
    char ret_name[64];
    snprintf(ret_name, sizeof ret_name, "%s_ret", name);
    struct elf_image img;
    struct loader_error lerr;
    uint64_t start, ret;
    if (!elf_image_open_mem(&img, mmulab_bench_kernel, mmulab_bench_kernel_size, "bench kernel",
                            &lerr))
        return false;
    bool ok = elf_image_symbol(&img, name, &start) && elf_image_symbol(&img, ret_name, &ret) &&
              ret > start;
    for (unsigned i = 0; ok && i < img.nsegments; i++) {
        const struct elf_segment *s = &img.seg[i];
        if (start >= s->vaddr && ret < s->vaddr + s->filesz) {
            *len = ret - start + 1;
            *code = mmulab_bench_kernel + s->offset + (start - s->vaddr);
            elf_image_close(&img);
            return true;
        }
    }
    elf_image_close(&img);
    return false;
}

/* The loop on raw Unicorn: flat mapping, no hooks.  Nanoseconds. */
static uint64_t raw_unicorn_loop(const uint8_t *code, size_t len, uint64_t iterations)
{
    uc_engine *uc;
    const uint64_t ram_size = 2u << 20, at = 0x1000, buf = 0x10000;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
        return 0;
    uc_ctl_set_tcg_buffer_size(uc, 64u << 20);
    uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t t = 0;
    if (ram != MAP_FAILED && uc_mem_map_ptr(uc, 0, ram_size, UC_PROT_ALL, ram) == UC_ERR_OK) {
        memcpy(ram + at, code, len);
        uint64_t rdi = buf, rsi = iterations;
        uc_reg_write(uc, UC_X86_REG_RDI, &rdi);
        uc_reg_write(uc, UC_X86_REG_RSI, &rsi);
        uint64_t t0 = now_ns();
        if (uc_emu_start(uc, at, at + len - 1, 0, 0) == UC_ERR_OK)
            t = now_ns() - t0;
    }
    uc_close(uc);
    if (ram != MAP_FAILED)
        munmap(ram, ram_size);
    return t;
}

/* A loop measured on both sides: best times and the instructions it ran
 * (virtual time between its marks; the same bytes run on raw Unicorn). */
struct loop {
    const char *symbol, *phase;
    const uint8_t *code;
    size_t len;
    double mmulab_ns, raw_ns;
    uint64_t insns;
};

struct results {
    struct loop loop, short_loop;
    double fill_ns, syscall_us, pagefault_us, boot_ms;
};

static double best(double a, double b)
{
    return a < b ? a : b;
}

static double mips(const struct loop *l, double ns)
{
    return (double)l->insns / ns * 1e3;
}

/* One repetition of a loop, on each side in turn. */
static bool measure_loop(struct loop *l, double *boot_ms)
{
    char cmd[64];
    struct phase ph;
    snprintf(cmd, sizeof cmd, "phase=%s n=%llu", l->phase, (unsigned long long)LOOP_ITERATIONS);
    if (!run_phase(cmd, &ph))
        return false;
    l->mmulab_ns = best(l->mmulab_ns, (double)span_ns(&ph, 1, 2));
    l->insns = span_insns(&ph, 1, 2);
    *boot_ms = best(*boot_ms, (double)(ph.marks[0].host_ns - ph.create_ns) / 1e6);
    uint64_t raw = raw_unicorn_loop(l->code, l->len, LOOP_ITERATIONS);
    if (!raw)
        return false;
    l->raw_ns = best(l->raw_ns, (double)raw);
    return true;
}

static bool measure(unsigned repeat, struct results *r)
{
    char cmd[64];
    *r = (struct results){
        .loop = { "bench_loop", "loop", NULL, 0, 1e300, 1e300, 0 },
        .short_loop = { "bench_loop_short", "loopshort", NULL, 0, 1e300, 1e300, 0 },
        .fill_ns = 1e300, .syscall_us = 1e300, .pagefault_us = 1e300, .boot_ms = 1e300,
    };
    struct loop *loops[] = { &r->loop, &r->short_loop };
    for (unsigned k = 0; k < 2; k++) {
        if (!loop_code(loops[k]->symbol, &loops[k]->code, &loops[k]->len)) {
            fprintf(stderr, "mmulab bench machine: %s not found in the bench kernel\n",
                    loops[k]->symbol);
            return false;
        }
    }
    for (unsigned i = 0; i < repeat; i++) {
        struct phase ph;
        if (!measure_loop(&r->loop, &r->boot_ms) || !measure_loop(&r->short_loop, &r->boot_ms))
            return false;

        if (!run_phase("phase=sweep", &ph))
            return false;
        double sweep = (double)span_ns(&ph, 1, 2), same = (double)span_ns(&ph, 2, 3);
        r->fill_ns = best(r->fill_ns, (sweep - same) / 4096.0);

        snprintf(cmd, sizeof cmd, "phase=syscall n=%d", SYSCALLS);
        if (!run_phase(cmd, &ph))
            return false;
        r->syscall_us = best(r->syscall_us, (double)span_ns(&ph, 1, 2) / SYSCALLS / 1e3);

        snprintf(cmd, sizeof cmd, "phase=pagefault n=%d", FAULTS);
        if (!run_phase(cmd, &ph))
            return false;
        r->pagefault_us = best(r->pagefault_us, (double)span_ns(&ph, 1, 2) / FAULTS / 1e3);
    }
    return true;
}

int cmd_bench_machine(int argc, char **argv)
{
    struct cli c;
    bool json = false;
    unsigned repeat = 3;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));) {
        if (id == OPT_JSON)
            json = true;
        else if (id == OPT_REPEAT)
            repeat = (unsigned)cli_u64(&c, 1, 100);
    }
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);
    struct results r;
    if (!measure(repeat, &r))
        return 1;
    const struct loop *l = &r.loop, *sl = &r.short_loop;
    double ratio = mips(l, l->mmulab_ns) / mips(l, l->raw_ns);
    double short_ratio = mips(sl, sl->mmulab_ns) / mips(sl, sl->raw_ns);
    /* What counting costs per block: the short loop's extra time over raw
     * Unicorn, per iteration (one block each). */
    double block_ns = (sl->mmulab_ns - sl->raw_ns) / (double)LOOP_ITERATIONS;
    if (json) {
        printf("{\"mips_mmulab\": %.1f, \"mips_raw_unicorn\": %.1f, \"ratio_vs_raw_unicorn\": %.3f, "
               "\"short_block_ratio_vs_raw_unicorn\": %.3f, \"per_block_ns\": %.2f, "
               "\"fill_ns\": %.1f, \"syscall_roundtrip_us\": %.3f, "
               "\"pagefault_roundtrip_us\": %.3f, \"boot_ms\": %.2f}\n",
               mips(l, l->mmulab_ns), mips(l, l->raw_ns), ratio, short_ratio, block_ns, r.fill_ns,
               r.syscall_us, r.pagefault_us, r.boot_ms);
        return 0;
    }
    printf("mmulab bench machine (best of %u; host CPU time; all figures from this run)\n", repeat);
    printf("  TLB-friendly loop      mmulab %6.0f MIPS   raw Unicorn %6.0f MIPS   %.2fx  (target >= 0.90x)\n"
           "    (35-instruction blocks)\n",
           mips(l, l->mmulab_ns), mips(l, l->raw_ns), ratio);
    printf("  short-block loop       mmulab %6.0f MIPS   raw Unicorn %6.0f MIPS   %.2fx\n"
           "    (11-instruction blocks: counting instructions costs %.1f ns per block)\n",
           mips(sl, sl->mmulab_ns), mips(sl, sl->raw_ns), short_ratio, block_ns);
    printf("  TLB fill               %7.1f ns per fill (4,096-page sweep)\n", r.fill_ns);
    printf("  null system call       %7.2f us round trip, CPL 3 -> kernel -> CPL 3  (target <= 3 us)\n",
           r.syscall_us);
    printf("  page fault             %7.2f us delivered, handled, returned from  (target <= 5 us)\n",
           r.pagefault_us);
    printf("  boot                   %7.2f ms from creating the machine to the guest's first C\n"
           "                         code  (target <= 50 ms to the first instruction)\n",
           r.boot_ms);
    return 0;
}
