/*
 * cmd_run.c - `mmulab run`: boot a kernel and run the machine until the
 * guest writes the exit port (its value is our exit status) or the machine
 * stops for another reason (reported on stderr with a distinct status).
 * `mmulab run PROGRAM [ARGS...]` first packs PROGRAM and the system DLLs
 * into a volume and boots the built-in kernel to run it (program.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/datavol.h"
#include "emu/gdbtarget.h"
#include "emu/kernel.h"
#include "emu/log.h"
#include "emu/machine.h"
#include "emu/pagefile.h"
#include "emu/program.h"
#include "emu/report.h"
#include "emu/tlbmodel.h"
#include "loader/elf.h"
#include "mmu/tlb.h"

enum { OPT_KERNEL = 1, OPT_RAM, OPT_DISK, OPT_DISK_RO, OPT_MAX_INSNS, OPT_TRACE, OPT_EVENTS,
       OPT_STATS_JSON, OPT_CMDLINE, OPT_UART_INPUT, OPT_CONSOLE, OPT_GDB, OPT_GDB_WAIT,
       OPT_TLB, OPT_TLB_MODE, OPT_TLB_CHECK, OPT_STATS, OPT_ADD, OPT_PAGEFILE,
       OPT_PAGEFILE_SIZE, OPT_DATA };

#define MAX_ADDS 32

static const struct cli_option options[] = {
    { "kernel", "ELF", OPT_KERNEL, "boot this kernel (default: mmulab's own, built in)" },
    { "ram", "SIZE", OPT_RAM, "guest RAM, 4M to 3G (default 128M)" },
    { "disk", "FILE", OPT_DISK, "attach a disk image (repeatable: disk 0, 1, ...)" },
    { "disk-ro", "FILE", OPT_DISK_RO, "attach a read-only disk image (repeatable)" },
    { "max-insns", "N", OPT_MAX_INSNS, "stop after N instructions (exit status 122)" },
    { "trace", "FILE", OPT_TRACE, "write every executed instruction to FILE ('-': stderr)" },
    { "events", "FILE", OPT_EVENTS, "write faults, interrupts, system calls, device accesses" },
    { "stats-json", "FILE", OPT_STATS_JSON, "write the machine's counters as JSON at exit" },
    { "cmdline", "TEXT", OPT_CMDLINE, "the kernel command line (with PROGRAM: words before run=)" },
    { "uart-input", "TEXT", OPT_UART_INPUT, "bytes the UART receives (\\n for newline)" },
    { "console", "FILE", OPT_CONSOLE, "write the console (UART, port 0xE9) to FILE" },
    { "gdb", "PORT", OPT_GDB, "serve gdb on 127.0.0.1:PORT (0: any free port, printed)" },
    { "gdb-wait", NULL, OPT_GDB_WAIT, "with --gdb: wait for gdb before the first instruction" },
    { "tlb", "SPEC", OPT_TLB, "model the TLBs: skylake, zen2, tiny, or a spec (docs/tlb.md)" },
    { "tlb-mode", "MODE", OPT_TLB_MODE,
      "fast (default: the model answers QEMU's TLB misses) or precise (every access)" },
    { "tlb-check", NULL, OPT_TLB_CHECK,
      "report stale TLB entries used (missing invalidations) on stderr and --events" },
    { "stats", NULL, OPT_STATS, "print the machine's and the TLB model's counters on stderr" },
    { "add", "FILE", OPT_ADD, "with PROGRAM: put FILE on its volume too (repeatable)" },
    { "pagefile", "FILE", OPT_PAGEFILE,
      "the paging file, disk 1 (created or emptied; default: a temporary file)" },
    { "pagefile-size", "SIZE", OPT_PAGEFILE_SIZE,
      "its size in whole pages, 4K to 16G, or 0 for none (default: the RAM, at least 64M)" },
    { "data", "FILE", OPT_DATA,
      "attach FILE (a ustar archive) read-write as disk 2, the data volume" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "run",
    .usage = "[--kernel ELF] [--ram SIZE] [--disk FILE]... [--data FILE.tar] [--max-insns N]\n"
             "                  [--trace FILE] [--events FILE] [--stats-json FILE] [--cmdline TEXT]\n"
             "                  [--pagefile FILE] [--pagefile-size SIZE]\n"
             "                  [--tlb SPEC [--tlb-mode fast|precise] [--tlb-check]] [--stats]\n"
             "                  [--gdb PORT [--gdb-wait]]\n"
             "       mmulab run [OPTIONS] [--add FILE]... PROGRAM [ARGS...]",
    .summary =
        "Boots an ELF64 kernel on the emulated machine (one x86-64 CPU whose every\n"
        "translation goes through mmulab's MMU; a 16550 UART, the port-0xE9 debug\n"
        "console, a local APIC timer, disks, an exit port) and runs it.  Virtual time\n"
        "counts executed instructions, so the same kernel, disks and arguments give the\n"
        "same output, instruction count and event log on every run.\n"
        "\n"
        "With --tlb, translations go through a model of the processor's TLBs and\n"
        "paging-structure caches (docs/tlb.md): a cached translation is used until it\n"
        "is evicted or invalidated, stale or not, as on hardware.  Fast mode asks the\n"
        "model when QEMU's own TLB misses: about as fast as without a model; first-\n"
        "level hits are lower bounds, walks and fills exact for data accesses with\n"
        "fifo or random replacement or without evictions (approximate otherwise).\n"
        "Precise mode presents every access: exact counts under every policy, fully\n"
        "deterministic, some 30 times slower.  --tlb-check sees what the model sees:\n"
        "every access in precise mode, QEMU's TLB misses in fast mode.  Without --tlb\n"
        "there is no model: QEMU's TLB caches what the walker answers.\n"
        "\n"
        "With PROGRAM (a PE or ELF file, or a program bundled into mmulab: hello,\n"
        "vmtour, sparse, guard, dep, nullptr, share, procs, thrash, mapview,\n"
        "largepages), mmulab packs PROGRAM, ntdll.dll, kernel32.dll and every\n"
        "--add FILE into a ustar volume as disk 0, boots the built-in kernel with\n"
        "'quiet run=PROGRAM ARGS...' and exits with the program's exit status\n"
        "(docs/programs.md).  Options go before PROGRAM; everything after it is\n"
        "the program's.\n"
        "\n"
        "--data FILE.tar attaches a ustar archive as disk 2, the data volume:\n"
        "programs open its files by base name (CreateFileA) and map them\n"
        "(CreateFileMappingA); what they write goes back into the archive, in\n"
        "place, and is there when mmulab exits.\n"
        "\n"
        "The paging file is disk 1 (the NT-like kernel pages to it: docs/paging.md):\n"
        "a temporary file of the RAM's size (at least 64M) unless --pagefile /\n"
        "--pagefile-size say otherwise; none when --disk already gives disk 1 or\n"
        "--pagefile-size is 0.  The commit limit is about the RAM plus its size.\n"
        "\n"
        "Exit status: the value the guest writes to the exit port (with PROGRAM: its\n"
        "exit status if 0 to 119, else 1 and the kernel prints the status); 121\n"
        "triple fault, 122 instruction limit, 123 halted with nothing to wake it,\n"
        "124 machine error, 125 killed by the debugger, 2 bad usage, 1 the kernel or\n"
        "the program's volume could not be prepared.",
    .options = options,
};

#define MAX_RAM (3ull << 30)

struct run_args {
    const char *kernel, *trace, *events, *stats, *cmdline, *console, *uart_input, *data;
    uint64_t ram, max_insns;
    bool gdb, gdb_wait;
    unsigned gdb_port;
    const char *disk[DEV_DISK_MAX];
    bool disk_ro[DEV_DISK_MAX];
    unsigned ndisks;
    bool tlb, tlb_check, print_stats;
    int tlb_mode;              /* enum tlbm_mode, or -1 when not given */
    struct tlb_config tlb_cfg;
    struct program_request program; /* .program NULL: no PROGRAM */
    const char *adds[MAX_ADDS];
    const char *pagefile;      /* --pagefile FILE, or NULL */
    uint64_t pagefile_size;
    bool pagefile_size_given;
};

static FILE *open_output(const char *cmd, const char *path)
{
    if (strcmp(path, "-") == 0)
        return stderr;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "mmulab %s: cannot write %s: %s\n", cmd, path, strerror(errno));
    return f;
}

static void close_output(FILE *f)
{
    if (f && f != stderr && f != stdout)
        fclose(f);
}

/* "\n" and "\\" escapes in --uart-input. */
static char *unescape(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    for (; out && *s; s++) {
        if (s[0] == '\\' && s[1] == 'n')
            *o++ = '\n', s++;
        else if (s[0] == '\\' && s[1] == '\\')
            *o++ = '\\', s++;
        else
            *o++ = *s;
    }
    if (out)
        *o = '\0';
    return out;
}

static bool open_kernel(const struct run_args *a, struct elf_image *img, struct loader_error *err)
{
    if (a->kernel)
        return elf_image_open(img, a->kernel, err);
    return elf_image_open_mem(img, mmulab_default_kernel, mmulab_default_kernel_size,
                              "built-in kernel", err);
}

static void parse(int argc, char **argv, struct run_args *a)
{
    struct cli c;
    cli_begin(&c, &command, argc, argv);
    for (int id; (id = cli_next(&c));) {
        switch (id) {
        case OPT_KERNEL: a->kernel = c.value; break;
        case OPT_RAM: a->ram = cli_size(&c, 4ull << 20, MAX_RAM); break;
        case OPT_DISK:
        case OPT_DISK_RO:
            if (a->ndisks == DEV_DISK_MAX)
                cli_usage_error(&c, "at most %d disks", DEV_DISK_MAX);
            a->disk_ro[a->ndisks] = id == OPT_DISK_RO;
            a->disk[a->ndisks++] = c.value;
            break;
        case OPT_MAX_INSNS: a->max_insns = cli_u64(&c, 1, UINT64_MAX); break;
        case OPT_TRACE: a->trace = c.value; break;
        case OPT_EVENTS: a->events = c.value; break;
        case OPT_STATS_JSON: a->stats = c.value; break;
        case OPT_CMDLINE: a->cmdline = c.value; break;
        case OPT_UART_INPUT: a->uart_input = c.value; break;
        case OPT_CONSOLE: a->console = c.value; break;
        case OPT_GDB: a->gdb = true, a->gdb_port = (unsigned)cli_u64(&c, 0, 65535); break;
        case OPT_GDB_WAIT: a->gdb_wait = true; break;
        case OPT_TLB: {
            char err[256];
            if (!tlb_parse(c.value, &a->tlb_cfg, err, sizeof err))
                cli_usage_error(&c, "--tlb: %s", err);
            a->tlb = true;
            break;
        }
        case OPT_TLB_MODE: {
            static const char *const modes[] = { "fast", "precise", NULL };
            a->tlb_mode = cli_choice(&c, modes) == 1 ? TLBM_PRECISE : TLBM_FAST;
            break;
        }
        case OPT_TLB_CHECK: a->tlb_check = true; break;
        case OPT_STATS: a->print_stats = true; break;
        case OPT_DATA: a->data = c.value; break;
        case OPT_ADD:
            if (a->program.nadds == MAX_ADDS)
                cli_usage_error(&c, "at most %d --add files", MAX_ADDS);
            a->adds[a->program.nadds++] = c.value;
            break;
        case OPT_PAGEFILE: a->pagefile = c.value; break;
        case OPT_PAGEFILE_SIZE:
            a->pagefile_size = cli_size(&c, 0, PAGEFILE_MAX);
            if (a->pagefile_size % PAGEFILE_UNIT)
                cli_usage_error(&c, "--pagefile-size: %s is not a whole number of %llu-byte "
                                "pages", c.value, (unsigned long long)PAGEFILE_UNIT);
            if (a->pagefile_size && a->pagefile_size < PAGEFILE_UNIT)
                cli_usage_error(&c, "--pagefile-size: %s is less than a page", c.value);
            a->pagefile_size_given = true;
            break;
        }
    }
    if (c.i < argc) {
        a->program.program = argv[c.i];
        a->program.args = argv + c.i + 1;
        a->program.nargs = argc - c.i - 1;
        a->program.adds = a->adds;
        a->program.kernel_options = a->cmdline;
        c.i = argc;
    }
    if (a->program.nadds && !a->program.program)
        cli_usage_error(&c, "--add needs a PROGRAM to run");
    if (a->program.program && a->ndisks)
        cli_usage_error(&c, "--disk cannot be used with PROGRAM: its volume is disk 0");
    if (a->data && a->ndisks > DEV_DISK_DATA)
        cli_usage_error(&c, "--data is disk %d: give at most %d --disk with it", DEV_DISK_DATA,
                        DEV_DISK_DATA);
    if (a->gdb_wait && !a->gdb)
        cli_usage_error(&c, "--gdb-wait needs --gdb PORT");
    if (c.i < argc)
        cli_usage_error(&c, "unexpected argument '%s'", argv[c.i]);
    if (a->pagefile && a->pagefile_size_given && !a->pagefile_size)
        cli_usage_error(&c, "--pagefile %s with --pagefile-size 0: a paging file of no size",
                        a->pagefile);
    if ((a->pagefile || a->pagefile_size) && a->ndisks > DEV_DISK_PAGEFILE)
        cli_usage_error(&c, "--%s: disk 1 is the paging file, but --disk gave %u disks",
                        a->pagefile ? "pagefile" : "pagefile-size", a->ndisks);
    if (!a->tlb && (a->tlb_mode >= 0 || a->tlb_check))
        cli_usage_error(&c, "--%s needs a TLB model: give --tlb SPEC",
                        a->tlb_check ? "tlb-check" : "tlb-mode");
}

int cmd_run(int argc, char **argv)
{
    struct run_args a = { .ram = 128ull << 20, .tlb_mode = -1 };
    parse(argc, argv, &a);

    int status = 1;
    struct program_run prog = { 0 };
    char dmsg[768];
    if (a.data && !datavol_check(a.data, dmsg, sizeof dmsg)) {
        fprintf(stderr, "mmulab run: %s\n", dmsg);
        return 1;
    }
    if (a.program.program) {
        char msg[768];
        enum program_status ps = program_prepare(&a.program, &prog, msg, sizeof msg);
        if (ps != PROGRAM_OK) {
            fprintf(stderr, "mmulab run: %s\n", msg);
            return ps == PROGRAM_USAGE ? CLI_EXIT_USAGE : 1;
        }
        a.disk[0] = prog.volume;
        a.disk_ro[0] = true;
        a.ndisks = 1;
        a.cmdline = prog.cmdline;
    }
    struct elf_image img;
    struct loader_error lerr;
    if (!open_kernel(&a, &img, &lerr)) {
        fprintf(stderr, "mmulab run: %s\n", lerr.msg);
        program_cleanup(&prog);
        return 1;
    }
    char *uart_in = a.uart_input ? unescape(a.uart_input) : NULL;
    struct machine_config cfg = { .ram_size = a.ram, .max_insns = a.max_insns,
                                  .console = stdout, .uart_input = uart_in,
                                  .tlb = a.tlb ? &a.tlb_cfg : NULL,
                                  .tlb_mode = a.tlb_mode < 0 ? TLBM_FAST : a.tlb_mode,
                                  .tlb_check = a.tlb_check };
    for (unsigned i = 0; i < a.ndisks; i++) {
        cfg.disk_path[i] = a.disk[i];
        cfg.disk_read_only[i] = a.disk_ro[i];
    }
    char pagefile[512], err[512];
    bool pagefile_temp = false;
    if (a.pagefile || (a.pagefile_size_given ? a.pagefile_size != 0 : a.ndisks <= DEV_DISK_PAGEFILE)) {
        uint64_t size = a.pagefile_size_given ? a.pagefile_size : pagefile_default_size(a.ram);
        if (!pagefile_create(a.pagefile, size, pagefile, sizeof pagefile, &pagefile_temp, err,
                             sizeof err)) {
            fprintf(stderr, "mmulab run: %s\n", err);
            goto out;
        }
        cfg.disk_path[DEV_DISK_PAGEFILE] = pagefile;
        cfg.disk_read_only[DEV_DISK_PAGEFILE] = false;
    }
    if (a.data)
        cfg.disk_path[DEV_DISK_DATA] = a.data; /* read-write */
    if ((a.trace && !(cfg.trace = open_output("run", a.trace))) ||
        (a.events && !(cfg.events = open_output("run", a.events))) ||
        (a.console && !(cfg.console = open_output("run", a.console))))
        goto out;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct machine *m = machine_new(&cfg, err, sizeof err);
    if (prog.volume[0]) /* the machine has the volume open; its name can go */
        unlink(prog.volume), prog.volume[0] = 0;
    if (pagefile_temp) /* the same for a temporary paging file */
        unlink(pagefile), pagefile_temp = false;
    if (!m) {
        fprintf(stderr, "mmulab run: %s\n", err);
        goto out;
    }
    struct boot_params bp = { .cmdline = a.cmdline };
    for (unsigned i = 0; i < DEV_DISK_MAX; i++) {
        bp.disk[i].present = m->disk[i].file != NULL;
        bp.disk[i].read_only = m->disk[i].read_only;
        bp.disk[i].sectors = m->disk[i].sectors;
        bp.disk[i].name = m->disk[i].name;
    }
    if (!machine_load_kernel(m, &img, &bp, &lerr)) {
        fprintf(stderr, "mmulab run: %s\n", lerr.msg);
        machine_free(m);
        goto out;
    }
    status = a.gdb ? gdbtarget_run(m, a.gdb_port, a.gdb_wait) : machine_run(m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fflush(cfg.console);
    if (m->stop != STOP_EXIT_PORT)
        machine_report(m, stderr);
    if (a.print_stats)
        machine_print_stats(m, stderr);
    if (a.stats) {
        FILE *f = open_output("run", a.stats);
        if (f) {
            double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            machine_stats_json(m, f, secs);
            close_output(f);
        }
    }
    machine_free(m);
out:
    if (pagefile_temp)
        unlink(pagefile);
    close_output(cfg.trace);
    close_output(cfg.events);
    close_output(cfg.console == stdout ? NULL : cfg.console);
    free(uart_in);
    elf_image_close(&img);
    program_cleanup(&prog);
    return status;
}
