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

struct icount_entry {
    uint64_t key;
    uint32_t count;
    uint32_t last_len;   /* length of the block's last instruction */
};

#define VTIME_RECENT 32

struct vtime_block {
    uint64_t va;
    uint32_t size;
};

struct vtime {
    uint64_t now;             /* instructions executed */
    uint64_t deadline;        /* do not start a block that would end after this */
    bool precise;             /* stepping to the deadline: count after the run */
    bool poll_irq;            /* an interrupt waits for RFLAGS.IF: check every block */
    bool stopped_at_block;    /* the block hook stopped the run */
    uint64_t stopped_va;      /* ... in front of the block at this address */
    uint32_t stopped_size;    /* ... of this size */
    bool started;             /* a block started in this run */
    bool accounted;           /* the current block's count is in now */
    unsigned io_in_block;     /* port instructions run so far in this block */
    struct icount_entry *cache;
    /* The block executing now and the one before it. */
    uint64_t block_va, prev_va;
    uint32_t block_size, block_n, block_last_len, prev_size, prev_last_len;
    /* The last blocks started, for diagnostics. */
    struct vtime_block recent[VTIME_RECENT];
    uint64_t nrecent;
    uint64_t capstone;        /* csh */
};

bool vtime_init(struct machine *m);
void vtime_free(struct machine *m);

/* The Unicorn block hook. */
void vtime_on_block(void *uc, uint64_t va, uint32_t size, void *user);

/* Before each run: forget the previous run's stop reason. */
static inline void vtime_begin_run(struct vtime *vt)
{
    vt->started = false;
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
