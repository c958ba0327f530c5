/*
 * report.c - the machine's stop report and its statistics as JSON.
 */
#include <inttypes.h>

#include "emu/log.h"
#include "emu/machine.h"
#include "emu/report.h"
#include "emu/tlbmodel.h"

static const char *stop_name(enum machine_stop s)
{
    switch (s) {
    case STOP_NONE: return "running";
    case STOP_EXIT_PORT: return "exit port";
    case STOP_TRIPLE_FAULT: return "triple fault";
    case STOP_INSN_LIMIT: return "instruction limit";
    case STOP_HALTED: return "halted";
    case STOP_ERROR: return "machine error";
    case STOP_BREAK: return "stopped by the debugger";
    }
    return "?";
}

void machine_report(struct machine *m, FILE *out)
{
    static const struct { const char *name; int reg; } regs[] = {
        { "RAX", UC_X86_REG_RAX }, { "RBX", UC_X86_REG_RBX }, { "RCX", UC_X86_REG_RCX },
        { "RDX", UC_X86_REG_RDX }, { "RSI", UC_X86_REG_RSI }, { "RDI", UC_X86_REG_RDI },
        { "RBP", UC_X86_REG_RBP }, { "RSP", UC_X86_REG_RSP }, { "R8", UC_X86_REG_R8 },
        { "R9", UC_X86_REG_R9 }, { "R10", UC_X86_REG_R10 }, { "R11", UC_X86_REG_R11 },
        { "R12", UC_X86_REG_R12 }, { "R13", UC_X86_REG_R13 }, { "R14", UC_X86_REG_R14 },
        { "R15", UC_X86_REG_R15 }, { "RIP", UC_X86_REG_RIP }, { "RFLAGS", UC_X86_REG_RFLAGS },
        { "CS", UC_X86_REG_CS }, { "SS", UC_X86_REG_SS }, { "CR0", UC_X86_REG_CR0 },
        { "CR2", UC_X86_REG_CR2 }, { "CR3", UC_X86_REG_CR3 }, { "CR4", UC_X86_REG_CR4 },
    };
    fprintf(out, "mmulab: machine stopped (%s) after %" PRIu64 " instructions: %s\n",
            stop_name(m->stop), m->vt.now - m->stats.idle,
            m->stop_message[0] ? m->stop_message : "-");
    if (m->stop == STOP_INSN_LIMIT || m->stop == STOP_HALTED)
        return;
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        fprintf(out, "  %-6s %016" PRIx64 "%s", regs[i].name, machine_reg(m, regs[i].reg),
                i % 4 == 3 ? "\n" : "  ");
    fprintf(out, "  last instructions (newest last):\n");
    log_recent_blocks(m, out, 24);
}

void machine_print_stats(struct machine *m, FILE *out)
{
    const struct machine_stats *s = &m->stats;
    const struct mmu_stats *ms = &m->mmu.stats;
    fprintf(out, "mmulab statistics: %" PRIu64 " instructions, %" PRIu64 " blocks; QEMU-TLB fills %"
                 PRIu64 " (%" PRIu64 " refused); walks %" PRIu64 ", entries read %" PRIu64
                 ", A/D writes %" PRIu64 "\n",
            m->vt.now, m->vt.nblocks, s->fills, s->fill_faults, ms->walks, ms->entry_reads,
            ms->ad_writes);
    if (m->tlbm) {
        tlbm_print_stats(m, out);
        tlbphase_print(m, out);
    }
    gueststats_print(m, out);
}

void machine_stats_json(struct machine *m, FILE *out, double wall)
{
    const struct machine_stats *s = &m->stats;
    const struct mmu_stats *ms = &m->mmu.stats;
    /* Virtual time is executed instructions plus the time the CPU spent
     * halted (HLT skips to the next timer expiry), both in nanoseconds. */
    fprintf(out, "{\n  \"instructions\": %" PRIu64 ",\n  \"virtual_time_ns\": %" PRIu64
                 ",\n  \"idle_ns\": %" PRIu64 ",\n  \"wall_seconds\": %.6f,\n"
                 "  \"exit_status\": %d,\n  \"stop\": \"%s\",\n",
            m->vt.now - s->idle, m->vt.now, s->idle, wall, m->exit_status, stop_name(m->stop));
    fprintf(out, "  \"tlb_fills\": %" PRIu64 ",\n  \"tlb_fill_faults\": %" PRIu64
                 ",\n  \"walks\": %" PRIu64 ",\n  \"walk_entry_reads\": %" PRIu64
                 ",\n  \"ad_writes\": %" PRIu64 ",\n",
            s->fills, s->fill_faults, ms->walks, ms->entry_reads, ms->ad_writes);
    fprintf(out, "  \"exceptions\": {");
    for (int v = 0, first = 1; v < 32; v++)
        if (s->exceptions[v]) {
            fprintf(out, "%s\"%d\": %" PRIu64, first ? "" : ", ", v, s->exceptions[v]);
            first = 0;
        }
    fprintf(out, "},\n  \"interrupts\": %" PRIu64 ",\n  \"software_interrupts\": %" PRIu64
                 ",\n  \"syscalls\": %" PRIu64 ",\n  \"privilege_raises\": %" PRIu64
                 ",\n  \"emulation_exits\": %" PRIu64 ",\n  \"blocks\": %" PRIu64
                 ",\n  \"block_decodes\": %" PRIu64 ",\n",
            s->interrupts, s->software_interrupts, s->syscalls, s->raises, s->exits, m->vt.nblocks,
            s->icount_misses);
    fprintf(out, "  \"observed\": {");
    for (int k = 0; k < OBS_COUNT; k++)
        fprintf(out, "%s\"%s\": %" PRIu64, k ? ", " : "", observe_kind_name((enum observe_kind)k),
                s->observed[k]);
    fprintf(out, "},\n  \"port_reads\": %" PRIu64 ",\n  \"port_writes\": %" PRIu64
                 ",\n  \"mmio_reads\": %" PRIu64 ",\n  \"mmio_writes\": %" PRIu64
                 ",\n  \"disk_reads\": %" PRIu64 ",\n  \"disk_writes\": %" PRIu64
                 ",\n  \"disk_errors\": %" PRIu64,
            s->port_reads, s->port_writes, s->mmio_reads, s->mmio_writes, s->disk_reads,
            s->disk_writes, s->disk_errors);
    if (m->tlbm) {
        fputs(",\n  \"tlb\": ", out);
        tlbm_print_json(m, out);
        tlbphase_json(m, out);
    }
    gueststats_json(m, out);
    fputs("\n}\n", out);
}
