/*
 * args.c - Microsoft's command-line rules (see args.h):
 *
 * - Arguments are separated by spaces and tabs.
 * - argv[0], the program name, is special: double quotes switch quoting on
 *   and off (and are dropped), nothing is escaped; it ends at the first
 *   space or tab outside quotes.
 * - In later arguments, a double-quoted string may contain spaces and tabs
 *   and may be embedded in an argument; inside one, a pair of double quotes
 *   is one literal double quote.  A command line that ends inside quotes
 *   ends the last argument.
 * - Backslashes are literal unless they precede a double quote: then each
 *   pair gives one backslash, and an odd one left over makes the double
 *   quote literal (an even count leaves it a delimiter).
 */
#include "guest/crt/args.h"

struct out {
    char **argv;
    char *buf;
    size_t argc;
};

static void put(struct out *o, char c)
{
    if (o->buf)
        *o->buf++ = c;
}

static void begin_arg(struct out *o)
{
    if (o->argv)
        o->argv[o->argc] = o->buf;
    o->argc++;
}

static void end_arg(struct out *o)
{
    put(o, '\0');
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static const char *program_name(struct out *o, const char *p)
{
    int quoted = 0;
    begin_arg(o);
    for (; *p && (quoted || !is_space(*p)); p++) {
        if (*p == '"')
            quoted = !quoted;
        else
            put(o, *p);
    }
    end_arg(o);
    return p;
}

/* One argument from p (not a space); returns where it ended. */
static const char *argument(struct out *o, const char *p)
{
    int quoted = 0;
    begin_arg(o);
    for (;;) {
        size_t slashes = 0;
        while (p[slashes] == '\\')
            slashes++;
        if (p[slashes] == '"') {
            for (size_t i = 0; i < slashes / 2; i++)
                put(o, '\\');
            p += slashes;
            if (slashes % 2) {
                put(o, '"');
                p++;
            } else if (quoted && p[1] == '"') {
                put(o, '"');
                p += 2;
            } else {
                quoted = !quoted;
                p++;
            }
            continue;
        }
        for (; slashes; slashes--, p++)
            put(o, '\\');
        if (!*p || (!quoted && is_space(*p)))
            break;
        put(o, *p++);
    }
    end_arg(o);
    return p;
}

size_t crt_split_command_line(const char *line, char **argv, char *buf)
{
    struct out o = { argv, buf, 0 };
    const char *p = program_name(&o, line);
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        p = argument(&o, p);
    }
    if (argv)
        argv[o.argc] = NULL;
    return o.argc;
}
