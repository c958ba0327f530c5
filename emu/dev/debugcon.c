/*
 * debugcon.c - the port-0xE9 debug console (the Bochs and QEMU convention):
 * a byte written appears on the console; a read returns 0xE9, which is how
 * a guest detects the port.
 */
#include <stdio.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"

uint32_t debugcon_in(struct machine *m, unsigned offset, int size)
{
    (void)m, (void)offset, (void)size;
    return DEV_DEBUGCON_PORT;
}

void debugcon_out(struct machine *m, unsigned offset, int size, uint32_t value)
{
    (void)offset, (void)size;
    if (m->uart.out)
        fputc((int)(value & 0xff), m->uart.out);
}
