/*
 * string.c - memory and string functions for freestanding guest code.
 *
 * memcpy and memset move eight bytes per step when they can, and never use
 * REP string instructions: the machine runs each iteration of one as a
 * block of its own (docs/machine.md, "Virtual time").
 */
#include "guest/lib/lib.h"

/* Eight bytes at a time; may alias anything, as memcpy's arguments may. */
typedef uint64_t __attribute__((may_alias)) word;

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 32; n -= 32, d += 32, s += 32) {
            const word *s8 = (const word *)s;
            word *d8 = (word *)d;
            d8[0] = s8[0], d8[1] = s8[1], d8[2] = s8[2], d8[3] = s8[3];
        }
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(word *)d = *(const word *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s || d >= s + n) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    for (; n > 0 && ((uintptr_t)d & 7); n--)
        *d++ = (unsigned char)c;
    uint64_t v = 0x0101010101010101ull * (unsigned char)c;
    for (; n >= 32; n -= 32, d += 32) {
        word *d8 = (word *)d;
        d8[0] = v, d8[1] = v, d8[2] = v, d8[3] = v;
    }
    for (; n >= 8; n -= 8, d += 8)
        *(word *)d = v;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++)
        if (*a != *b || !*a)
            return (unsigned char)*a - (unsigned char)*b;
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return 0;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = 0;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++))
        ;
    return dst;
}

char *strcat(char *dst, const char *src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (!strncmp(haystack, needle, n))
            return (char *)haystack;
    return *needle ? 0 : (char *)haystack;
}
