/*
 * log.h - the instruction trace (--trace): one line per executed
 * instruction with its address, bytes, disassembly and privilege level.
 */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include <stddef.h>
#include <stdio.h>

struct machine;
struct trace;

struct trace *trace_new(struct machine *m, FILE *out, char *err, size_t errlen);
void trace_free(struct trace *t);

/* Print the last blocks executed, disassembled (for crash reports). */
void log_recent_blocks(struct machine *m, FILE *out, unsigned max_insns);

#endif /* EMU_LOG_H */
