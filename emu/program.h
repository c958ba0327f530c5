/*
 * program.h - `mmulab run PROGRAM [ARGS...]`: the system volume and the
 * kernel command line for one program (docs/cli.md, "mmulab run PROGRAM").
 *
 * PROGRAM is a file, or else the name of a program bundled into mmulab
 * (with or without ".exe": `mmulab run vmtour`).  The volume - a ustar
 * archive, disk 0 - holds PROGRAM, the bundled ntdll.dll and kernel32.dll,
 * and every --add FILE, each under its base name; the kernel finds files by
 * base name, case-insensitively, so two members whose names differ only in
 * case clash.  The kernel command line is `quiet [OPTIONS] run=NAME ARGS`,
 * the arguments quoted so that Microsoft's rules split them back into the
 * same argv.
 */
#ifndef EMU_PROGRAM_H
#define EMU_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>

#include "shared/ustar.h" /* USTAR_VOLUME_MAX: a larger volume is refused before boot */

struct program_request {
    const char *program;        /* a path, or a bundled program's name */
    char **args;                /* its arguments (argv[1...]) */
    int nargs;
    const char **adds;          /* --add FILEs */
    unsigned nadds;
    const char *kernel_options; /* --cmdline words to put before run=, or NULL */
};

struct program_run {
    char *cmdline;              /* the kernel command line (malloc'd) */
    char volume[512];           /* the volume: a temporary file, removed by program_cleanup */
};

/* The outcome of program_prepare: what went wrong is in the message. */
enum program_status { PROGRAM_OK, PROGRAM_ERROR, PROGRAM_USAGE };

enum program_status program_prepare(const struct program_request *req, struct program_run *run,
                                    char *msg, size_t msglen);
void program_cleanup(struct program_run *run);

/* The bundled programs, ", "-separated (for help texts and messages). */
void program_bundled_names(char *out, size_t outlen);

#endif /* EMU_PROGRAM_H */
