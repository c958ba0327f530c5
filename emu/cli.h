/*
 * cli.h - the conventions every mmulab subcommand follows.
 *
 * A command declares its options in a table; cli_next() walks argv, answers
 * --help from the table, and turns every mistake (unknown option, missing or
 * malformed value) into one clear line on stderr and exit status 2.
 */
#ifndef EMU_CLI_H
#define EMU_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_EXIT_USAGE 2

struct cli_option {
    const char *name;   /* long name without "--" */
    const char *arg;    /* name of the value ("N", "FILE"), or NULL for a flag */
    int id;             /* returned by cli_next() */
    const char *help;
};

struct cli_command {
    const char *name;    /* "selftest walk" */
    const char *usage;   /* "[--seed S] [--cases N]" */
    const char *summary; /* one paragraph, printed by --help */
    const struct cli_option *options; /* terminated by { NULL } */
};

struct cli {
    const struct cli_command *cmd;
    int argc;
    char **argv;
    int i;               /* next argv index */
    const char *opt;     /* the option just returned, as typed */
    const char *value;   /* its value, if it takes one */
};

void cli_begin(struct cli *c, const struct cli_command *cmd, int argc, char **argv);

/* Next option id; 0 when only positional arguments remain (from argv[c->i]). */
int cli_next(struct cli *c);

/* Print "mmulab CMD: MESSAGE" and a hint to stderr, exit 2. */
_Noreturn void cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Value parsers for the option just returned; malformed values exit 2. */
uint64_t cli_u64(const struct cli *c, uint64_t min, uint64_t max);
uint64_t cli_size(const struct cli *c, uint64_t min, uint64_t max); /* 4096, 64K, 128M, 4G */
int cli_choice(const struct cli *c, const char *const *choices); /* NULL-terminated */

/* Parse a size string; false if malformed or out of [min, max]. */
bool cli_parse_size(const char *s, uint64_t *out);

/* Print the command's --help text to stdout. */
void cli_help(const struct cli_command *cmd);

#endif /* EMU_CLI_H */
