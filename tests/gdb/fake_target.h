/*
 * fake_target.h - a stand-in machine for testing the gdb stub: a register
 * file, 64 KB of "virtual" memory at FAKE_BASE with a 4 KB hole that faults,
 * a few monitor commands, and a toy CPU whose every instruction is a one-byte
 * NOP that also stores a counter (a write) and loads a word (a read), so
 * breakpoints, steps and watchpoints can be exercised without Unicorn.
 */
#ifndef TESTS_GDB_FAKE_TARGET_H
#define TESTS_GDB_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/gdbstub/gdbstub.h"

#define FAKE_BASE 0x400000ull
#define FAKE_SIZE 0x10000ull
#define FAKE_HOLE (FAKE_BASE + 0x8000) /* one 4 KB page that "page-faults" */
#define FAKE_HOLE_SIZE 0x1000ull
#define FAKE_CODE (FAKE_BASE + 0x1000) /* RIP starts here; memory holds NOPs */
#define FAKE_CODE_SIZE 0x1000ull
#define FAKE_COUNTER (FAKE_BASE + 0x100) /* each instruction stores RAX here */
#define FAKE_LOADED (FAKE_BASE + 0x200)  /* ... and loads 8 bytes from here */
#define FAKE_STACK (FAKE_BASE + 0xf000)
#define FAKE_CR3 0x1000ull

struct fake_target {
    uint8_t regs[GDB_REG_COUNT][16];
    bool unavailable[GDB_REG_COUNT]; /* read_reg returns -1 */
    bool readonly[GDB_REG_COUNT];    /* write_reg returns -1 */
    uint8_t mem[FAKE_SIZE];
    char last_monitor[128];
    unsigned reg_writes, mem_writes;
};

extern const struct gdb_target_ops fake_ops;

void fake_init(struct fake_target *ft);
uint64_t fake_reg(const struct fake_target *ft, int regno);
void fake_set_reg(struct fake_target *ft, int regno, uint64_t v);

/*
 * Execute one toy instruction: with check_break, stop before it if a
 * breakpoint is at RIP; otherwise run it and report a watchpoint it hit.
 * Returns true with *stop filled if the machine stops.  A single step does
 * not check: it executes the instruction at RIP whatever is set there (gdb
 * steps over its own breakpoints this way).
 */
bool fake_step(struct fake_target *ft, struct gdb_stub *stub, bool check_break,
               struct gdb_stop *stop);

/*
 * The machine's run loop as the integrator will write it: serve gdb, run,
 * stop, repeat, until gdb kills the machine, or (with stop_on_detach) until
 * the debugger leaves, or after about max_insns instructions.  Returns how
 * many instruction slots it went through.
 */
uint64_t fake_run(struct fake_target *ft, struct gdb_stub *stub, enum gdb_resume first,
                  bool stop_on_detach, uint64_t max_insns);

#endif /* TESTS_GDB_FAKE_TARGET_H */
