/*
 * fmt.c - a printf engine for freestanding guest code.
 */
#include <stdbool.h>

#include "guest/lib/lib.h"

struct spec {
    bool left, zero;
    int width;
    int precision; /* -1: none; for %s, the most characters to print */
    int length; /* 0, 'l', 'L' (ll), 'z' (size_t: not long where long is 32 bits, as on Windows) */
};

static int emit(fmt_sink put, void *ctx, const char *s, size_t n, const struct spec *sp, bool num)
{
    int pad = sp->width > (int)n ? sp->width - (int)n : 0, out = 0;
    char fill = (sp->zero && num && !sp->left) ? '0' : ' ';
    size_t i = 0;
    if (fill == '0' && n && (s[0] == '-')) { /* sign before zero padding */
        put(ctx, '-');
        out++, i = 1;
    }
    for (; !sp->left && pad > 0; pad--, out++)
        put(ctx, fill);
    for (; i < n; i++, out++)
        put(ctx, s[i]);
    for (; sp->left && pad > 0; pad--, out++)
        put(ctx, ' ');
    return out;
}

static int number(fmt_sink put, void *ctx, unsigned long long v, bool neg, unsigned base,
                  bool upper, const struct spec *sp)
{
    char buf[24];
    int i = sizeof buf;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        buf[--i] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[--i] = '-';
    return emit(put, ctx, buf + i, sizeof buf - (size_t)i, sp, true);
}

int vformat(fmt_sink put, void *ctx, const char *fmt, va_list ap)
{
    int out = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(ctx, *fmt);
            out++;
            continue;
        }
        struct spec sp = { .precision = -1 };
        for (fmt++;; fmt++) {
            if (*fmt == '-')
                sp.left = true;
            else if (*fmt == '0')
                sp.zero = true;
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            sp.width = sp.width * 10 + (*fmt++ - '0');
        if (*fmt == '.')
            for (sp.precision = 0, fmt++; *fmt >= '0' && *fmt <= '9';)
                sp.precision = sp.precision * 10 + (*fmt++ - '0');
        if (*fmt == 'l') {
            sp.length = 'l';
            if (*++fmt == 'l')
                sp.length = 'L', fmt++;
        } else if (*fmt == 'z') {
            sp.length = 'z', fmt++;
        }
        unsigned long long u;
        long long s;
        switch (*fmt) {
        case 'd':
        case 'i':
            s = sp.length == 'L' ? va_arg(ap, long long)
              : sp.length == 'z' ? (long long)va_arg(ap, ptrdiff_t)
              : sp.length ? va_arg(ap, long) : va_arg(ap, int);
            out += number(put, ctx, s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s,
                          s < 0, 10, false, &sp);
            break;
        case 'u':
        case 'x':
        case 'X':
            u = sp.length == 'L' ? va_arg(ap, unsigned long long)
              : sp.length == 'z' ? va_arg(ap, size_t)
              : sp.length ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            out += number(put, ctx, u, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', &sp);
            break;
        case 'p':
            put(ctx, '0'), put(ctx, 'x');
            out += 2 + number(put, ctx, (unsigned long long)(uintptr_t)va_arg(ap, void *), false,
                              16, false, &sp);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            size_t n = 0;
            while (str[n] && (sp.precision < 0 || n < (size_t)sp.precision))
                n++;
            out += emit(put, ctx, str, n, &sp, false);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out += emit(put, ctx, &c, 1, &sp, false);
            break;
        }
        case '%':
            put(ctx, '%');
            out++;
            break;
        case '\0':
            return out;
        default:
            put(ctx, '%'), put(ctx, *fmt);
            out += 2;
            break;
        }
    }
    return out;
}

struct buf_sink {
    char *buf;
    size_t size, used;
};

static void buf_put(void *ctx, char c)
{
    struct buf_sink *b = ctx;
    if (b->used + 1 < b->size)
        b->buf[b->used] = c;
    b->used++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buf_sink b = { buf, size, 0 };
    int n = vformat(buf_put, &b, fmt, ap);
    if (size)
        buf[b.used < size ? b.used : size - 1] = '\0';
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
