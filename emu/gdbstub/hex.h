/*
 * hex.h - hexadecimal text as the remote protocol writes numbers and data,
 * and a bounded cursor to parse packet payloads.  Payloads are byte ranges,
 * not C strings: binary packets (X) may contain NUL bytes.
 */
#ifndef EMU_GDBSTUB_HEX_H
#define EMU_GDBSTUB_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value of a hex digit (either case), or -1. */
int hex_value(int c);
/* Lower-case digit for v & 15. */
char hex_digit(unsigned v);

/* Write 2*n lower-case digits for in[0..n) to out (no terminator). */
void hex_encode(char *out, const uint8_t *in, size_t n);
/* Decode exactly 2*n digits from in into out[0..n); false on a non-digit. */
bool hex_decode(uint8_t *out, const char *in, size_t n);

/* A read position in a payload. */
struct cursor {
    const char *p, *end;
};

static inline size_t cursor_left(const struct cursor *c)
{
    return (size_t)(c->end - c->p);
}

/* Consume ch if it is next. */
bool cursor_eat(struct cursor *c, char ch);
/* Consume the literal s if it comes next. */
bool cursor_eat_str(struct cursor *c, const char *s);
/* A hex number of 1..16 digits; false (cursor unmoved) if none or it overflows. */
bool cursor_hex_u64(struct cursor *c, uint64_t *out);
/* "addr,len" as the memory and breakpoint packets write it. */
bool cursor_addr_len(struct cursor *c, uint64_t *addr, uint64_t *len);

#endif /* EMU_GDBSTUB_HEX_H */
