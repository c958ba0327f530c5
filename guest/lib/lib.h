/*
 * lib.h - the guest's freestanding runtime: memory and string functions (the
 * compiler may call memcpy/memset/memmove/memcmp itself), a printf engine,
 * and the console.
 */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *dst, const char *src);
char *strcat(char *dst, const char *src);
char *strstr(const char *haystack, const char *needle);

/* printf-style formatting into a sink: %d %i %u %x %X %p %s %c %%, with
 * flags '-' '0', a width, a precision for %s, and the l, ll, z length
 * modifiers. */
typedef void (*fmt_sink)(void *ctx, char c);
int vformat(fmt_sink put, void *ctx, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* The console: the 16550 UART, polled. */
void console_putc(char c);
void console_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

/* Stop the machine; status becomes mmulab's exit status. */
__attribute__((noreturn)) void machine_exit(uint32_t status);

#endif /* GUEST_LIB_H */
