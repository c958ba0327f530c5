/*
 * vtime.h - deterministic virtual time (see vtime.c).
 *
 * Virtual time counts executed instructions: one instruction is one
 * nanosecond.  A block hook adds each translation block's instruction count
 * as the block starts (counts are decoded once and cached); when the run
 * loop stops in the middle of a block, the instructions that did not run are
 * taken back.  A block that would cross the deadline is not started: the run
 * stops in front of it, so timers and limits take effect at exact points.
 */
#ifndef EMU_VTIME_H
#define EMU_VTIME_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* Instruction starts are kept for the first VTIME_STARTS bytes of a block. */
#define VTIME_STARTS 256

/* A cached instruction count: the block at va of size bytes, decoded under
 * cr3 in 64-bit (code32 = 0) or compatibility mode. */
struct icount_entry {
    uint64_t va, cr3;
    uint32_t size, count;
    uint32_t last_len;   /* length of the block's last instruction */
    uint32_t code32;
    /* Bit i: an instruction starts at byte i.  A run that stops inside the
     * block counts what ran with these, without decoding again. */
    uint64_t starts[VTIME_STARTS / 64];
};

#define VTIME_RECENT 32  /* a power of two */

/* A block started: where, how big, how many instructions; its cache entry
 * (NULL once the entry is reused for another block). */
struct vtime_block {
    uint64_t va;
    const struct icount_entry *e;
    uint32_t size, n, last_len;
};

struct vtime {
    uint64_t now;             /* instructions executed */
    uint64_t deadline;        /* do not start a block that would end after this */
    uint64_t limit;           /* the deadline, or 0 when the hook must attend (vtime_arm) */
    bool precise;             /* stepping to the deadline: count after the run */
    bool poll_irq;            /* an interrupt waits for RFLAGS.IF: check every block */
    bool stopped_at_block;    /* the block hook stopped the run */
    uint64_t stopped_va;      /* ... at this address */
    bool accounted;           /* the current block's count is in now */
    uint32_t stopped_size;    /* ... in front of a block of this size */
    unsigned io_in_block;     /* port instructions run so far in block io_block */
    uint64_t io_block;
    struct icount_entry *cache;
    /* The blocks started, the current one last (recent[nblocks % VTIME_RECENT]). */
    uint64_t nblocks;
    uint64_t nblocks_at_run;  /* nblocks when this run began */
    struct vtime_block recent[VTIME_RECENT];
    uint64_t capstone;        /* csh */
};

static inline struct vtime_block *vtime_current(struct vtime *vt)
{
    return &vt->recent[vt->nblocks % VTIME_RECENT];
}

/* An I/O hook: one more port instruction ran in the current block.  (Counted
 * here, not reset by the block hook, to keep the block hook short.) */
static inline void vtime_note_io(struct vtime *vt)
{
    if (vt->io_block != vt->nblocks) {
        vt->io_block = vt->nblocks;
        vt->io_in_block = 0;
    }
    vt->io_in_block++;
}

bool vtime_init(struct machine *m);
void vtime_free(struct machine *m);

/* Before a run, and after changing anything the block hook must attend to
 * (RAISING, REGS_STALE, precise, poll_irq, deadline): arm its fast path,
 * or make it take the careful one. */
void vtime_arm(struct machine *m);

/* Code changed under the cache (a debugger wrote memory): count again. */
void vtime_forget_counts(struct machine *m);

/* Something changed that the block hook must attend to at the next block
 * (stale paging registers or CPL): take it off its fast path. */
static inline void vtime_attend(struct vtime *vt)
{
    vt->limit = 0;
}

/* The Unicorn block hook. */
void vtime_on_block(void *uc, uint64_t va, uint32_t size, void *user);

/* Before each run: forget the previous run's stop reason. */
static inline void vtime_begin_run(struct vtime *vt)
{
    vt->nblocks_at_run = vt->nblocks;
    vt->stopped_at_block = false;
}

/* After uc_emu_start returns with RIP = rip: take back what did not run. */
void vtime_settle(struct machine *m, uint64_t rip);

/* Execution leaves the current block at resume (a hook moved RIP there):
 * the instructions after it will not run. */
void vtime_cut_block(struct machine *m, uint64_t resume);

/* Exact virtual time at the instruction at rip inside the current block. */
uint64_t vtime_at(struct machine *m, uint64_t rip);

/* Inside an I/O hook: the exact virtual time of the port instruction. */
uint64_t vtime_io_time(struct machine *m);

/* Was the last instruction executed STI, MOV SS or POP SS (interrupt shadow)? */
bool vtime_in_interrupt_shadow(struct machine *m);

/* Address of the k-th instruction (from 0) of the code at va. */
uint64_t vtime_insn_address(struct machine *m, uint64_t va, unsigned k);

/* Number of instructions in [va, va + len) of the current address space. */
unsigned vtime_count(struct machine *m, uint64_t va, uint64_t len, unsigned *last_len);

#endif /* EMU_VTIME_H */
