/*
 * error.h - how the loader library reports what went wrong.
 *
 * Every failing call fills a struct loader_error with one line of text that
 * names the file (or image), the place in it (field, offset) and the value
 * that was refused, so the user can fix the input without a hex editor.
 * A caller that does not care may pass NULL.
 */
#ifndef LOADER_ERROR_H
#define LOADER_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* Long enough for a path and a sentence; longer messages are truncated. */
#define LOADER_ERROR_MAX 512

struct loader_error {
    char msg[LOADER_ERROR_MAX];
};

/*
 * Set err to "who: <formatted text>" and return false, so that validation
 * code can say `return loader_fail(err, name, "...", ...);`.
 */
bool loader_fail(struct loader_error *err, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool loader_failv(struct loader_error *err, const char *who, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
