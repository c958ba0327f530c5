/*
 * commands.h - the subcommands of the mmulab binary.  Each takes argv with
 * argv[0] = its last name word and follows the conventions of cli.h.
 */
#ifndef EMU_COMMANDS_H
#define EMU_COMMANDS_H

int cmd_pagewalk(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_selftest_walk(int argc, char **argv);
int cmd_bench_walk(int argc, char **argv);
int cmd_bench_machine(int argc, char **argv);
int cmd_bench_tlb(int argc, char **argv);
int cmd_bench_kernel(int argc, char **argv);
int cmd_bench_paging(int argc, char **argv);



#endif /* EMU_COMMANDS_H */
