/*
 * vtime.c - deterministic virtual time: executed instructions, counted per
 * translation block.
 *
 * Unicorn's block hook runs as each block starts and gives its address and
 * size in bytes; the block's instruction count, and where each instruction
 * starts, are decoded with Capstone once and cached (keyed by address,
 * size, CR3 and code mode).  The count is added as the block starts.  If the
 * run then stops inside the block (a fault, a trap, an I/O stop),
 * vtime_settle() takes back the instructions that did not run: those that
 * start at or after RIP.
 *
 * A block that would end after the deadline is not started: the hook stops
 * the run in front of it (Unicorn honours a stop requested by a block hook
 * before the block executes, provided the hook also rewrites RIP).  The run
 * loop then steps exactly to the deadline with `until` set to the address
 * of the deadline's instruction, so timer interrupts and instruction limits
 * land on exact instructions.  (A count-limited run would make Unicorn
 * flush all translated code when counting is switched off again.)
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "emu/gdbtarget.h"
#include "emu/machine.h"
#include "shared/x86.h"

#define ICACHE_BITS 14
#define ICACHE_SIZE (1u << ICACHE_BITS)
#define MAX_BLOCK 4096

bool vtime_init(struct machine *m)
{
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return false;
    m->vt.capstone = h;
    m->vt.cache = calloc(ICACHE_SIZE, sizeof *m->vt.cache);
    m->vt.deadline = UINT64_MAX;
    m->vt.accounted = true;
    return m->vt.cache != NULL;
}

void vtime_free(struct machine *m)
{
    if (m->vt.capstone) {
        csh h = m->vt.capstone;
        cs_close(&h);
    }
    free(m->vt.cache);
}

/* Instructions from va, one at a time, as QEMU will run them: Capstone in
 * the current code mode; an undecodable byte (QEMU raises #UD there) and
 * an unreadable one count as an instruction of one byte. */
struct decoder {
    csh h;
    cs_insn *insn;
    const uint8_t *code;
    size_t size;        /* readable bytes left */
    uint64_t addr, end; /* the next instruction; the end of the range */
    uint8_t buf[MAX_BLOCK + 16];
};

static void decoder_open(struct machine *m, struct decoder *d, uint64_t va, uint64_t len)
{
    if (len > MAX_BLOCK)
        len = MAX_BLOCK;
    d->h = m->vt.capstone;
    cs_option(d->h, CS_OPT_MODE, m->code32 ? CS_MODE_32 : CS_MODE_64);
    d->insn = cs_malloc(d->h);
    d->size = machine_virt_read(m, va, d->buf, len);
    d->code = d->buf;
    d->addr = va;
    d->end = va + len;
}

/* The next instruction: its address and length, and its Capstone id (0 if
 * it did not decode); false at the end of the range. */
static bool decoder_next(struct decoder *d, uint64_t *at, unsigned *len, unsigned *id)
{
    if (d->addr >= d->end)
        return false;
    *at = d->addr;
    if (d->size > 0 && cs_disasm_iter(d->h, &d->code, &d->size, &d->addr, d->insn)) {
        *len = d->insn->size, *id = d->insn->id;
        return true;
    }
    if (d->size > 0)
        d->code++, d->size--;
    d->addr++;
    *len = 1, *id = 0;
    return true;
}

static void decoder_close(struct decoder *d)
{
    cs_free(d->insn, 1);
}

/* Decode [va, va + len): number of instructions, and the last one's length;
 * with starts, mark where each of the first VTIME_STARTS bytes' instructions
 * begins. */
static unsigned decode_count(struct machine *m, uint64_t va, uint64_t len, unsigned *last_len,
                             uint64_t *starts)
{
    struct decoder d;
    uint64_t at;
    unsigned n = 0, last = 0, id;
    decoder_open(m, &d, va, len);
    while (decoder_next(&d, &at, &last, &id)) {
        uint64_t off = at - va;
        if (starts && off < VTIME_STARTS)
            starts[off / 64] |= 1ull << (off % 64);
        n++;
    }
    decoder_close(&d);
    if (last_len)
        *last_len = last;
    return n;
}

unsigned vtime_count(struct machine *m, uint64_t va, uint64_t len, unsigned *last_len)
{
    return decode_count(m, va, len, last_len, NULL);
}

void vtime_forget_counts(struct machine *m)
{
    memset(m->vt.cache, 0, ICACHE_SIZE * sizeof *m->vt.cache);
    vtime_current(&m->vt)->e = NULL;
}

/* A miss in the count cache: decode the block. */
static __attribute__((noinline)) const struct icount_entry *
decode_block(struct machine *m, struct icount_entry *e, uint64_t va, uint32_t size)
{
    unsigned last;
    if (vtime_current(&m->vt)->e == e)
        vtime_current(&m->vt)->e = NULL; /* the current block's entry is reused */
    memset(e->starts, 0, sizeof e->starts);
    e->count = decode_count(m, va, size, &last, e->starts);
    e->last_len = last;
    e->va = va, e->size = size, e->cr3 = m->mmu.regs.cr3, e->code32 = m->code32;
    m->stats.icount_misses++;
    return e;
}

/* The cached count of a block.  The hook runs at every block, so a hit is
 * a few compares. */
static inline const struct icount_entry *lookup(struct machine *m, uint64_t va, uint32_t size)
{
    struct icount_entry *e = &m->vt.cache[(va ^ (va >> ICACHE_BITS)) & (ICACHE_SIZE - 1)];
    if (__builtin_expect(e->va == va && e->size == size && e->cr3 == m->mmu.regs.cr3 &&
                         e->code32 == m->code32 && e->count != 0, 1))
        return e;
    return decode_block(m, e, va, size);
}

void vtime_arm(struct machine *m)
{
    struct vtime *vt = &m->vt;
    bool attend = m->raising || m->regs_stale || m->cpl_stale || vt->precise || vt->poll_irq;
    uint64_t limit = vt->deadline;
    if (m->gdb && m->gdb_block_at < limit) /* a debugger looks at blocks from then on */
        limit = m->gdb_block_at;
    vt->limit = attend ? 0 : limit;
}

/* The block starts: it is the current block now. */
static inline void start_block(struct vtime *vt, uint64_t va, uint32_t size,
                               const struct icount_entry *e)
{
    vt->nblocks++;
    *vtime_current(vt) = (struct vtime_block){ va, e, size, e->count, e->last_len };
}

/* The block would end after the deadline, or an interrupt that waited for
 * IF can be taken now: stop the run in front of it. */
static void stop_before(struct machine *m, void *uc, uint64_t va, uint32_t size)
{
    m->vt.stopped_at_block = true;
    m->vt.stopped_size = size;
    m->vt.stopped_va = va;
    /* Writing RIP makes Unicorn leave at once: if the block's first
     * instruction carries a code hook (the tracer, an observed privileged
     * instruction), a bare stop would come only after it (with RIP already
     * past it although it did not run). */
    machine_set_reg(m, UC_X86_REG_RIP, va);
    uc_emu_stop(uc);
}

/* The block hook when something needs attention (see vtime_arm). */
static void on_block_attend(struct machine *m, void *uc, uint64_t va, uint32_t size)
{
    struct vtime *vt = &m->vt;
    if (m->raising)
        return; /* the machine's own privilege-change code is not guest time */
    if (m->regs_stale)
        machine_sync_paging(m);
    if (m->cpl_stale) /* the instruction that may have changed it is done */
        machine_sync_cs(m);
    vtime_arm(m);
    const struct icount_entry *e = lookup(m, va, size);
    if (!vt->precise) {
        if (m->gdb && vt->now >= m->gdb_block_at) { /* a debugger may stop in or before it */
            gdbtarget_on_block(m, va, size);
            vtime_arm(m);
        }
        if (vt->now + e->count > vt->deadline ||
            (vt->poll_irq && (machine_reg(m, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF))) {
            stop_before(m, uc, va, size);
            return;
        }
        vt->now += e->count;
    }
    vt->accounted = !vt->precise;
    start_block(vt, va, size, e);
}

/* The block hook.  It runs before every block, so its common case -- no
 * deadline near, nothing to attend to -- is a cache hit, a compare and a
 * few stores.  (Here the block's count is in `now` as it starts: accounted
 * stays true, as settling left it.) */
void vtime_on_block(void *uc, uint64_t va, uint32_t size, void *user)
{
    struct machine *m = user;
    struct vtime *vt = &m->vt;
    if (__builtin_expect(vt->limit == 0, 0)) {
        on_block_attend(m, uc, va, size);
        return;
    }
    const struct icount_entry *e = lookup(m, va, size);
    if (__builtin_expect(vt->now + e->count > vt->limit, 0)) {
        on_block_attend(m, uc, va, size); /* the deadline, or a debugger's time */
        return;
    }
    vt->now += e->count;
    start_block(vt, va, size, e);
}

/* Instructions of the current block before rip (all of them if rip is past). */
static unsigned executed_before(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    const struct vtime_block *b = vtime_current(vt);
    if (rip < b->va || rip >= b->va + b->size)
        return b->n;
    uint64_t off = rip - b->va;
    if (b->e && off <= VTIME_STARTS) { /* the instruction starts before rip */
        unsigned n = 0;
        for (unsigned w = 0; w * 64 < off; w++) {
            uint64_t bits = b->e->starts[w];
            if (off - w * 64 < 64)
                bits &= (1ull << (off - w * 64)) - 1;
            n += (unsigned)__builtin_popcountll(bits);
        }
        return n;
    }
    return off == 0 ? 0 : vtime_count(m, b->va, off, NULL);
}

/* The current block ran up to rip, not beyond: count what ran, and let the
 * block end there (so that vtime_at, asked later, agrees). */
static void end_block_at(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    struct vtime_block *b = vtime_current(vt);
    unsigned done = executed_before(m, rip);
    if (vt->accounted)
        vt->now -= b->n - done;
    else
        vt->now += done;
    vt->accounted = true;
    if (rip >= b->va && rip < b->va + b->size)
        b->size = (uint32_t)(rip - b->va);
    b->n = done;
}

void vtime_settle(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    if (vt->nblocks == vt->nblocks_at_run)
        return; /* no block started in this run */
    /* Stopped in front of a block: the last block started ran to its end,
     * even if the next one begins inside its bytes (a jump back into it). */
    if (vt->stopped_at_block) {
        if (!vt->accounted)
            vt->now += vtime_current(vt)->n;
        vt->accounted = true;
        return;
    }
    end_block_at(m, rip);
}

void vtime_cut_block(struct machine *m, uint64_t resume)
{
    end_block_at(m, resume);
}

uint64_t vtime_at(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    unsigned done = executed_before(m, rip);
    return vt->accounted ? vt->now - vtime_current(vt)->n + done : vt->now + done;
}

bool vtime_in_interrupt_shadow(struct machine *m)
{
    /* QEMU ends a block after STI, MOV SS and POP SS, so the instruction
     * that opens an interrupt shadow is the last of the block just run. */
    const struct vtime_block *blk = vtime_current(&m->vt);
    if (!blk->last_len)
        return false;
    uint64_t at = blk->va + blk->size - blk->last_len;
    uint8_t b[3] = { 0 };
    if (machine_virt_read(m, at, b, blk->last_len < 3 ? blk->last_len : 3) == 0)
        return false;
    if (b[0] == 0xfb)                          /* STI */
        return true;
    if (b[0] == 0x17 || b[0] == 0x8e)          /* POP SS (32-bit), MOV Sreg: check reg */
        return b[0] == 0x17 || ((b[1] >> 3) & 7) == 2;
    return false;
}

uint64_t vtime_io_time(struct machine *m)
{
    /* Inside an I/O hook RIP still shows the block's start, but the hook
     * knows it is the io_in_block-th port instruction of the block, and a
     * block runs straight through: find that instruction. */
    struct vtime *vt = &m->vt;
    const struct vtime_block *b = vtime_current(vt);
    struct decoder d;
    uint64_t at, found = b->va + b->size;
    unsigned len, id, seen = 0;
    decoder_open(m, &d, b->va, b->size);
    while (decoder_next(&d, &at, &len, &id)) {
        switch (id) {
        case X86_INS_IN: case X86_INS_OUT: case X86_INS_INSB: case X86_INS_INSW:
        case X86_INS_INSD: case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
            seen++;
            break;
        default:
            continue;
        }
        if (seen == vt->io_in_block) {
            found = at;
            break;
        }
    }
    decoder_close(&d);
    return vtime_at(m, found);
}

uint64_t vtime_insn_address(struct machine *m, uint64_t va, unsigned k)
{
    struct decoder d;
    uint64_t at = va;
    unsigned len = 0, id;
    decoder_open(m, &d, va, MAX_BLOCK);
    for (unsigned i = 0; i < k && decoder_next(&d, &at, &len, &id); i++)
        at += len;
    decoder_close(&d);
    return at;
}
