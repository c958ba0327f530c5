/*
 * hex.c - hex digits, hex data and payload parsing (see hex.h).
 */
#include <string.h>

#include "emu/gdbstub/hex.h"

int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char hex_digit(unsigned v)
{
    return "0123456789abcdef"[v & 15];
}

void hex_encode(char *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digit(in[i] >> 4);
        out[2 * i + 1] = hex_digit(in[i]);
    }
}

bool hex_decode(uint8_t *out, const char *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value((unsigned char)in[2 * i]);
        int lo = hex_value((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool cursor_eat(struct cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

bool cursor_eat_str(struct cursor *c, const char *s)
{
    size_t n = strlen(s);
    if (cursor_left(c) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}

bool cursor_hex_u64(struct cursor *c, uint64_t *out)
{
    const char *p = c->p;
    uint64_t v = 0;
    int digits = 0, d;
    while (p < c->end && (d = hex_value((unsigned char)*p)) >= 0) {
        /* Leading zeros are harmless; a 17th significant digit overflows. */
        if (v >> 60)
            return false;
        v = v << 4 | (uint64_t)d;
        digits++;
        p++;
    }
    if (digits == 0)
        return false;
    c->p = p;
    *out = v;
    return true;
}

bool cursor_addr_len(struct cursor *c, uint64_t *addr, uint64_t *len)
{
    struct cursor save = *c;
    if (cursor_hex_u64(c, addr) && cursor_eat(c, ',') && cursor_hex_u64(c, len))
        return true;
    *c = save;
    return false;
}
