/*
 * regs.h - the register file gdb sees: one table gives every register's name,
 * size, gdb type and feature, in gdb's register-number order.  The target
 * description XML and the 'g' packet layout are both derived from it, so
 * they cannot disagree.
 */
#ifndef EMU_GDBSTUB_REGS_H
#define EMU_GDBSTUB_REGS_H

#include <stddef.h>
#include <stdint.h>

#include "emu/gdbstub/gdbstub.h"

/* Target description features, in the order the XML lists them. */
enum gdb_feature {
    GDB_FEAT_CORE,     /* org.gnu.gdb.i386.core */
    GDB_FEAT_SSE,      /* org.gnu.gdb.i386.sse */
    GDB_FEAT_SEGMENTS, /* org.gnu.gdb.i386.segments: fs_base, gs_base */
    GDB_FEAT_SYSTEM,   /* org.mmulab.x86.system: control registers, EFER */
    GDB_FEAT_COUNT
};

struct gdb_reg_info {
    const char *name;
    uint16_t bits;
    uint8_t feature;   /* enum gdb_feature */
    const char *type;  /* gdb type name */
    const char *group; /* gdb register group, or NULL */
};

/* The register's description, or NULL if regno is out of range. */
const struct gdb_reg_info *gdb_reg_info(int regno);
/* Total size in bytes of all registers: the length of a 'g' reply / 2. */
size_t gdb_regs_size(void);

/*
 * The target description for qXfer:features:read:target.xml.  Writes at most
 * cap bytes (NUL-terminated if cap > 0) and returns the full length, like
 * snprintf: call with cap 0 to size the buffer.
 */
size_t gdb_target_xml(char *out, size_t cap);

#endif /* EMU_GDBSTUB_REGS_H */
