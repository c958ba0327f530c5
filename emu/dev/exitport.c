/*
 * exitport.c - the exit port: a 32-bit OUT to port 0xf4 stops the machine,
 * and the low byte of the value becomes mmulab's exit status.
 */
#include "emu/dev/dev.h"
#include "emu/machine.h"

uint32_t exitport_in(struct machine *m, unsigned offset, int size)
{
    (void)m, (void)offset, (void)size;
    return 0;
}

void exitport_out(struct machine *m, unsigned offset, int size, uint32_t value)
{
    (void)offset, (void)size;
    /* The machine stops after this instruction; Unicorn may run on to the
     * end of the block, but those instructions are not counted and their
     * port and MMIO accesses go nowhere (io.c). */
    m->exit_time = vtime_io_time(m) + 1;
    machine_event(m, "exit port: %u", value);
    machine_request_stop(m, STOP_EXIT_PORT, (int)(value & 0xff));
}
