/*
 * uart.c - the 16550's receive side, fed by --uart-input "ab\n": LSR.DR
 * says a byte waits, RBR returns them in order, then DR clears.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

void ktest_main(void)
{
    tap_plan(6);
    tap_ok(inb(DEV_UART_PORT + UART_LSR) & UART_LSR_DR, "LSR.DR: input waiting");
    tap_eq(inb(DEV_UART_PORT + UART_RBR), 'a', "first byte");
    tap_eq(inb(DEV_UART_PORT + UART_RBR), 'b', "second byte");
    tap_eq(inb(DEV_UART_PORT + UART_RBR), '\n', "the newline escape");
    tap_ok(!(inb(DEV_UART_PORT + UART_LSR) & UART_LSR_DR), "LSR.DR clear once drained");
    tap_ok((inb(DEV_UART_PORT + UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT)) ==
               (UART_LSR_THRE | UART_LSR_TEMT),
           "LSR: transmitter always ready");
}
