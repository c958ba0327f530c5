/*
 * benchprobe.h - the phases a benchmark guest marks on its console, timed
 * (`mmulab bench kernel`, `mmulab bench paging`).
 *
 * The guest frames each phase with console lines "@bench begin NAME N" and
 * "@bench end NAME [K]" (N: the operations it does; K, if given: those
 * that the phase really counted, which then divide the times).  The
 * console stream is the probe's own (fopencookie), so each marker is
 * stamped, with the host thread's CPU time and the machine's virtual time,
 * the moment the guest writes its last byte.  Other lines are echoed to
 * stderr, "guest: " first.
 */
#ifndef EMU_BENCHPROBE_H
#define EMU_BENCHPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct machine;

#define BENCH_MAX_PHASES 8

struct bench_phase {
    char name[16];
    uint64_t n;                  /* operations: N, or K when the end line gives it */
    double begin, end;           /* host thread CPU time, seconds */
    uint64_t vbegin, vend;       /* virtual time */
    bool done;
};

struct bench_probe {
    char line[256];
    size_t len;
    struct bench_phase phase[BENCH_MAX_PHASES];
    unsigned nphases;
    struct machine *m;           /* set while the machine runs: its virtual time */
};

/* The console stream for machine_config.console (unbuffered), or NULL. */
FILE *bench_probe_console(struct bench_probe *p);

/* The finished phase called name with at least one operation, or NULL. */
const struct bench_phase *bench_probe_find(const struct bench_probe *p, const char *name);

double bench_phase_us(const struct bench_phase *ph);      /* CPU time per operation */
double bench_phase_insns(const struct bench_phase *ph);   /* virtual time per operation */
double bench_phase_per_s(const struct bench_phase *ph);   /* operations per CPU second */

#endif /* EMU_BENCHPROBE_H */
