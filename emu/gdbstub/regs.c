/*
 * regs.c - the register table and the target description derived from it.
 *
 * The first three features are gdb's own x86-64 features with gdb's exact
 * register names, sizes, types and order (gdb/features/i386/64bit-core.xml,
 * 64bit-sse.xml, 64bit-segments.xml); gdb validates them by name and number,
 * so nothing here may be renamed or reordered.  fs_base/gs_base follow the
 * SSE registers as they do in gdbserver's descriptions.  The last feature is
 * ours: gdb shows registers of unknown features as they are described, with
 * named bit fields for the flag-typed ones (`info registers cr0` prints
 * "[ PG WP PE ]").
 *
 * The description says osabi "none": this is a bare machine, not a Linux
 * process, so gdb should not apply an OS's conventions (a loaded executable
 * that says otherwise, such as a PE image, still takes precedence).
 *
 * The vec128 union omits gdb 12's bfloat16 and half-precision views so that
 * older gdb versions, which lack those types, accept the description too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu/gdbstub/regs.h"

#define CORE(n, b, t) { n, b, GDB_FEAT_CORE, t, NULL }
#define X87(n) { n, 80, GDB_FEAT_CORE, "i387_ext", NULL }
#define X87CTL(n) { n, 32, GDB_FEAT_CORE, "int", "float" }
#define XMM(n) { n, 128, GDB_FEAT_SSE, "vec128", NULL }
#define SYS(n, t) { n, 64, GDB_FEAT_SYSTEM, t, NULL }

static const struct gdb_reg_info regs[GDB_REG_COUNT] = {
    CORE("rax", 64, "int64"), CORE("rbx", 64, "int64"),
    CORE("rcx", 64, "int64"), CORE("rdx", 64, "int64"),
    CORE("rsi", 64, "int64"), CORE("rdi", 64, "int64"),
    CORE("rbp", 64, "data_ptr"), CORE("rsp", 64, "data_ptr"),
    CORE("r8", 64, "int64"), CORE("r9", 64, "int64"),
    CORE("r10", 64, "int64"), CORE("r11", 64, "int64"),
    CORE("r12", 64, "int64"), CORE("r13", 64, "int64"),
    CORE("r14", 64, "int64"), CORE("r15", 64, "int64"),
    CORE("rip", 64, "code_ptr"),
    CORE("eflags", 32, "i386_eflags"),
    CORE("cs", 32, "int32"), CORE("ss", 32, "int32"), CORE("ds", 32, "int32"),
    CORE("es", 32, "int32"), CORE("fs", 32, "int32"), CORE("gs", 32, "int32"),
    X87("st0"), X87("st1"), X87("st2"), X87("st3"),
    X87("st4"), X87("st5"), X87("st6"), X87("st7"),
    X87CTL("fctrl"), X87CTL("fstat"), X87CTL("ftag"), X87CTL("fiseg"),
    X87CTL("fioff"), X87CTL("foseg"), X87CTL("fooff"), X87CTL("fop"),
    XMM("xmm0"), XMM("xmm1"), XMM("xmm2"), XMM("xmm3"),
    XMM("xmm4"), XMM("xmm5"), XMM("xmm6"), XMM("xmm7"),
    XMM("xmm8"), XMM("xmm9"), XMM("xmm10"), XMM("xmm11"),
    XMM("xmm12"), XMM("xmm13"), XMM("xmm14"), XMM("xmm15"),
    { "mxcsr", 32, GDB_FEAT_SSE, "i386_mxcsr", "vector" },
    { "fs_base", 64, GDB_FEAT_SEGMENTS, "int", NULL },
    { "gs_base", 64, GDB_FEAT_SEGMENTS, "int", NULL },
    SYS("cr0", "mmulab_cr0"),
    SYS("cr2", "data_ptr"), /* the faulting linear address: shown with its symbol */
    SYS("cr3", "uint64"),
    SYS("cr4", "mmulab_cr4"),
    SYS("cr8", "uint64"),
    SYS("efer", "mmulab_efer"),
    SYS("k_gs_base", "int"), /* QEMU's name for IA32_KERNEL_GS_BASE */
};

const struct gdb_reg_info *gdb_reg_info(int regno)
{
    return regno >= 0 && regno < GDB_REG_COUNT ? &regs[regno] : NULL;
}

unsigned gdb_reg_size(int regno)
{
    return regno >= 0 && regno < GDB_REG_COUNT ? regs[regno].bits / 8u : 0;
}

const char *gdb_reg_name(int regno)
{
    return regno >= 0 && regno < GDB_REG_COUNT ? regs[regno].name : NULL;
}

size_t gdb_regs_size(void)
{
    size_t n = 0;
    for (int i = 0; i < GDB_REG_COUNT; i++)
        n += regs[i].bits / 8u;
    return n;
}

/* One bit field of a flags type: name and bit number. */
struct flag_bit {
    const char *name;
    uint8_t bit;
};

struct flags_type {
    const char *id;
    unsigned size; /* bytes */
    const struct flag_bit *bits;
};

/* RFLAGS bit names (SDM Vol. 1 §3.4.3); bit 1 is the always-one bit. */
static const struct flag_bit eflags_bits[] = {
    { "CF", 0 }, { "", 1 }, { "PF", 2 }, { "AF", 4 }, { "ZF", 6 }, { "SF", 7 },
    { "TF", 8 }, { "IF", 9 }, { "DF", 10 }, { "OF", 11 }, { "NT", 14 }, { "RF", 16 },
    { "VM", 17 }, { "AC", 18 }, { "VIF", 19 }, { "VIP", 20 }, { "ID", 21 }, { NULL, 0 },
};

/* MXCSR (SDM Vol. 1 §10.2.3). */
static const struct flag_bit mxcsr_bits[] = {
    { "IE", 0 }, { "DE", 1 }, { "ZE", 2 }, { "OE", 3 }, { "UE", 4 }, { "PE", 5 },
    { "DAZ", 6 }, { "IM", 7 }, { "DM", 8 }, { "ZM", 9 }, { "OM", 10 }, { "UM", 11 },
    { "PM", 12 }, { "FZ", 15 }, { NULL, 0 },
};

/* CR0 and CR4 (SDM Vol. 3A §2.5), EFER (§2.2.1). */
static const struct flag_bit cr0_bits[] = {
    { "PE", 0 }, { "MP", 1 }, { "EM", 2 }, { "TS", 3 }, { "ET", 4 }, { "NE", 5 },
    { "WP", 16 }, { "AM", 18 }, { "NW", 29 }, { "CD", 30 }, { "PG", 31 }, { NULL, 0 },
};

static const struct flag_bit cr4_bits[] = {
    { "VME", 0 }, { "PVI", 1 }, { "TSD", 2 }, { "DE", 3 }, { "PSE", 4 }, { "PAE", 5 },
    { "MCE", 6 }, { "PGE", 7 }, { "PCE", 8 }, { "OSFXSR", 9 }, { "OSXMMEXCPT", 10 },
    { "UMIP", 11 }, { "LA57", 12 }, { "VMXE", 13 }, { "SMXE", 14 }, { "FSGSBASE", 16 },
    { "PCIDE", 17 }, { "OSXSAVE", 18 }, { "SMEP", 20 }, { "SMAP", 21 }, { "PKE", 22 },
    { "CET", 23 }, { "PKS", 24 }, { NULL, 0 },
};

static const struct flag_bit efer_bits[] = {
    { "SCE", 0 }, { "LME", 8 }, { "LMA", 10 }, { "NXE", 11 }, { "SVME", 12 },
    { "LMSLE", 13 }, { "FFXSR", 14 }, { "TCE", 15 }, { NULL, 0 },
};

static const struct flags_type core_flags[] = {
    { "i386_eflags", 4, eflags_bits }, { NULL, 0, NULL },
};
static const struct flags_type sse_flags[] = {
    { "i386_mxcsr", 4, mxcsr_bits }, { NULL, 0, NULL },
};
static const struct flags_type system_flags[] = {
    { "mmulab_cr0", 8, cr0_bits }, { "mmulab_cr4", 8, cr4_bits },
    { "mmulab_efer", 8, efer_bits }, { NULL, 0, NULL },
};

/* The 128-bit views of an XMM register (gdb's vec128, less bf16/half). */
static const char vec128_types[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\">\n"
    " <field name=\"v4_float\" type=\"v4f\"/>\n"
    " <field name=\"v2_double\" type=\"v2d\"/>\n"
    " <field name=\"v16_int8\" type=\"v16i8\"/>\n"
    " <field name=\"v8_int16\" type=\"v8i16\"/>\n"
    " <field name=\"v4_int32\" type=\"v4i32\"/>\n"
    " <field name=\"v2_int64\" type=\"v2i64\"/>\n"
    " <field name=\"uint128\" type=\"uint128\"/>\n"
    "</union>\n";

static const struct {
    const char *name;
    const char *types;              /* literal type definitions, or NULL */
    const struct flags_type *flags; /* flags types */
} features[GDB_FEAT_COUNT] = {
    [GDB_FEAT_CORE] = { "org.gnu.gdb.i386.core", NULL, core_flags },
    [GDB_FEAT_SSE] = { "org.gnu.gdb.i386.sse", vec128_types, sse_flags },
    [GDB_FEAT_SEGMENTS] = { "org.gnu.gdb.i386.segments", NULL, NULL },
    [GDB_FEAT_SYSTEM] = { "org.mmulab.x86.system", NULL, system_flags },
};

/* A bounded text builder that keeps counting past its end, like snprintf. */
struct xml_out {
    char *p;
    size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct xml_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->p + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_flags(struct xml_out *o, const struct flags_type *t)
{
    put(o, "<flags id=\"%s\" size=\"%u\">\n", t->id, t->size);
    for (const struct flag_bit *b = t->bits; b->name; b++)
        put(o, " <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n", b->name, b->bit, b->bit);
    put(o, "</flags>\n");
}

static void put_feature(struct xml_out *o, enum gdb_feature f)
{
    put(o, "<feature name=\"%s\">\n", features[f].name);
    if (features[f].types)
        put(o, "%s", features[f].types);
    for (const struct flags_type *t = features[f].flags; t && t->id; t++)
        put_flags(o, t);
    for (int i = 0; i < GDB_REG_COUNT; i++) {
        if (regs[i].feature != f)
            continue;
        put(o, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"", regs[i].name, regs[i].bits,
            regs[i].type);
        if (regs[i].group)
            put(o, " group=\"%s\"", regs[i].group);
        put(o, "/>\n");
    }
    put(o, "</feature>\n");
}

size_t gdb_target_xml(char *out, size_t cap)
{
    struct xml_out o = { out, cap, 0 };
    if (cap)
        out[0] = '\0';
    put(&o, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
            "<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n<osabi>none</osabi>\n");
    for (int f = 0; f < GDB_FEAT_COUNT; f++)
        put_feature(&o, (enum gdb_feature)f);
    put(&o, "</target>\n");
    return o.len;
}
