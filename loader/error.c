/*
 * error.c - formatting of loader errors (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "loader/error.h"

bool loader_failv(struct loader_error *err, const char *who, const char *fmt, va_list ap)
{
    if (!err)
        return false;
    int n = snprintf(err->msg, sizeof err->msg, "%s: ", who ? who : "(unnamed)");
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return false; /* the name alone fills the buffer: it is all we can say */
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    return false;
}

bool loader_fail(struct loader_error *err, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loader_failv(err, who, fmt, ap);
    va_end(ap);
    return false;
}
