/*
 * cmdquote.h - quoting arguments for a Windows command line, the inverse of
 * the rules Microsoft's C runtime splits one by (guest/crt/args.c): what
 * `mmulab run PROGRAM ARGS...` does so that the program's argv is ARGS.
 */
#ifndef EMU_CMDQUOTE_H
#define EMU_CMDQUOTE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Append arg to the string out (outlen bytes in all, with the NUL; false,
 * out unchanged up to where it stopped, if it does not fit), quoted: as is
 * when it has no space, tab or double quote and is not empty; otherwise in
 * double quotes, with a backslash before each double quote and the
 * backslashes that precede a double quote (or the closing one) doubled.
 */
bool cmdline_quote_arg(char *out, size_t outlen, const char *arg);

#endif /* EMU_CMDQUOTE_H */
