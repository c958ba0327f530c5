/*
 * stdio.c - the printf family on the console: printf, vprintf, puts,
 * putchar; sprintf, vsprintf; and what mingw-w64's inline snprintf and
 * vsnprintf call (__ms_vsnprintf, __ms_snprintf, _vscprintf, _scprintf).
 * The conversions are guest/lib/fmt.c's subset: %d %i %u %x %X %p %s %c %%
 * with the '-' and '0' flags, a width, a precision for %s (%.8s), and the
 * l, ll and z modifiers (l is
 * 32 bits, as on Windows).  Output goes to the standard output handle with
 * WriteFile, unbuffered between calls, so it interleaves in order with
 * anything else written to the console.
 */
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef void (*fmt_sink)(void *ctx, char c);
int vformat(fmt_sink put, void *ctx, const char *fmt, va_list ap);
/* guest/lib/fmt.c's vsnprintf: here <stdio.h> makes the name an inline
 * wrapper around __ms_vsnprintf, so it is reached by its symbol. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __asm__("vsnprintf");

struct console_buffer {
    char buf[512];
    DWORD n;
};

static void flush(struct console_buffer *b)
{
    DWORD written;
    if (b->n)
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), b->buf, b->n, &written, NULL);
    b->n = 0;
}

static void put(void *ctx, char c)
{
    struct console_buffer *b = ctx;
    b->buf[b->n++] = c;
    if (b->n == sizeof b->buf)
        flush(b);
}

int vprintf(const char *format, va_list ap)
{
    struct console_buffer b;
    b.n = 0;
    int n = vformat(put, &b, format, ap);
    flush(&b);
    return n;
}

int printf(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vprintf(format, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    return printf("%s\n", s) < 0 ? EOF : 0;
}

int putchar(int c)
{
    char ch = (char)c;
    DWORD written;
    return WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), &ch, 1, &written, NULL) ? (unsigned char)c
                                                                              : EOF;
}

int __ms_vsnprintf(char *buf, size_t size, const char *format, va_list ap)
{
    return fmt_vsnprintf(buf, size, format, ap);
}

int __ms_snprintf(char *buf, size_t size, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = fmt_vsnprintf(buf, size, format, ap);
    va_end(ap);
    return n;
}

/* The length the output would have.  <stdio.h> declares these two as
 * msvcrt imports (calls go through __imp_ pointers), so the pointers are
 * what we define. */
static int crt_vscprintf(const char *format, va_list ap)
{
    return fmt_vsnprintf(NULL, 0, format, ap);
}

static int crt_scprintf(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = crt_vscprintf(format, ap);
    va_end(ap);
    return n;
}

int (*const crt_imp_vscprintf)(const char *, va_list) __asm__("__imp__vscprintf") = crt_vscprintf;
int (*const crt_imp_scprintf)(const char *, ...) __asm__("__imp__scprintf") = crt_scprintf;

int vsprintf(char *buf, const char *format, va_list ap)
{
    return fmt_vsnprintf(buf, (size_t)-1 / 2, format, ap);
}

int sprintf(char *buf, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsprintf(buf, format, ap);
    va_end(ap);
    return n;
}
