/*
 * tap.c - TAP output (see tap.h).
 */
#include <stdarg.h>
#include <stddef.h>

#include "guest/lib/tap.h"

int printf(const char *fmt, ...);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

static unsigned tap_n, tap_failed, tap_planned;

void tap_plan(unsigned n)
{
    tap_planned = n;
    printf("1..%u\n", n);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %u - %s\n", cond ? "" : "not ", tap_n, line);
    return cond;
}

bool tap_eq(uint64_t got, uint64_t want, const char *what)
{
    if (got == want)
        return tap_ok(true, "%s = 0x%llx", what, (unsigned long long)got);
    return tap_ok(false, "%s = 0x%llx, expected 0x%llx", what, (unsigned long long)got,
                  (unsigned long long)want);
}

int tap_done(void)
{
    if (tap_n != tap_planned)
        printf("# planned %u checks, ran %u\n", tap_planned, tap_n);
    return tap_failed || tap_n != tap_planned ? 1 : 0;
}
