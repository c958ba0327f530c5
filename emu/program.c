/*
 * program.c - the volume and the kernel command line of `mmulab run
 * PROGRAM` (see program.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "emu/cmdquote.h"
#include "emu/program.h"
#include "loader/file.h"
#include "loader/ustar.h"
#include "shared/bootinfo.h"

/* The bundle: ntdll.dll, kernel32.dll and the demonstration programs, a
 * ustar archive built by guest/programs/meson.build. */
extern const unsigned char mmulab_pe_bundle[];
extern const unsigned long mmulab_pe_bundle_size;

#define MAX_MEMBERS 64

struct member {
    char name[256];        /* base name on the volume */
    const char *origin;    /* for messages: the path, or "bundled" */
    const uint8_t *data;
    size_t size;
    uint8_t *owned;        /* data read from a file (freed) */
};

struct volume {
    struct member m[MAX_MEMBERS];
    unsigned n;
};

static enum program_status fail(char *msg, size_t len, enum program_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum program_status fail(char *msg, size_t len, enum program_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return st;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* ---- the bundle ---- */

/* The bundled member called name (case-insensitively), or with ".exe" added. */
static bool bundle_find(const char *name, struct ustar_entry *e)
{
    struct ustar_reader r;
    ustar_reader_init(&r, mmulab_pe_bundle, mmulab_pe_bundle_size, "bundle");
    size_t n = strlen(name);
    while (ustar_reader_next(&r, e, NULL) == 1) {
        if (strcasecmp(e->name, name) == 0)
            return true;
        if (strlen(e->name) == n + 4 && strncasecmp(e->name, name, n) == 0 &&
            strcasecmp(e->name + n, ".exe") == 0)
            return true;
    }
    return false;
}

void program_bundled_names(char *out, size_t outlen)
{
    struct ustar_reader r;
    struct ustar_entry e;
    size_t used = 0;
    out[0] = 0;
    ustar_reader_init(&r, mmulab_pe_bundle, mmulab_pe_bundle_size, "bundle");
    while (ustar_reader_next(&r, &e, NULL) == 1) {
        size_t n = strlen(e.name);
        if (n < 4 || strcasecmp(e.name + n - 4, ".exe") != 0)
            continue;
        int w = snprintf(out + used, outlen - used, "%s%.*s", used ? ", " : "", (int)(n - 4),
                         e.name);
        if (w < 0 || (size_t)w >= outlen - used)
            break;
        used += (size_t)w;
    }
}

/* ---- members ---- */

/* Takes ownership of `owned` (freed with the volume, or now on failure). */
static bool add_member(struct volume *v, const char *name, const char *origin,
                       const uint8_t *data, size_t size, uint8_t *owned)
{
    if (v->n == MAX_MEMBERS || strlen(name) >= sizeof v->m[0].name) {
        free(owned);
        return false;
    }
    struct member *m = &v->m[v->n++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->origin = origin;
    m->data = data;
    m->size = size;
    m->owned = owned;
    return true;
}

static enum program_status add_file(struct volume *v, const char *path, char *msg, size_t len)
{
    uint8_t *data;
    size_t size;
    struct loader_error err;
    if (!loader_read_file(path, &data, &size, &err))
        return fail(msg, len, PROGRAM_ERROR, "%s", err.msg);
    if (!add_member(v, base_name(path), path, data, size, data))
        return fail(msg, len, PROGRAM_USAGE,
                    "%s: too many files (at most %d) or too long a name (at most 255 bytes)",
                    path, MAX_MEMBERS);
    return PROGRAM_OK;
}

static enum program_status add_bundled(struct volume *v, const char *name, char *msg, size_t len)
{
    struct ustar_entry e;
    if (!bundle_find(name, &e))
        return fail(msg, len, PROGRAM_ERROR, "%s is missing from mmulab's bundle", name);
    if (!add_member(v, e.name, "bundled", e.data, (size_t)e.size, NULL))
        return fail(msg, len, PROGRAM_USAGE, "too many files for the volume (at most %d)",
                    MAX_MEMBERS);
    return PROGRAM_OK;
}

/* PROGRAM: a file if one exists by that name (or it has a '/'), else bundled. */
static enum program_status add_program(struct volume *v, const char *program, char *msg,
                                       size_t len)
{
    if (strchr(program, '/') || access(program, F_OK) == 0)
        return add_file(v, program, msg, len);
    struct ustar_entry e;
    if (bundle_find(program, &e))
        return add_bundled(v, e.name, msg, len);
    char names[512];
    program_bundled_names(names, sizeof names);
    return fail(msg, len, PROGRAM_ERROR,
                "%s: no such file, and no bundled program of that name (bundled: %s)", program,
                names);
}

/* Two members whose names the kernel cannot tell apart. */
static enum program_status check_clashes(const struct volume *v, char *msg, size_t len)
{
    for (unsigned i = 0; i < v->n; i++)
        for (unsigned j = 0; j < i; j++)
            if (strcasecmp(v->m[i].name, v->m[j].name) == 0)
                return fail(msg, len, PROGRAM_USAGE,
                            "%s (%s) and %s (%s) would have the same name on the volume: the "
                            "kernel finds files by base name, case-insensitively", v->m[j].name,
                            v->m[j].origin, v->m[i].name, v->m[i].origin);
    return PROGRAM_OK;
}

static void free_members(struct volume *v)
{
    for (unsigned i = 0; i < v->n; i++)
        free(v->m[i].owned);
    v->n = 0;
}

/* ---- the volume file ---- */

static enum program_status write_volume(const struct volume *v, struct program_run *run,
                                        char *msg, size_t len)
{
    struct ustar_writer w;
    struct loader_error err;
    ustar_writer_init(&w);
    for (unsigned i = 0; i < v->n; i++)
        if (!ustar_add_file(&w, v->m[i].name, v->m[i].data, v->m[i].size, 0644, &err)) {
            ustar_writer_free(&w);
            return fail(msg, len, PROGRAM_ERROR, "%s", err.msg);
        }
    if (!ustar_finish(&w, 512, &err)) {
        ustar_writer_free(&w);
        return fail(msg, len, PROGRAM_ERROR, "%s", err.msg);
    }
    if (w.len > USTAR_VOLUME_MAX) {
        size_t n = w.len;
        ustar_writer_free(&w);
        return fail(msg, len, PROGRAM_ERROR,
                    "the volume would be %zu bytes; the kernel reads at most %llu (64 MiB) of "
                    "its system volume", n, (unsigned long long)USTAR_VOLUME_MAX);
    }
    const char *dir = getenv("TMPDIR");
    snprintf(run->volume, sizeof run->volume, "%s/mmulab-volume-XXXXXX",
             dir && *dir && strlen(dir) < sizeof run->volume - 24 ? dir : "/tmp");
    int fd = mkstemp(run->volume);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < w.len;) {
        ssize_t k = write(fd, w.buf + done, w.len - done);
        ok = k > 0;
        done += ok ? (size_t)k : 0;
    }
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok)
        ok = false, saved = errno;
    ustar_writer_free(&w);
    if (!ok) {
        if (fd >= 0)
            unlink(run->volume);
        run->volume[0] = 0;
        return fail(msg, len, PROGRAM_ERROR, "cannot write the volume to a temporary file: %s",
                    strerror(saved));
    }
    return PROGRAM_OK;
}

/* ---- the command line ---- */

static enum program_status make_cmdline(const struct program_request *req, const char *name,
                                        struct program_run *run, char *msg, size_t len)
{
    if (strpbrk(name, " \t\""))
        return fail(msg, len, PROGRAM_USAGE,
                    "'%s': a program name with a space or quote cannot follow run= (the "
                    "kernel takes the name up to the first space)", name);
    if (req->kernel_options && strstr(req->kernel_options, "run="))
        return fail(msg, len, PROGRAM_USAGE, "--cmdline '%s': run= is for PROGRAM alone",
                    req->kernel_options);
    run->cmdline = malloc(BOOT_CMDLINE_MAX);
    if (!run->cmdline)
        return fail(msg, len, PROGRAM_ERROR, "out of memory");
    int w = snprintf(run->cmdline, BOOT_CMDLINE_MAX, "quiet %s%srun=%s",
                     req->kernel_options ? req->kernel_options : "",
                     req->kernel_options ? " " : "", name);
    bool ok = w > 0 && w < BOOT_CMDLINE_MAX;
    for (int i = 0; ok && i < req->nargs; i++) {
        size_t n = strlen(run->cmdline);
        ok = n + 1 < BOOT_CMDLINE_MAX;
        if (ok) {
            run->cmdline[n] = ' ', run->cmdline[n + 1] = 0;
            ok = cmdline_quote_arg(run->cmdline, BOOT_CMDLINE_MAX, req->args[i]);
        }
    }
    if (!ok)
        return fail(msg, len, PROGRAM_USAGE,
                    "the kernel command line would be longer than %d bytes: fewer or shorter "
                    "arguments, please", BOOT_CMDLINE_MAX - 1);
    return PROGRAM_OK;
}

enum program_status program_prepare(const struct program_request *req, struct program_run *run,
                                    char *msg, size_t msglen)
{
    struct volume v = { .n = 0 };
    *run = (struct program_run){ 0 };
    enum program_status st = add_program(&v, req->program, msg, msglen);
    for (unsigned i = 0; st == PROGRAM_OK && i < 2; i++)
        st = add_bundled(&v, i ? "kernel32.dll" : "ntdll.dll", msg, msglen);
    for (unsigned i = 0; st == PROGRAM_OK && i < req->nadds; i++)
        st = add_file(&v, req->adds[i], msg, msglen);
    if (st == PROGRAM_OK)
        st = check_clashes(&v, msg, msglen);
    if (st == PROGRAM_OK)
        st = make_cmdline(req, v.m[0].name, run, msg, msglen);
    if (st == PROGRAM_OK)
        st = write_volume(&v, run, msg, msglen);
    free_members(&v);
    if (st != PROGRAM_OK)
        program_cleanup(run);
    return st;
}

void program_cleanup(struct program_run *run)
{
    if (run->volume[0])
        unlink(run->volume);
    run->volume[0] = 0;
    free(run->cmdline);
    run->cmdline = NULL;
}
