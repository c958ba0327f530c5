/*
 * log.c - the instruction trace and the recent-history report.
 *
 * The trace is a per-instruction code hook, installed only with --trace
 * (it slows the machine down accordingly).  Each line:
 *   <instruction index> <CPL> <virtual address>: <bytes>  <disassembly>
 * The index counts traced instructions; runs are deterministic, so two
 * traces of the same run are identical.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdlib.h>

#include "emu/log.h"
#include "emu/machine.h"

struct trace {
    struct machine *m;
    FILE *out;
    csh cs;
    cs_insn *insn;
    uint64_t count;
    uc_hook hook;
};

static void print_insn(csh cs, cs_insn *insn, FILE *out, uint64_t va, const uint8_t *bytes,
                       size_t len, bool code32)
{
    cs_option(cs, CS_OPT_MODE, code32 ? CS_MODE_32 : CS_MODE_64);
    const uint8_t *p = bytes;
    uint64_t a = va;
    size_t left = len;
    fprintf(out, "%016" PRIx64 ": ", va);
    if (cs_disasm_iter(cs, &p, &left, &a, insn)) {
        for (unsigned i = 0; i < 10; i++)
            fprintf(out, i < insn->size ? "%02x" : "  ", insn->bytes[i]);
        fprintf(out, "  %s %s\n", insn->mnemonic, insn->op_str);
    } else {
        fprintf(out, "%02x                  (undecodable)\n", len ? bytes[0] : 0);
    }
}

static void on_insn(uc_engine *uc, uint64_t va, uint32_t size, void *user)
{
    struct trace *t = user;
    struct machine *m = t->m;
    (void)uc;
    if (m->raising)
        return;
    uint8_t bytes[16];
    size_t n = machine_virt_read(m, va, bytes, size < 16 ? size : 16);
    fprintf(t->out, "%10" PRIu64 " %u ", t->count++, (unsigned)(machine_reg(m, UC_X86_REG_CS) & 3));
    print_insn(t->cs, t->insn, t->out, va, bytes, n, m->code32);
}

struct trace *trace_new(struct machine *m, FILE *out, char *err, size_t errlen)
{
    struct trace *t = calloc(1, sizeof *t);
    if (!t || cs_open(CS_ARCH_X86, CS_MODE_64, &t->cs) != CS_ERR_OK) {
        snprintf(err, errlen, "cannot start the tracer");
        free(t);
        return NULL;
    }
    t->m = m;
    t->out = out;
    t->insn = cs_malloc(t->cs);
    if (uc_hook_add(m->uc, &t->hook, UC_HOOK_CODE, (void *)on_insn, t, 1, 0)) {
        snprintf(err, errlen, "cannot install the trace hook");
        trace_free(t);
        return NULL;
    }
    return t;
}

void trace_free(struct trace *t)
{
    if (!t)
        return;
    if (t->insn)
        cs_free(t->insn, 1);
    cs_close(&t->cs);
    free(t);
}

void log_recent_blocks(struct machine *m, FILE *out, unsigned max_insns)
{
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
        return;
    cs_insn *insn = cs_malloc(cs);
    /* The last four blocks, oldest first, as many instructions as fit. */
    uint64_t nb = m->vt.nblocks, first = nb >= 3 ? nb - 3 : 1;
    unsigned printed = 0;
    for (uint64_t i = first; i <= nb && printed < max_insns; i++) {
        const struct vtime_block *b = &m->vt.recent[i % VTIME_RECENT];
        uint8_t code[256];
        size_t left = machine_virt_read(m, b->va, code, b->size < sizeof code ? b->size : sizeof code);
        const uint8_t *p = code;
        uint64_t a = b->va;
        while (left > 0 && printed < max_insns && cs_disasm_iter(cs, &p, &left, &a, insn)) {
            fprintf(out, "    %016" PRIx64 ":  %s %s\n", insn->address, insn->mnemonic, insn->op_str);
            printed++;
        }
    }
    cs_free(insn, 1);
    cs_close(&cs);
}
