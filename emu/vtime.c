/*
 * vtime.c - deterministic virtual time: executed instructions, counted per
 * translation block.
 *
 * Unicorn's block hook runs as each block starts and gives its address and
 * size in bytes; the block's instruction count is decoded with Capstone once
 * and cached (keyed by address, size, CR3 and code mode).  The count is
 * added as the block starts.  If the run then stops inside the block (a
 * fault, a trap, an I/O stop), vtime_settle() takes back the instructions
 * that did not run, decoding [block start, RIP).
 *
 * A block that would end after the deadline is not started: the hook stops
 * the run in front of it (Unicorn honours a stop requested by a block hook
 * before the block executes).  The run loop then steps exactly to the
 * deadline with `until` set to the address of the deadline's instruction,
 * so timer interrupts and instruction limits land on exact instructions.
 * (A count-limited run would make Unicorn flush all translated code when
 * counting is switched off again.)
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "shared/x86.h"

#define ICACHE_BITS 16
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

/* Decode [va, va + len): number of instructions, and the last one's length. */
unsigned vtime_count(struct machine *m, uint64_t va, uint64_t len, unsigned *last_len)
{
    uint8_t buf[MAX_BLOCK + 16];
    if (len > MAX_BLOCK)
        len = MAX_BLOCK;
    size_t got = machine_virt_read(m, va, buf, len);
    csh h = m->vt.capstone;
    cs_option(h, CS_OPT_MODE, m->code32 ? CS_MODE_32 : CS_MODE_64);
    cs_insn *insn = cs_malloc(h);
    const uint8_t *code = buf;
    size_t size = got;
    uint64_t addr = va;
    unsigned n = 0, last = 0;
    while (size > 0) {
        if (cs_disasm_iter(h, &code, &size, &addr, insn)) {
            last = insn->size;
        } else { /* not decodable (QEMU raises #UD there): count a byte */
            code++, size--, addr++;
            last = 1;
        }
        n++;
    }
    cs_free(insn, 1);
    if (got < len) /* unreadable tail: a byte per instruction, as above */
        n += (unsigned)(len - got), last = 1;
    if (last_len)
        *last_len = last;
    return n;
}

static uint64_t cache_key(const struct machine *m, uint64_t va, uint32_t size)
{
    return (va ^ ((uint64_t)size << 48) ^ (m->mmu.regs.cr3 * 0x9e3779b97f4a7c15ull)) |
           (m->code32 ? 1ull << 63 : 0);
}

static const struct icount_entry *lookup(struct machine *m, uint64_t va, uint32_t size)
{
    uint64_t key = cache_key(m, va, size);
    struct icount_entry *e = &m->vt.cache[(key ^ (key >> 29)) & (ICACHE_SIZE - 1)];
    if (e->key != key || e->count == 0) {
        unsigned last;
        e->count = vtime_count(m, va, size, &last);
        e->last_len = last;
        e->key = key;
        m->stats.icount_misses++;
    }
    return e;
}

void vtime_on_block(void *uc, uint64_t va, uint32_t size, void *user)
{
    struct machine *m = user;
    struct vtime *vt = &m->vt;
    if (m->raising)
        return; /* the machine's own privilege-change code is not guest time */
    if (m->regs_stale)
        machine_sync_paging(m);
    if (m->cpl_stale) { /* the instruction that may have changed it is done */
        uint64_t cs = machine_reg(m, UC_X86_REG_CS);
        m->cpl = cs & 3;
        m->code32 = machine_cs_is_32bit(m, cs);
        m->cpl_stale = false;
    }
    const struct icount_entry *e = lookup(m, va, size);
    vt->accounted = !vt->precise;
    if (!vt->precise) {
        bool stop = vt->now + e->count > vt->deadline;
        if (vt->poll_irq && (machine_reg(m, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF))
            stop = true; /* an interrupt waited for IF: it can be taken here */
        if (stop) {
            vt->stopped_at_block = true;
            vt->stopped_va = va;
            vt->stopped_size = size;
            uc_emu_stop(uc);
            return;
        }
        vt->now += e->count;
    }
    m->stats.blocks++;
    vt->started = true;
    vt->io_in_block = 0;
    vt->prev_va = vt->block_va, vt->prev_size = vt->block_size, vt->prev_last_len = vt->block_last_len;
    vt->block_va = va, vt->block_size = size, vt->block_n = e->count, vt->block_last_len = e->last_len;
    vt->recent[vt->nrecent++ % VTIME_RECENT] = (struct vtime_block){ va, size };
}

/* Instructions of the current block before rip (all of them if rip is past). */
static unsigned executed_before(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    if (rip < vt->block_va || rip >= vt->block_va + vt->block_size)
        return vt->block_n;
    return rip == vt->block_va ? 0 : vtime_count(m, vt->block_va, rip - vt->block_va, NULL);
}

void vtime_settle(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    if (!vt->started)
        return; /* no block started in this run */
    /* Stopped in front of a block: the last block started ran to its end,
     * even if the next one begins inside its bytes (a jump back into it). */
    unsigned done = vt->stopped_at_block ? vt->block_n : executed_before(m, rip);
    if (!vt->accounted)
        vt->now += done;
    else
        vt->now -= vt->block_n - done;
    vt->accounted = true;
}

void vtime_cut_block(struct machine *m, uint64_t resume)
{
    struct vtime *vt = &m->vt;
    unsigned done = executed_before(m, resume);
    if (vt->accounted)
        vt->now -= vt->block_n - done;
    else
        vt->now += done;
    vt->accounted = true;
    /* The block now ends at resume: nothing after it ran. */
    vt->block_size = (uint32_t)(resume - vt->block_va);
    vt->block_n = done;
}

uint64_t vtime_at(struct machine *m, uint64_t rip)
{
    struct vtime *vt = &m->vt;
    unsigned done = executed_before(m, rip);
    return vt->accounted ? vt->now - vt->block_n + done : vt->now + done;
}

bool vtime_in_interrupt_shadow(struct machine *m)
{
    /* QEMU ends a block after STI, MOV SS and POP SS, so the instruction
     * that opens an interrupt shadow is the last of the block just run. */
    struct vtime *vt = &m->vt;
    if (!vt->block_last_len)
        return false;
    uint64_t at = vt->block_va + vt->block_size - vt->block_last_len;
    uint8_t b[3] = { 0 };
    if (machine_virt_read(m, at, b, vt->block_last_len < 3 ? vt->block_last_len : 3) == 0)
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
    uint8_t buf[MAX_BLOCK + 16];
    size_t got = machine_virt_read(m, vt->block_va, buf,
                                   vt->block_size < MAX_BLOCK ? vt->block_size : MAX_BLOCK);
    csh h = m->vt.capstone;
    cs_option(h, CS_OPT_MODE, m->code32 ? CS_MODE_32 : CS_MODE_64);
    cs_insn *insn = cs_malloc(h);
    const uint8_t *code = buf;
    size_t size = got;
    uint64_t addr = vt->block_va, found = vt->block_va + vt->block_size;
    unsigned seen = 0;
    while (size > 0 && cs_disasm_iter(h, &code, &size, &addr, insn)) {
        switch (insn->id) {
        case X86_INS_IN: case X86_INS_OUT: case X86_INS_INSB: case X86_INS_INSW:
        case X86_INS_INSD: case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
            if (++seen == vt->io_in_block) {
                found = insn->address;
                size = 0;
            }
            break;
        default:
            break;
        }
    }
    cs_free(insn, 1);
    return vtime_at(m, found);
}

uint64_t vtime_insn_address(struct machine *m, uint64_t va, unsigned k)
{
    uint8_t buf[MAX_BLOCK + 16];
    size_t got = machine_virt_read(m, va, buf, MAX_BLOCK);
    csh h = m->vt.capstone;
    cs_option(h, CS_OPT_MODE, m->code32 ? CS_MODE_32 : CS_MODE_64);
    cs_insn *insn = cs_malloc(h);
    const uint8_t *code = buf;
    size_t size = got;
    uint64_t addr = va;
    for (unsigned i = 0; i < k && size > 0; i++)
        if (!cs_disasm_iter(h, &code, &size, &addr, insn))
            code++, size--, addr++;
    cs_free(insn, 1);
    return addr;
}
