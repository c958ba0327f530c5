/*
 * main.c - the mmulab binary: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "emu/cli.h"
#include "emu/commands.h"

struct command {
    const char *group; /* NULL, or "bench" / "selftest" */
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { NULL, "run", cmd_run, "boot a kernel on the machine and run it" },
    { NULL, "pagewalk", cmd_pagewalk, "walk a demonstration page-table hierarchy, level by level" },
    { "selftest", "walk", cmd_selftest_walk,
      "compare the MMU walker with QEMU's and with an SDM rules oracle" },
    { "bench", "walk", cmd_bench_walk, "nanoseconds per page walk, for each paging mode" },
    { "bench", "machine", cmd_bench_machine,
      "the machine against raw Unicorn; TLB fill, system call, page fault, boot" },
    { "bench", "tlb", cmd_bench_tlb,
      "the TLB model on the machine: speed (fast, precise) and reach (4 KB vs 2 MB pages)" },
    { "bench", "kernel", cmd_bench_kernel,
      "the guest kernel: system call and page fault round trips, switches" },
    { "bench", "paging", cmd_bench_paging,
      "the guest kernel's paging: page-out and page-in rates, transition vs paging-file faults" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: mmulab COMMAND [OPTIONS]\n\n"
                 "mmulab is an x86 machine emulator whose MMU is its own.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char name[48];
        snprintf(name, sizeof name, "%s%s%s", commands[i].group ? commands[i].group : "",
                 commands[i].group ? " " : "", commands[i].name);
        fprintf(out, "  %-18s %s\n", name, commands[i].summary);
    }
    fprintf(out, "\n'mmulab COMMAND --help' describes a command's options.\n"
                 "Exit status: 0 success, 1 failure, 2 bad usage.\n");
}

static int group_usage(const char *group, const char *bad)
{
    if (bad)
        fprintf(stderr, "mmulab %s: unknown subcommand '%s'\n", group, bad);
    fprintf(bad ? stderr : stdout, "usage: mmulab %s SUBCOMMAND [OPTIONS]\n\nsubcommands:\n", group);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].group && strcmp(commands[i].group, group) == 0)
            fprintf(bad ? stderr : stdout, "  %-10s %s\n", commands[i].name, commands[i].summary);
    return bad ? CLI_EXIT_USAGE : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("mmulab %s\n", MMULAB_VERSION);
        return 0;
    }
    bool is_group = false;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const struct command *c = &commands[i];
        if (!c->group && strcmp(c->name, name) == 0)
            return c->run(argc - 1, argv + 1);
        if (c->group && strcmp(c->group, name) == 0)
            is_group = true;
    }
    if (is_group) {
        if (argc < 3 || argv[2][0] == '-')
            return group_usage(name, argc < 3 || !strcmp(argv[2], "--help") ||
                                              !strcmp(argv[2], "-h") ? NULL : argv[2]);
        for (size_t i = 0; i < NCOMMANDS; i++)
            if (commands[i].group && strcmp(commands[i].group, name) == 0 &&
                strcmp(commands[i].name, argv[2]) == 0)
                return commands[i].run(argc - 2, argv + 2);
        return group_usage(name, argv[2]);
    }
    fprintf(stderr, "mmulab: unknown command '%s'\nTry 'mmulab --help'.\n", name);
    return CLI_EXIT_USAGE;
}
