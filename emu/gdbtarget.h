/*
 * gdbtarget.h - the machine as a gdb target (gdbtarget.c): the callbacks the
 * stub (emu/gdbstub/) needs, and the few hooks through which the run loop
 * lets a debugger stop it.
 *
 * Without --gdb, m->gdb is NULL and none of this runs.  With it, the run loop
 * calls:
 *   gdbtarget_on_block()   from the block hook (vtime.c), before it decides
 *                          whether the block may start: lowers the deadline
 *                          to a breakpoint's instruction, the end of a single
 *                          step, or "now" when it is time to poll the socket;
 *   gdbtarget_traps()      at the top of each turn of the run loop: a step
 *                          that completed or a watchpoint that fired is
 *                          reported (after the instruction, before any
 *                          interrupt is taken, as x86 debug traps are);
 *   gdbtarget_breaks()     before the CPU runs or idles: a breakpoint at RIP,
 *                          Ctrl-C, a debugger that just attached;
 *   gdbtarget_owns_exit()  in handle_exit: the run was stopped by our
 *                          watchpoint hook, not by the guest.
 * The first two serve gdb (the machine stands still while gdb holds it) and
 * return true when gdb killed the machine.
 */
#ifndef EMU_GDBTARGET_H
#define EMU_GDBTARGET_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* Exit status of `mmulab run` when the debugger kills the machine. */
#define EXIT_DEBUGGER_KILL 125

/*
 * Run the machine (instead of machine_run) with a gdb stub listening on
 * 127.0.0.1:port (0: any free port; the port is printed on stderr).  With
 * wait, the first instruction waits until gdb attaches and resumes.  Returns
 * the machine's exit status, or 1 if the stub could not listen.
 */
int gdbtarget_run(struct machine *m, unsigned port, bool wait);

/* The run loop's hooks (see above). */
void gdbtarget_on_block(struct machine *m, uint64_t va, uint32_t size);
bool gdbtarget_traps(struct machine *m);
bool gdbtarget_breaks(struct machine *m);
bool gdbtarget_owns_exit(struct machine *m);

#endif /* EMU_GDBTARGET_H */
