/*
 * cmdquote.c - quoting an argument for a Windows command line (see
 * cmdquote.h).
 */
#include <string.h>

#include "emu/cmdquote.h"

struct out {
    char *s;
    size_t n, size;
};

/* count copies of c; false once out is full. */
static bool put(struct out *o, char c, size_t count)
{
    for (; count; count--) {
        if (o->n + 1 >= o->size)
            return false;
        o->s[o->n++] = c;
        o->s[o->n] = 0;
    }
    return true;
}

bool cmdline_quote_arg(char *out, size_t outlen, const char *arg)
{
    struct out o = { out, strlen(out), outlen };
    if (*arg && !strpbrk(arg, " \t\"")) {
        for (; *arg; arg++)
            if (!put(&o, *arg, 1))
                return false;
        return true;
    }
    if (!put(&o, '"', 1))
        return false;
    for (;; arg++) {
        size_t slashes = 0;
        while (*arg == '\\')
            arg++, slashes++;
        if (!*arg) /* before the closing quote: each backslash doubled */
            return put(&o, '\\', 2 * slashes) && put(&o, '"', 1);
        /* before a quote: doubled, and one more to make the quote literal */
        if (!put(&o, '\\', *arg == '"' ? 2 * slashes + 1 : slashes) || !put(&o, *arg, 1))
            return false;
    }
}
