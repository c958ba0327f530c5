/*
 * shell.h - helpers for unit tests that check against real tools (tar,
 * the compiler, nm): a temporary directory and command output.  Include
 * after <cmocka.h>.
 */
#ifndef TESTS_UNIT_SHELL_H
#define TESTS_UNIT_SHELL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void assert_contains(const char *msg, const char *want)
{
    if (!strstr(msg, want))
        fail_msg("message \"%s\"\n  does not contain \"%s\"", msg, want);
}

struct tmp {
    char dir[64];
    char path[512];
};

/*
 * A fresh temporary directory for a test that needs a tool; the test is
 * skipped when `probe` (e.g. "tar --version") does not run.
 */
static inline void tmp_make(struct tmp *t, const char *probe)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s >/dev/null 2>&1", probe);
    if (system(cmd) != 0)
        skip();
    strcpy(t->dir, "/tmp/test_loader_XXXXXX");
    assert_non_null(mkdtemp(t->dir));
}

static inline const char *tmp_path(struct tmp *t, const char *name)
{
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
    return t->path;
}

static inline void tmp_remove(struct tmp *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

/* Run a shell command and return its whole output (malloc'd); it must succeed. */
__attribute__((format(printf, 1, 2)))
static inline char *run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    if (pclose(p) != 0)
        fail_msg("command failed: %s\n%s", cmd, out);
    return out;
}

#endif
