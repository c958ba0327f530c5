/*
 * gdbtarget.c - the machine as a gdb target: `mmulab run --gdb PORT`.
 *
 * The protocol is the stub's (emu/gdbstub/); this file gives it the
 * machine's registers and virtual memory, and makes the run loop stop where
 * gdb wants, without ever patching guest memory:
 *
 *   breakpoints   the block hook asks gdb_stub_breakpoint_in() for the
 *                 block about to start (one comparison while there are none);
 *                 if a breakpoint lies on one of its instructions, the
 *                 virtual-time deadline is lowered to that instruction and
 *                 the run loop's exact-deadline machinery (vtime.c, run.c)
 *                 stops there; gdbtarget_breaks() then reports it before the
 *                 instruction runs;
 *   single step   the same deadline, one instruction ahead; a step that
 *                 faults or meets a due interrupt ends once the event has
 *                 been delivered (RIP at the handler, no handler instruction
 *                 run);
 *   watchpoints   while gdb has any: a memory hook checks each data access
 *                 and a code hook stops the run before the next instruction,
 *                 so the stop is reported after the accessing instruction
 *                 completed, as x86 data breakpoints are (hooks and their
 *                 cost exist only while watchpoints do);
 *   Ctrl-C        the socket is polled between execution slices: when a
 *                 block would start SLICE instructions after the last poll,
 *                 the run stops in front of it (no re-translation, so the
 *                 run is exactly the one without a debugger).
 *
 * Memory is virtual, translated by our MMU in the current address space
 * with MMU_DEBUG (no accessed/dirty flags set), so looking does not change
 * the run.  Register and memory writes that change nothing are ignored, so
 * gdb's habit of writing back what it read has no side effects either.
 */
#include <capstone/capstone.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/gdbstub/gdbstub.h"
#include "emu/gdbtarget.h"
#include "emu/machine.h"
#include "mmu/tlb.h"
#include "shared/x86.h"

/* Instructions between two polls of the debugger's socket: about a
 * millisecond of guest work at Unicorn's speed. */
#define SLICE 500000u
#define MAX_BLOCK 4096
/* Pages of one watchpoint followed (gdb asks for a few bytes at a time). */
#define MAX_WATCH_PAGES 1024

enum mode {
    MODE_FREE, /* no debugger (or it detached): run, poll for one now and then */
    MODE_RUN,  /* gdb continued: breakpoints apply */
    MODE_STEP, /* gdb asked for one instruction */
};

/* Part of a watched range, as the memory hooks see it: [pa, pa + len) is
 * what [va, va + len) translates to. */
struct watch_seg {
    uint64_t pa, len, va;
};

struct gdbtarget {
    struct machine *m;
    struct gdb_stub *stub;
    csh cs;
    enum mode mode;
    uint64_t poll_at;           /* virtual time of the next socket poll */
    /* Where the single step started: instructions executed (virtual time
     * less idle time), events delivered, RIP. */
    uint64_t step_insns, step_events, step_rip;
    /* Watchpoint hooks, installed only while gdb has watchpoints. */
    bool hooked;
    uc_hook code_hook, mem_hook;
    struct watch_seg *segs;     /* the watched ranges as physical memory */
    size_t nsegs, segs_cap;
    bool watch_hit;             /* an access hit; stop before the next instruction */
    bool stopped_run;           /* ... and our code hook stopped the run for it */
    struct gdb_stop watch_stop;
};

/* ---- registers ---- */

static const int gpr[16] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
    UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,
    UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};
static const int seg[6] = {
    UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS,
};
/* fctrl fstat ftag fiseg fioff foseg fooff fop */
static const int x87[8] = {
    UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_FCS,
    UC_X86_REG_FIP, UC_X86_REG_FDS, UC_X86_REG_FDP, UC_X86_REG_FOP,
};

/* The Unicorn register behind a gdb register with a plain integer value, or
 * UC_X86_REG_INVALID for those that need more care. */
static int uc_reg_of(int regno)
{
    if (regno >= GDB_REG_RAX && regno <= GDB_REG_R15)
        return gpr[regno - GDB_REG_RAX];
    if (regno >= GDB_REG_CS && regno <= GDB_REG_GS)
        return seg[regno - GDB_REG_CS];
    if (regno >= GDB_REG_FCTRL && regno <= GDB_REG_FOP)
        return x87[regno - GDB_REG_FCTRL];
    switch (regno) {
    case GDB_REG_RIP: return UC_X86_REG_RIP;
    case GDB_REG_EFLAGS: return UC_X86_REG_RFLAGS;
    case GDB_REG_MXCSR: return UC_X86_REG_MXCSR;
    case GDB_REG_FS_BASE: return UC_X86_REG_FS_BASE;
    case GDB_REG_GS_BASE: return UC_X86_REG_GS_BASE;
    case GDB_REG_CR0: return UC_X86_REG_CR0;
    case GDB_REG_CR2: return UC_X86_REG_CR2;
    case GDB_REG_CR3: return UC_X86_REG_CR3;
    case GDB_REG_CR4: return UC_X86_REG_CR4;
    default: return UC_X86_REG_INVALID;
    }
}

/* gdb's st(i) is the register i places below the top of the x87 stack;
 * Unicorn's FPn is the physical register n. */
static int fp_reg_of(struct machine *m, int regno)
{
    unsigned top = (unsigned)(machine_reg(m, UC_X86_REG_FPSW) >> 11) & 7;
    return UC_X86_REG_FP0 + (int)((top + (unsigned)(regno - GDB_REG_ST0)) & 7);
}

static bool msr_read(struct machine *m, uint32_t id, uint64_t *v)
{
    uc_x86_msr msr = { id, 0 };
    if (uc_reg_read(m->uc, UC_X86_REG_MSR, &msr) != UC_ERR_OK)
        return false;
    *v = msr.value;
    return true;
}

static int read_reg(void *t, int regno, uint8_t *buf)
{
    struct gdbtarget *g = t;
    struct machine *m = g->m;
    unsigned size = gdb_reg_size(regno);
    uint64_t v;
    if (size == 0)
        return -1;
    if (regno >= GDB_REG_ST0 && regno < GDB_REG_ST0 + 8) {
        uint8_t fp[16] = { 0 }; /* 64-bit mantissa, 16-bit sign and exponent */
        if (uc_reg_read(m->uc, fp_reg_of(m, regno), fp) != UC_ERR_OK)
            return -1;
        memcpy(buf, fp, size);
        return (int)size;
    }
    if (regno >= GDB_REG_XMM0 && regno < GDB_REG_XMM0 + 16) {
        uint8_t x[16] = { 0 };
        if (uc_reg_read(m->uc, UC_X86_REG_XMM0 + (regno - GDB_REG_XMM0), x) != UC_ERR_OK)
            return -1;
        memcpy(buf, x, size);
        return (int)size;
    }
    v = 0;
    switch (regno) {
    case GDB_REG_CR8: /* the APIC's TPR[7:4]: QEMU's own CR8 is not our APIC's */
        v = m->apic.tpr >> 4;
        break;
    case GDB_REG_EFER:
        if (!msr_read(m, X86_MSR_EFER, &v))
            return -1;
        break;
    case GDB_REG_KERNEL_GS_BASE:
        if (!msr_read(m, X86_MSR_KERNEL_GS_BASE, &v))
            return -1;
        break;
    default: {
        int r = uc_reg_of(regno);
        if (r == UC_X86_REG_INVALID || uc_reg_read(m->uc, r, &v) != UC_ERR_OK)
            return -1;
        if (regno >= GDB_REG_CS && regno <= GDB_REG_GS)
            v &= 0xffff;
    }
    }
    memcpy(buf, &v, size); /* little-endian, as gdb wants */
    return (int)size;
}

/* The paging registers changed under the guest's feet: as a MOV to CRn. */
static void paging_changed(struct machine *m)
{
    machine_sync_paging(m);
    uc_ctl_flush_tlb(m->uc);
}

static int write_reg(void *t, int regno, const uint8_t *buf)
{
    struct gdbtarget *g = t;
    struct machine *m = g->m;
    unsigned size = gdb_reg_size(regno);
    uint8_t old[16];
    if (read_reg(t, regno, old) != (int)size)
        return -1;
    if (memcmp(old, buf, size) == 0)
        return 0; /* unchanged (gdb writes back what it read): no side effects */
    uint64_t v = 0;
    memcpy(&v, buf, size < 8 ? size : 8);
    uc_err e = UC_ERR_OK;
    if (regno >= GDB_REG_ST0 && regno < GDB_REG_ST0 + 8) {
        uint8_t fp[16] = { 0 }, back[10];
        memcpy(fp, buf, 10);
        e = uc_reg_write(m->uc, fp_reg_of(m, regno), fp);
        if (e == UC_ERR_OK && (read_reg(t, regno, back) != 10 || memcmp(back, buf, 10) != 0))
            return -1; /* this Unicorn ignores x87 register writes */
        return e == UC_ERR_OK ? 0 : -1;
    }
    if (regno >= GDB_REG_XMM0 && regno < GDB_REG_XMM0 + 16) {
        uint8_t x[16];
        memcpy(x, buf, 16);
        e = uc_reg_write(m->uc, UC_X86_REG_XMM0 + (regno - GDB_REG_XMM0), x);
        return e == UC_ERR_OK ? 0 : -1;
    }
    switch (regno) {
    case GDB_REG_CS:
    case GDB_REG_SS:
        /* The register API would change the selector alone, not the CPL or
         * the hidden descriptor (BRIEF §3.7): refuse rather than pretend. */
        return -1;
    case GDB_REG_CR2:
        machine_set_cr2(m, v); /* Unicorn's own CR2 write also clobbers CR3 (ucfix.c) */
        return 0;
    case GDB_REG_CR8:
        m->apic.tpr = (uint32_t)(v & 0xf) << 4;
        return 0;
    case GDB_REG_EFER:
    case GDB_REG_KERNEL_GS_BASE: {
        uc_x86_msr msr = { regno == GDB_REG_EFER ? X86_MSR_EFER : X86_MSR_KERNEL_GS_BASE, v };
        e = uc_reg_write(m->uc, UC_X86_REG_MSR, &msr);
        if (e == UC_ERR_OK && regno == GDB_REG_EFER)
            paging_changed(m);
        return e == UC_ERR_OK ? 0 : -1;
    }
    default: {
        int r = uc_reg_of(regno);
        if (r == UC_X86_REG_INVALID)
            return -1;
        e = uc_reg_write(m->uc, r, &v);
        if (e != UC_ERR_OK)
            return -1;
        if (regno == GDB_REG_CR0 || regno == GDB_REG_CR3 || regno == GDB_REG_CR4)
            paging_changed(m);
        if (regno >= GDB_REG_DS && regno <= GDB_REG_GS)
            m->desc_stale = true;
        return 0;
    }
    }
}

/* ---- memory ---- */

static size_t read_mem(void *t, uint64_t va, uint8_t *buf, size_t len)
{
    struct gdbtarget *g = t;
    return machine_virt_read(g->m, va, buf, len);
}

/* Write only the bytes that differ; if any did, drop Unicorn's translated
 * code (it may have been code) and the cached instruction counts. */
static size_t write_mem(void *t, uint64_t va, const uint8_t *buf, size_t len)
{
    struct gdbtarget *g = t;
    struct machine *m = g->m;
    size_t done = 0;
    bool changed = false;
    while (done < len) {
        uint8_t cur[256];
        size_t n = len - done < sizeof cur ? len - done : sizeof cur;
        size_t got = machine_virt_read(m, va + done, cur, n);
        if (got > 0 && memcmp(cur, buf + done, got) != 0) {
            got = machine_virt_write(m, va + done, buf + done, got);
            changed = true;
        }
        done += got;
        if (got < n)
            break; /* the next byte does not translate */
    }
    if (changed) {
        /* Physical pages may be mapped at other addresses too: drop it all
         * rather than the range (uc_ctl_remove_cache would also translate
         * through the fill hook, setting accessed flags). */
        uc_ctl_flush_tb(m->uc);
        vtime_forget_counts(m);
    }
    return done;
}

/* ---- monitor commands ---- */

static bool parse_va(const char *s, uint64_t *va)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    errno = 0;
    *va = strtoull(s, &end, 0);
    while (isspace((unsigned char)*end))
        end++;
    return errno == 0 && end != s && *end == '\0';
}

/* "walk VA" matches word "walk" and leaves *arg at " VA". */
static bool command_is(const char *cmd, const char *word, const char **arg)
{
    size_t n = strlen(word);
    if (strncmp(cmd, word, n) != 0 || (cmd[n] && !isspace((unsigned char)cmd[n])))
        return false;
    *arg = cmd + n;
    return true;
}

static void print_tlb(struct machine *m, FILE *out)
{
    if (!m->mmu.tlb) {
        fputs("no TLB model attached\n", out);
        return;
    }
    tlb_print_stats(out, m->mmu.tlb);
}

static int run_monitor(struct gdbtarget *g, const char *cmd, FILE *out)
{
    struct machine *m = g->m;
    const char *arg;
    uint64_t va;
    while (isspace((unsigned char)*cmd))
        cmd++;
    if (m->regs_stale)
        machine_sync_paging(m);
    if (command_is(cmd, "walk", &arg) || command_is(cmd, "phys", &arg)) {
        bool walk = cmd[0] == 'w';
        if (!parse_va(arg, &va)) {
            fprintf(out, "usage: monitor %s VA (a number: 0x... hex, else decimal)\n",
                    walk ? "walk" : "phys");
            return 1;
        }
        struct mmu_walk w;
        bool ok = mmu_translate(&m->mmu, va, MMU_READ, MMU_DEBUG, &w);
        if (walk) {
            fprintf(out, "CR3 0x%" PRIx64 ", %s; as the debugger sees it (no A/D set):\n",
                    m->mmu.regs.cr3, mmu_mode_name((enum mmu_mode)m->mmu.paging.mode));
            mmu_walk_print(out, &w);
        } else if (ok) {
            fprintf(out, "0x%" PRIx64 " -> physical 0x%" PRIx64 "\n", va, w.pa);
        } else {
            fprintf(out, "0x%" PRIx64 " does not translate: %s\n", va,
                    mmu_why_text((enum mmu_why)w.why));
        }
        return 0;
    }
    if (command_is(cmd, "tlb", &arg) && !*arg) {
        print_tlb(m, out);
        return 0;
    }
    if (command_is(cmd, "time", &arg) && !*arg) {
        fprintf(out, "%" PRIu64 " instructions\n", m->vt.now);
        return 0;
    }
    if (command_is(cmd, "help", &arg) || !*cmd) {
        fputs("mmulab monitor commands:\n"
              "  walk VA    the page walk for VA in the current address space, level by level\n"
              "  phys VA    the physical address VA translates to\n"
              "  tlb        the TLB model's statistics\n"
              "  time       virtual time: instructions executed so far\n"
              "VA is a number (0x... for hex); for a symbol: eval \"monitor walk %p\", &sym\n",
              out);
        return 0;
    }
    fprintf(out, "unknown monitor command '%s' (try: monitor help)\n", cmd);
    return 1;
}

static int monitor(void *t, const char *cmd, gdb_print_fn *print, void *ctx)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        print(ctx, "out of memory\n");
        return 1;
    }
    int rc = run_monitor(t, cmd, out);
    fclose(out);
    print(ctx, text);
    free(text);
    return rc;
}

static void log_line(void *t, const char *msg)
{
    (void)t;
    fprintf(stderr, "mmulab run: %s\n", msg);
}

static const struct gdb_target_ops ops = {
    .read_reg = read_reg,
    .write_reg = write_reg,
    .read_mem = read_mem,
    .write_mem = write_mem,
    .monitor = monitor,
    .log = log_line,
};

/* ---- watchpoints ---- */

static void add_seg(struct gdbtarget *g, uint64_t pa, uint64_t len, uint64_t va)
{
    struct watch_seg *last = g->nsegs ? &g->segs[g->nsegs - 1] : NULL;
    if (last && last->pa + last->len == pa && last->va + last->len == va) {
        last->len += len;
        return;
    }
    if (g->nsegs == g->segs_cap) {
        size_t cap = g->segs_cap ? 2 * g->segs_cap : 16;
        struct watch_seg *n = realloc(g->segs, cap * sizeof *n);
        if (!n)
            return;
        g->segs = n, g->segs_cap = cap;
    }
    g->segs[g->nsegs++] = (struct watch_seg){ pa, len, va };
}

/* Translate the watched ranges in the current address space, page by page.
 * Unmapped pages are skipped: nothing can access them until they are
 * mapped, and the ranges are translated again at every block. */
static void map_watchpoints(struct gdbtarget *g)
{
    struct machine *m = g->m;
    enum gdb_bp_type type;
    uint64_t addr, len;
    g->nsegs = 0;
    for (size_t i = 0; gdb_stub_watchpoint(g->stub, i, &type, &addr, &len); i++) {
        for (unsigned pages = 0; len > 0 && pages < MAX_WATCH_PAGES; pages++) {
            uint64_t n = 0x1000 - (addr & 0xfff);
            struct mmu_walk w;
            if (n > len)
                n = len;
            if (mmu_translate(&m->mmu, addr, MMU_READ, MMU_DEBUG, &w))
                add_seg(g, w.pa, n, addr);
            addr += n;
            len -= n;
        }
    }
}

/* Unicorn gives the physical address of each data access: back to the
 * watched virtual addresses through the segments. */
static void on_mem(uc_engine *uc, uc_mem_type type, uint64_t pa, int size, int64_t value,
                   void *user)
{
    struct gdbtarget *g = user;
    (void)uc, (void)value;
    if (g->watch_hit || g->m->raising || g->m->stop != STOP_NONE || size <= 0)
        return;
    uint64_t end = pa + (uint64_t)size;
    for (size_t i = 0; i < g->nsegs; i++) {
        const struct watch_seg *s = &g->segs[i];
        if (pa >= s->pa + s->len || end <= s->pa)
            continue;
        uint64_t lo = pa > s->pa ? pa : s->pa, hi = end < s->pa + s->len ? end : s->pa + s->len;
        if (gdb_stub_watch_hit(g->stub, s->va + (lo - s->pa), hi - lo, type == UC_MEM_WRITE,
                               &g->watch_stop)) {
            g->watch_hit = true;
            return;
        }
    }
}

/* Before each instruction: the previous one hit a watchpoint, stop here. */
static void on_insn(uc_engine *uc, uint64_t va, uint32_t size, void *user)
{
    struct gdbtarget *g = user;
    (void)va, (void)size;
    if (g->watch_hit && !g->m->raising) {
        g->stopped_run = true;
        uc_emu_stop(uc);
    }
}

/* Install or remove the watchpoint hooks.  Unicorn decides at translation
 * time which code calls hooks, so translated code is dropped either way. */
static void set_watch_hooks(struct gdbtarget *g, bool on)
{
    uc_engine *uc = g->m->uc;
    if (on == g->hooked)
        return;
    if (on) {
        if (uc_hook_add(uc, &g->code_hook, UC_HOOK_CODE, (void *)on_insn, g, 1, 0) != UC_ERR_OK)
            return;
        if (uc_hook_add(uc, &g->mem_hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)on_mem, g,
                        1, 0) != UC_ERR_OK) {
            uc_hook_del(uc, g->code_hook);
            return;
        }
    } else {
        uc_hook_del(uc, g->code_hook);
        uc_hook_del(uc, g->mem_hook);
    }
    g->hooked = on;
    uc_ctl_flush_tb(uc);
}

/* ---- execution control ---- */

/* Events delivered so far (a step that delivers one ends there). */
static uint64_t events(const struct machine *m)
{
    uint64_t n = m->stats.interrupts + m->stats.software_interrupts + m->stats.syscalls;
    for (int v = 0; v < 32; v++)
        n += m->stats.exceptions[v];
    return n;
}

/* From when the block hook must call gdbtarget_on_block(): every block
 * while breakpoints, a step or watchpoints need it, else at the next poll. */
static void update_block_at(struct gdbtarget *g)
{
    bool every = g->mode == MODE_STEP || g->hooked ||
                 (g->mode == MODE_RUN && gdb_stub_has_breakpoints(g->stub));
    g->m->gdb_block_at = every ? 0 : g->poll_at;
}

/* Carry out what gdb said; true if it killed the machine. */
static bool resume(struct gdbtarget *g, enum gdb_resume act)
{
    struct machine *m = g->m;
    switch (act) {
    case GDB_RESUME_KILL:
        snprintf(m->stop_message, sizeof m->stop_message, "killed by the debugger");
        machine_request_stop(m, STOP_BREAK, EXIT_DEBUGGER_KILL);
        set_watch_hooks(g, false);
        return true;
    case GDB_RESUME_STEP:
        g->mode = MODE_STEP;
        g->step_insns = m->vt.now - m->stats.idle;
        g->step_events = events(m);
        g->step_rip = machine_reg(m, UC_X86_REG_RIP);
        break;
    case GDB_RESUME_CONTINUE:
        g->mode = MODE_RUN;
        break;
    case GDB_RESUME_DETACH:
        g->mode = MODE_FREE;
        break;
    }
    set_watch_hooks(g, g->mode != MODE_FREE && gdb_stub_has_watchpoints(g->stub));
    if (g->hooked)
        map_watchpoints(g);
    g->poll_at = m->vt.now + SLICE;
    update_block_at(g);
    return false;
}

/* The machine stands still while gdb looks at it. */
static bool serve(struct gdbtarget *g, const struct gdb_stop *why)
{
    struct machine *m = g->m;
    if (m->regs_stale)
        machine_sync_paging(m);
    if (m->cfg.console)
        fflush(m->cfg.console); /* what the guest printed so far is visible */
    g->watch_hit = false;
    g->stopped_run = false;
    return resume(g, gdb_stub_wait(g->stub, why));
}

/* Index (in instructions from va) of the first instruction of the block at
 * [va, va + size) that carries a breakpoint.  Instructions are delimited as
 * vtime.c delimits them, so the index is a virtual-time offset. */
static bool break_index(struct gdbtarget *g, uint64_t va, uint32_t size, unsigned *k)
{
    struct machine *m = g->m;
    uint8_t code[MAX_BLOCK];
    size_t left = machine_virt_read(m, va, code, size < MAX_BLOCK ? size : MAX_BLOCK);
    const uint8_t *p = code;
    uint64_t addr = va;
    bool found = false;
    cs_option(g->cs, CS_OPT_MODE, m->code32 ? CS_MODE_32 : CS_MODE_64);
    cs_insn *insn = cs_malloc(g->cs);
    for (*k = 0; left > 0; ++*k) {
        if (gdb_stub_breakpoint_at(g->stub, addr, NULL)) {
            found = true;
            break;
        }
        if (!insn || !cs_disasm_iter(g->cs, &p, &left, &addr, insn))
            p++, left--, addr++; /* undecodable: a byte, as vtime counts it */
    }
    if (insn)
        cs_free(insn, 1);
    return found;
}

void gdbtarget_on_block(struct machine *m, uint64_t va, uint32_t size)
{
    struct gdbtarget *g = m->gdb;
    struct vtime *vt = &m->vt;
    uint64_t at = UINT64_MAX;
    unsigned k;
    if (g->hooked)
        map_watchpoints(g); /* the guest may have switched address spaces or remapped */
    if (vt->now >= g->poll_at)
        at = vt->now; /* stop in front of this block: time to poll */
    else if (g->mode == MODE_STEP) /* one instruction; idle time (HLT) does not count */
        at = m->stats.idle + g->step_insns + 1 > vt->now ? m->stats.idle + g->step_insns + 1
                                                         : vt->now;
    else if (g->mode == MODE_RUN && size > 0 &&
             gdb_stub_breakpoint_in(g->stub, va, va + size - 1) && break_index(g, va, size, &k))
        at = vt->now + k;
    if (at < vt->deadline)
        vt->deadline = at;
}

bool gdbtarget_traps(struct machine *m)
{
    struct gdbtarget *g = m->gdb;
    struct gdb_stop stop;
    if (g->watch_hit) {
        stop = g->watch_stop;
    } else if (g->mode == MODE_STEP &&
               (m->vt.now - m->stats.idle != g->step_insns || events(m) != g->step_events ||
                machine_reg(m, UC_X86_REG_RIP) != g->step_rip)) {
        stop = (struct gdb_stop){ .reason = GDB_STOP_STEP };
    } else {
        return false;
    }
    return serve(g, &stop);
}

bool gdbtarget_breaks(struct machine *m)
{
    struct gdbtarget *g = m->gdb;
    struct gdb_stop stop;
    if (g->mode == MODE_RUN && !m->halted && gdb_stub_has_breakpoints(g->stub) &&
        gdb_stub_breakpoint_at(g->stub, machine_reg(m, UC_X86_REG_RIP), &stop))
        return serve(g, &stop);
    if (m->vt.now >= g->poll_at) {
        g->poll_at = m->vt.now + SLICE;
        update_block_at(g);
        if (m->cfg.console)
            fflush(m->cfg.console); /* a debugger's user reads the console as it goes */
        if (gdb_stub_poll_interrupt(g->stub))
            return serve(g, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT });
        if (g->mode != MODE_FREE && !gdb_stub_attached(g->stub))
            resume(g, GDB_RESUME_DETACH); /* it vanished while the machine ran */
    }
    return false;
}

bool gdbtarget_owns_exit(struct machine *m)
{
    struct gdbtarget *g = m->gdb;
    bool mine = g->stopped_run;
    g->stopped_run = false;
    return mine;
}

/* The machine ended.  If it died (rather than powering off), let gdb look
 * at the corpse first; then say it exited. */
static void report_end(struct gdbtarget *g)
{
    struct machine *m = g->m;
    int signo = 0;
    switch (m->stop) {
    case STOP_TRIPLE_FAULT: signo = GDB_SIGSEGV; break;
    case STOP_ERROR: signo = GDB_SIGABRT; break;
    case STOP_HALTED:
    case STOP_INSN_LIMIT: signo = GDB_SIGTRAP; break;
    default: break;
    }
    if (signo && gdb_stub_attached(g->stub)) {
        g->watch_hit = false;
        gdb_stub_wait(g->stub, &(struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .signo = signo });
    }
    gdb_stub_exited(g->stub, m->exit_status);
}

int gdbtarget_run(struct machine *m, unsigned port, bool wait)
{
    struct gdbtarget *g = calloc(1, sizeof *g);
    int status = 1;
    if (!g || !(g->stub = gdb_stub_new(&ops, g)) ||
        cs_open(CS_ARCH_X86, CS_MODE_64, &g->cs) != CS_ERR_OK) {
        fprintf(stderr, "mmulab run: cannot set up the gdb stub\n");
        goto out;
    }
    if (port > 65535 || gdb_stub_listen(g->stub, (uint16_t)port) < 0) {
        fprintf(stderr, "mmulab run: cannot listen for gdb on 127.0.0.1:%u: %s\n", port,
                strerror(errno));
        goto out;
    }
    fprintf(stderr, "mmulab run: gdb: listening on 127.0.0.1:%u%s\n", gdb_stub_port(g->stub),
            wait ? ", waiting for the debugger" : "");
    g->m = m;
    g->mode = MODE_FREE;
    g->poll_at = m->vt.now + SLICE;
    m->gdb = g;
    update_block_at(g);
    bool killed = false;
    if (wait) {
        if (gdb_stub_accept(g->stub) < 0) {
            snprintf(m->stop_message, sizeof m->stop_message, "no debugger came: %s",
                     strerror(errno));
            machine_request_stop(m, STOP_BREAK, EXIT_DEBUGGER_KILL);
            killed = true;
        } else {
            killed = serve(g, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH });
        }
    }
    if (!killed)
        machine_run(m);
    report_end(g);
    set_watch_hooks(g, false);
    m->gdb = NULL;
    status = m->exit_status;
out:
    if (g) {
        gdb_stub_free(g->stub);
        if (g->cs)
            cs_close(&g->cs);
        free(g->segs);
        free(g);
    }
    return status;
}
