/*
 * report.h - what the machine says when it stops (report.c).
 */
#ifndef EMU_REPORT_H
#define EMU_REPORT_H

#include <stdio.h>

struct machine;

/* Why it stopped, the registers, the last instructions executed. */
void machine_report(struct machine *m, FILE *out);

/* The main counters for people, and the TLB model's table if one is attached. */
void machine_print_stats(struct machine *m, FILE *out);

/* Every counter the machine keeps, as one JSON object. */
void machine_stats_json(struct machine *m, FILE *out, double wall_seconds);

/* The built-in kernel (embedded at build time). */
extern const unsigned char mmulab_default_kernel[];
extern const unsigned long mmulab_default_kernel_size;

#endif /* EMU_REPORT_H */
