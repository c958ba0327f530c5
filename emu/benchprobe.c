/*
 * benchprobe.c - the phases a benchmark guest marks on its console (see
 * benchprobe.h).  CPU time, not wall time: the machines this runs on are
 * shared.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "emu/benchprobe.h"
#include "emu/machine.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The virtual time of the console write being made (inside its I/O hook). */
static uint64_t vnow(const struct bench_probe *p)
{
    return p->m ? vtime_io_time(p->m) : 0;
}

static void on_end(struct bench_probe *p, const char *name, const unsigned long long *count)
{
    for (unsigned i = 0; i < p->nphases; i++) {
        struct bench_phase *ph = &p->phase[i];
        if (strcmp(ph->name, name) || ph->done)
            continue;
        ph->end = now_s();
        ph->vend = vnow(p);
        ph->done = true;
        if (count)
            ph->n = *count;
    }
}

static void on_line(struct bench_probe *p, const char *line)
{
    char name[16];
    unsigned long long n;
    if (sscanf(line, "@bench begin %15s %llu", name, &n) == 2) {
        if (p->nphases == BENCH_MAX_PHASES)
            return;
        struct bench_phase *ph = &p->phase[p->nphases++];
        snprintf(ph->name, sizeof ph->name, "%s", name);
        ph->n = n;
        ph->begin = now_s();
        ph->vbegin = vnow(p);
    } else if (sscanf(line, "@bench end %15s %llu", name, &n) == 2) {
        on_end(p, name, &n);
    } else if (sscanf(line, "@bench end %15s", name) == 1) {
        on_end(p, name, NULL);
    } else {
        fprintf(stderr, "guest: %s\n", line);
    }
}

static ssize_t console_write(void *cookie, const char *buf, size_t size)
{
    struct bench_probe *p = cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            p->line[p->len] = 0;
            on_line(p, p->line);
            p->len = 0;
        } else if (p->len + 1 < sizeof p->line) {
            p->line[p->len++] = buf[i];
        }
    }
    return (ssize_t)size;
}

FILE *bench_probe_console(struct bench_probe *p)
{
    cookie_io_functions_t io = { .write = console_write };
    FILE *f = fopencookie(p, "w", io);
    if (f)
        setvbuf(f, NULL, _IONBF, 0);
    return f;
}

const struct bench_phase *bench_probe_find(const struct bench_probe *p, const char *name)
{
    for (unsigned i = 0; i < p->nphases; i++)
        if (!strcmp(p->phase[i].name, name) && p->phase[i].done && p->phase[i].n)
            return &p->phase[i];
    return NULL;
}

double bench_phase_us(const struct bench_phase *ph)
{
    return (ph->end - ph->begin) * 1e6 / (double)ph->n;
}

double bench_phase_insns(const struct bench_phase *ph)
{
    return (double)(ph->vend - ph->vbegin) / (double)ph->n;
}

double bench_phase_per_s(const struct bench_phase *ph)
{
    return (double)ph->n / (ph->end - ph->begin);
}
