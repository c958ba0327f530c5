/*
 * args.h - splitting a Windows command line into argv, by the rules of
 * Microsoft's C startup code ("Parsing C command-line arguments").  Plain
 * C with no Windows or libc dependency: the CRT uses it in the guest and a
 * host unit test checks it against the documentation's examples.
 */
#ifndef GUEST_CRT_ARGS_H
#define GUEST_CRT_ARGS_H

#include <stddef.h>

/*
 * Split line into arguments and return their number (at least 1: argv[0],
 * the program name, is always there, possibly empty).  With argv and buf
 * NULL it only counts.  Otherwise argv gets argc pointers and a final
 * NULL, and the strings go to buf, which needs strlen(line) + 1 bytes.
 */
size_t crt_split_command_line(const char *line, char **argv, char *buf);

#endif /* GUEST_CRT_ARGS_H */
