/*
 * gdbstub.h - a GDB Remote Serial Protocol stub for an x86-64 machine.
 *
 * The stub knows the protocol, the register layout gdb expects and the
 * breakpoint and watchpoint tables; it knows nothing about the machine.  The
 * machine gives it a table of callbacks (struct gdb_target_ops) and drives it
 * from its run loop:
 *
 *     gdb_stub_listen(stub, port);              127.0.0.1 only
 *     if (wait_for_debugger) {
 *         gdb_stub_accept(stub);                 blocks until gdb connects
 *         action = gdb_stub_wait(stub, &(struct gdb_stop){ GDB_STOP_ATTACH });
 *     }
 *     for (;;) {
 *         run one slice (or, for GDB_RESUME_STEP, exactly one instruction),
 *           checking gdb_stub_breakpoint_at() before each instruction and
 *           gdb_stub_watch_hit() on each data access;
 *         if a breakpoint, watchpoint or completed step stopped it, or
 *         gdb_stub_poll_interrupt(stub) says so between slices:
 *             action = gdb_stub_wait(stub, &stop);
 *         GDB_RESUME_KILL ends the machine; the others run it on.
 *     }
 *
 * While gdb_stub_wait() blocks, the machine does not run: the stub never
 * advances virtual time, so a debugged run stays deterministic.
 *
 * Single-threaded: every function is called from the machine's thread.
 * No global state: everything lives in struct gdb_stub.
 */
#ifndef EMU_GDBSTUB_GDBSTUB_H
#define EMU_GDBSTUB_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Register numbers, in the order and with the sizes of the target
 * description the stub sends gdb (see regs.c).  Sizes in bytes: GPRs, RIP,
 * FS/GS base and the system registers 8; EFLAGS, the segment selectors, the
 * x87 control words and MXCSR 4; ST0-7 10 (80-bit x87 format); XMM0-15 16.
 * All values are little-endian, as the machine holds them.
 */
enum gdb_regno {
    GDB_REG_RAX, GDB_REG_RBX, GDB_REG_RCX, GDB_REG_RDX,
    GDB_REG_RSI, GDB_REG_RDI, GDB_REG_RBP, GDB_REG_RSP,
    GDB_REG_R8, GDB_REG_R9, GDB_REG_R10, GDB_REG_R11,
    GDB_REG_R12, GDB_REG_R13, GDB_REG_R14, GDB_REG_R15,
    GDB_REG_RIP,
    GDB_REG_EFLAGS,
    GDB_REG_CS, GDB_REG_SS, GDB_REG_DS, GDB_REG_ES, GDB_REG_FS, GDB_REG_GS,
    GDB_REG_ST0, /* ... ST7 = ST0 + 7 */
    GDB_REG_FCTRL = GDB_REG_ST0 + 8, GDB_REG_FSTAT, GDB_REG_FTAG, GDB_REG_FISEG,
    GDB_REG_FIOFF, GDB_REG_FOSEG, GDB_REG_FOOFF, GDB_REG_FOP,
    GDB_REG_XMM0, /* ... XMM15 = XMM0 + 15 */
    GDB_REG_MXCSR = GDB_REG_XMM0 + 16,
    GDB_REG_FS_BASE, GDB_REG_GS_BASE,
    /* Our own feature, "org.mmulab.x86.system". */
    GDB_REG_CR0, GDB_REG_CR2, GDB_REG_CR3, GDB_REG_CR4, GDB_REG_CR8,
    GDB_REG_EFER,
    GDB_REG_KERNEL_GS_BASE, /* IA32_KERNEL_GS_BASE, the value SWAPGS exchanges */
    GDB_REG_COUNT
};

/* Size in bytes of register regno, or 0 if there is no such register. */
unsigned gdb_reg_size(int regno);
/* Its name as gdb knows it ("rax", "eflags", "cr3"), or NULL. */
const char *gdb_reg_name(int regno);

/* Signal numbers as gdb numbers them (not the host's). */
enum {
    GDB_SIGINT = 2,
    GDB_SIGILL = 4,
    GDB_SIGTRAP = 5,
    GDB_SIGABRT = 6,
    GDB_SIGFPE = 8,
    GDB_SIGBUS = 10,
    GDB_SIGSEGV = 11,
};

/* Breakpoint and watchpoint types, numbered as the Z/z packets number them. */
enum gdb_bp_type {
    GDB_BP_SOFTWARE = 0, /* Z0: the emulator checks RIP; guest memory is never patched */
    GDB_BP_HARDWARE = 1, /* Z1: the same check, reported as hwbreak */
    GDB_WATCH_WRITE = 2, /* Z2 */
    GDB_WATCH_READ = 3,  /* Z3 */
    GDB_WATCH_ACCESS = 4 /* Z4: read or write */
};

/* Why the machine stopped, as the machine tells gdb_stub_wait(). */
enum gdb_stop_reason {
    GDB_STOP_ATTACH,    /* stopped for a debugger that attached: SIGTRAP */
    GDB_STOP_STEP,      /* a single step completed: SIGTRAP */
    GDB_STOP_BREAK,     /* RIP reached a breakpoint (type says which kind) */
    GDB_STOP_WATCH,     /* a data access hit a watchpoint (type, addr) */
    GDB_STOP_INTERRUPT, /* gdb_stub_poll_interrupt() returned true: SIGINT */
    GDB_STOP_SIGNAL,    /* the machine's own reason, e.g. a triple fault: signo */
};

struct gdb_stop {
    enum gdb_stop_reason reason;
    enum gdb_bp_type type; /* BREAK and WATCH: which table entry matched */
    uint64_t addr;         /* WATCH: the watched address that was accessed */
    int signo;             /* SIGNAL: one of the GDB_SIG* numbers */
};

/* What the machine does when gdb_stub_wait() returns. */
enum gdb_resume {
    GDB_RESUME_CONTINUE, /* run until a breakpoint, watchpoint or interrupt */
    GDB_RESUME_STEP,     /* execute exactly one instruction, then stop (GDB_STOP_STEP) */
    GDB_RESUME_DETACH,   /* no debugger any more: run freely (the stub listens again) */
    GDB_RESUME_KILL,     /* the debugger asked to end the machine */
};

/* Output sink for monitor commands: text is sent to gdb as it is produced. */
typedef void gdb_print_fn(void *ctx, const char *text);

/*
 * What the machine provides.  Every callback gets the target pointer given to
 * gdb_stub_new().  Only the register and memory callbacks are required.
 */
struct gdb_target_ops {
    /*
     * Read register regno (enum gdb_regno) into buf (gdb_reg_size(regno)
     * bytes, little-endian).  Return that size, or -1 if the machine does not
     * model the register: gdb then shows it as <unavailable>.
     */
    int (*read_reg)(void *t, int regno, uint8_t *buf);
    /* Write register regno from buf; 0 on success, -1 if it cannot be written. */
    int (*write_reg)(void *t, int regno, const uint8_t *buf);
    /*
     * Read len bytes at virtual address va, translated by the MMU in the
     * current address space (a debugger view: no accessed/dirty side effects,
     * no rights check).  Return how many bytes were read before the first
     * address that does not translate: len on success, less on a fault.
     */
    size_t (*read_mem)(void *t, uint64_t va, uint8_t *buf, size_t len);
    /* Write likewise; return how many bytes were written before a fault. */
    size_t (*write_mem)(void *t, uint64_t va, const uint8_t *buf, size_t len);
    /*
     * Optional: run a `monitor` command (the text after "monitor ").  Print
     * its output through print(ctx, text), as many times as needed, during
     * the call only: each piece goes to gdb at once.  Return 0, or nonzero
     * to make the command fail in gdb (its output is still shown).
     * NULL: gdb is told the stub has no monitor commands.
     */
    int (*monitor)(void *t, const char *cmd, gdb_print_fn *print, void *ctx);
    /* Optional: one line about the connection ("gdb: connected"), for a log. */
    void (*log)(void *t, const char *msg);
};

struct gdb_stub;

/* A stub for one machine; NULL if out of memory or ops lacks a required callback. */
struct gdb_stub *gdb_stub_new(const struct gdb_target_ops *ops, void *target);
/* Close the connection and the listening socket and free everything. */
void gdb_stub_free(struct gdb_stub *stub);

/*
 * Listen on 127.0.0.1:port (0 picks a free port; see gdb_stub_port()).  Never
 * on another interface: the protocol has no authentication and gives full
 * control of the machine.  Returns 0, or -1 with errno set.
 */
int gdb_stub_listen(struct gdb_stub *stub, uint16_t port);
/* The port listened on, or 0. */
uint16_t gdb_stub_port(const struct gdb_stub *stub);
/* Block until a debugger connects (for --gdb-wait).  0, or -1 with errno set. */
int gdb_stub_accept(struct gdb_stub *stub);
/* A debugger is connected. */
bool gdb_stub_attached(const struct gdb_stub *stub);

/*
 * The machine has stopped for *why (NULL: a plain SIGTRAP stop): tell the
 * debugger (if it is waiting for a stop) and serve its requests until it
 * resumes, steps, detaches or kills.
 * Returns at once with GDB_RESUME_DETACH when no debugger is connected, and
 * with GDB_RESUME_DETACH if the debugger disconnects (its breakpoints and
 * watchpoints are then removed).
 */
enum gdb_resume gdb_stub_wait(struct gdb_stub *stub, const struct gdb_stop *why);

/*
 * Between execution slices: true if the machine must stop now and call
 * gdb_stub_wait() - the debugger sent Ctrl-C, a debugger has just connected,
 * or one is attached but has not resumed the machine yet.  Never blocks: one
 * poll(2) on at most two sockets (0.3-0.4 us measured), so call it every
 * millisecond or so of guest execution rather than every block.  A debugger
 * that disconnects here is dropped with its breakpoints; the machine runs on.
 */
bool gdb_stub_poll_interrupt(struct gdb_stub *stub);

/* The machine has ended: tell the debugger (W packet) and close the connection. */
void gdb_stub_exited(struct gdb_stub *stub, int status);

/*
 * Queries for the machine's hot paths.  They only read the tables, cost a
 * comparison when the tables are empty and a binary search otherwise.
 */

/* A breakpoint (Z0 or Z1) is set at rip; fills *out (reason BREAK) if non-NULL. */
bool gdb_stub_breakpoint_at(const struct gdb_stub *stub, uint64_t rip, struct gdb_stop *out);
/* Some breakpoint lies in [lo, hi] (inclusive): lets the machine check a whole
   translation block once instead of every instruction. */
bool gdb_stub_breakpoint_in(const struct gdb_stub *stub, uint64_t lo, uint64_t hi);
/*
 * A data access of len bytes at va (write or read) hits a watchpoint: Z2
 * matches writes, Z3 reads, Z4 both.  Fills *out (reason WATCH, the
 * watchpoint's type, and the lowest watched address the access touched).
 * x86 watchpoints trap after the access: report the stop once the accessing
 * instruction has completed.
 */
bool gdb_stub_watch_hit(const struct gdb_stub *stub, uint64_t va, uint64_t len, bool write,
                        struct gdb_stop *out);
/*
 * Watchpoint i (0, 1, ... in address order; false past the last), for a
 * machine that cannot see the virtual address of an access (Unicorn's memory
 * hooks give the physical one) and must translate the watched ranges itself.
 */
bool gdb_stub_watchpoint(const struct gdb_stub *stub, size_t i, enum gdb_bp_type *type,
                         uint64_t *addr, uint64_t *len);
/* Whether any breakpoint / watchpoint is set: install costly hooks only then. */
bool gdb_stub_has_breakpoints(const struct gdb_stub *stub);
bool gdb_stub_has_watchpoints(const struct gdb_stub *stub);
/* Changes whenever a breakpoint or watchpoint is inserted or removed, so the
   machine can tell when to re-decide its hooks or drop cached translations. */
uint64_t gdb_stub_tables_generation(const struct gdb_stub *stub);

#endif /* EMU_GDBSTUB_GDBSTUB_H */
