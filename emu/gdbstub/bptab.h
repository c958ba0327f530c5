/*
 * bptab.h - the breakpoint and watchpoint tables gdb fills with Z packets and
 * the machine queries on its hot paths.
 *
 * Breakpoints (Z0, Z1) are a set of (address, type), watchpoints (Z2-Z4) a
 * set of (type, address, length); both sorted by address in small arrays, so
 * a query is a binary search, and a comparison when a table is empty.
 * Insertion and removal are idempotent, as the protocol asks: gdb resends a Z
 * packet to update a breakpoint, and a lost acknowledgement makes it repeat
 * one.  Watch ranges may overlap.
 */
#ifndef EMU_GDBSTUB_BPTAB_H
#define EMU_GDBSTUB_BPTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/gdbstub/gdbstub.h"

/* More than a debugger session needs; a bound on what a client can allocate. */
#define GDB_BPTAB_MAX 4096

struct gdb_bp {
    uint64_t addr;
    uint64_t last;  /* last byte covered (addr + len - 1): no overflow at the top */
    uint8_t type;   /* enum gdb_bp_type */
};

struct gdb_bp_array {
    struct gdb_bp *v;
    size_t n, cap;
};

struct gdb_bptab {
    struct gdb_bp_array bps;   /* Z0/Z1, sorted by (addr, type) */
    struct gdb_bp_array wps;   /* Z2-Z4, sorted by (addr, last, type) */
    uint64_t watch_span;       /* longest watch range - 1: bounds the search */
    uint64_t generation;       /* incremented by every change */
};

void gdb_bptab_init(struct gdb_bptab *t);
void gdb_bptab_free(struct gdb_bptab *t);
void gdb_bptab_clear(struct gdb_bptab *t);

/*
 * Insert or remove.  len is the watched length for Z2-Z4 (1 or more, not
 * wrapping past 2^64) and ignored for breakpoints (gdb's "kind", the size of
 * a breakpoint instruction we never write).  0 on success (also when the
 * entry was already there / already gone), -EINVAL for a bad type or length,
 * -ENOSPC when the table is full, -ENOMEM.
 */
int gdb_bptab_insert(struct gdb_bptab *t, enum gdb_bp_type type, uint64_t addr, uint64_t len);
int gdb_bptab_remove(struct gdb_bptab *t, enum gdb_bp_type type, uint64_t addr, uint64_t len);

/* A breakpoint at pc; *type gets GDB_BP_SOFTWARE if both kinds are set there. */
bool gdb_bptab_break_at(const struct gdb_bptab *t, uint64_t pc, enum gdb_bp_type *type);
/* Some breakpoint in [lo, hi]. */
bool gdb_bptab_break_in(const struct gdb_bptab *t, uint64_t lo, uint64_t hi);
/*
 * An access of [va, va + len) hits a watchpoint of a matching type.  The hit
 * reported is the one whose overlap with the access starts lowest (ties: the
 * first in table order); *addr is the first watched byte accessed.
 */
bool gdb_bptab_watch_hit(const struct gdb_bptab *t, uint64_t va, uint64_t len, bool write,
                         enum gdb_bp_type *type, uint64_t *addr);

#endif /* EMU_GDBSTUB_BPTAB_H */
