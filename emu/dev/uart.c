/*
 * uart.c - a 16550-compatible UART at COM1 (0x3f8), polled.  Transmit always
 * completes at once (THRE and TEMT stay set); received bytes come from the
 * --uart-input text, so runs stay deterministic.  Divisor latch, FIFO and
 * modem registers are accepted and ignored.
 */
#include <stdio.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"

uint32_t uart_in(struct machine *m, unsigned offset, int size)
{
    struct uart *u = &m->uart;
    (void)size;
    switch (offset) {
    case UART_RBR:
        if (u->lcr & 0x80)
            return 0x01; /* divisor latch low */
        return (u->in && *u->in) ? (uint8_t)*u->in++ : 0;
    case UART_IER: return u->ier;
    case UART_IIR: return 0x01; /* no interrupt pending */
    case UART_LCR: return u->lcr;
    case UART_MCR: return u->mcr;
    case UART_LSR:
        return UART_LSR_THRE | UART_LSR_TEMT | ((u->in && *u->in) ? UART_LSR_DR : 0);
    case UART_MSR: return 0xb0; /* CTS, DSR, DCD */
    case UART_SCR: return u->scr;
    }
    return 0xff;
}

void uart_out(struct machine *m, unsigned offset, int size, uint32_t value)
{
    struct uart *u = &m->uart;
    (void)size;
    switch (offset) {
    case UART_THR:
        if (!(u->lcr & 0x80) && u->out)
            fputc((int)(value & 0xff), u->out);
        break;
    case UART_IER: u->ier = (uint8_t)value; break;
    case UART_LCR: u->lcr = (uint8_t)value; break;
    case UART_MCR: u->mcr = (uint8_t)value; break;
    case UART_SCR: u->scr = (uint8_t)value; break;
    default: break;
    }
}
