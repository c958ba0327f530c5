/*
 * cli.c - option parsing shared by all subcommands (see cli.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/cli.h"

void cli_begin(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
    *c = (struct cli){ .cmd = cmd, .argc = argc, .argv = argv, .i = 1 };
}

void cli_help(const struct cli_command *cmd)
{
    printf("usage: mmulab %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (!cmd->options || !cmd->options[0].name)
        return;
    printf("\noptions:\n");
    for (const struct cli_option *o = cmd->options; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-24s %s\n", left, o->help);
    }
    printf("  %-24s %s\n", "--help", "show this help and exit");
}

void cli_usage_error(const struct cli *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mmulab %s: ", c->cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'mmulab %s --help'.\n", c->cmd->name);
    exit(CLI_EXIT_USAGE);
}

int cli_next(struct cli *c)
{
    if (c->i >= c->argc)
        return 0;
    const char *a = c->argv[c->i];
    if (strcmp(a, "--") == 0) {
        c->i++;
        return 0;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        cli_help(c->cmd);
        exit(0);
    }
    if (a[0] != '-' || a[1] == '\0')
        return 0; /* positional arguments start here */
    if (a[1] != '-')
        cli_usage_error(c, "unknown option '%s' (options are long: --name)", a);

    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (const struct cli_option *o = c->cmd->options; o && o->name; o++) {
        if (strlen(o->name) != len || strncmp(o->name, name, len) != 0)
            continue;
        c->opt = a;
        c->i++;
        if (!o->arg) {
            if (eq)
                cli_usage_error(c, "option '--%s' takes no value", o->name);
            c->value = NULL;
        } else if (eq) {
            c->value = eq + 1;
        } else if (c->i < c->argc) {
            c->value = c->argv[c->i++];
        } else {
            cli_usage_error(c, "option '--%s' needs a value (%s)", o->name, o->arg);
        }
        c->opt = o->name;
        return o->id;
    }
    cli_usage_error(c, "unknown option '%.*s'", (int)(len + 2), a);
}

uint64_t cli_u64(const struct cli *c, uint64_t min, uint64_t max)
{
    const char *s = c->value;
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        cli_usage_error(c, "--%s: '%s' is not a non-negative number", c->opt, s ? s : "");
    uint64_t v = strtoull(s, &end, 0);
    if (errno || *end)
        cli_usage_error(c, "--%s: '%s' is not a number", c->opt, s);
    if (v < min || v > max)
        cli_usage_error(c, "--%s: %" PRIu64 " is out of range [%" PRIu64 ", %" PRIu64 "]",
                        c->opt, v, min, max);
    return v;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    uint64_t v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: return false;
    }
    if (shift && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
        end += strlen(end);
    if (*end)
        return false;
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

uint64_t cli_size(const struct cli *c, uint64_t min, uint64_t max)
{
    uint64_t v;
    if (!cli_parse_size(c->value, &v))
        cli_usage_error(c, "--%s: '%s' is not a size (examples: 4096, 64K, 128M, 4G)", c->opt,
                        c->value ? c->value : "");
    if (v < min || v > max)
        cli_usage_error(c, "--%s: %s is out of range [%" PRIu64 " bytes, %" PRIu64 " bytes]",
                        c->opt, c->value, min, max);
    return v;
}

int cli_choice(const struct cli *c, const char *const *choices)
{
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (strcmp(c->value, choices[i]) == 0)
            return i;
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    cli_usage_error(c, "--%s: '%s' is not one of: %s", c->opt, c->value, list);
}
