/*
 * stdlib.c - the <stdlib.h> functions our programs use: exit and abort,
 * number parsing, and malloc and friends on the process heap (as msvcrt's
 * are on its heap).
 */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

void exit(int status)
{
    ExitProcess((UINT)status);
}

/* msvcrt's abort ends the process with exit code 3. */
void abort(void)
{
    ExitProcess(3);
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* strtoul's parse: spaces, a sign, a 0x/0 prefix for base 16/0, digits.
 * Overflow wraps (no errno here). */
unsigned long long strtoull(const char *s, char **end, int base)
{
    const char *p = s;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    unsigned long long v = 0;
    const char *digits = p;
    for (; digit_value(*p) < base; p++)
        v = v * (unsigned)base + (unsigned)digit_value(*p);
    if (end)
        *end = (char *)(p == digits ? s : p);
    return neg ? 0 - v : v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    return (unsigned long)strtoull(s, end, base);
}

long strtol(const char *s, char **end, int base)
{
    return (long)strtoull(s, end, base);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

void *malloc(size_t size)
{
    return HeapAlloc(GetProcessHeap(), 0, size);
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, count * size);
}

void *realloc(void *p, size_t size)
{
    if (!p)
        return malloc(size);
    return HeapReAlloc(GetProcessHeap(), 0, p, size);
}

void free(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}
