/*
 * console.c - console output on the 16550 UART (polled), and the exit port.
 */
#include "guest/lib/lib.h"
#include "guest/lib/x86.h"
#include "shared/devices.h"

void console_putc(char c)
{
    while (!(inb(DEV_UART_PORT + UART_LSR) & UART_LSR_THRE))
        pause();
    outb(DEV_UART_PORT + UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        console_putc(s[i]);
}

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    console_putc(c);
}

int vkprintf(const char *fmt, va_list ap)
{
    return vformat(console_sink, 0, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}

void machine_exit(uint32_t status)
{
    outl(DEV_EXIT_PORT, status);
    for (;;)
        hlt();
}
