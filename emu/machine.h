/*
 * machine.h - the emulated machine: one x86-64 CPU (Unicorn executes, our
 * MMU translates), guest RAM, devices, deterministic virtual time.
 *
 * How the pieces divide the work (one file each):
 *   machine.c   create and destroy; RAM; Unicorn set-up
 *   fill.c      Unicorn's TLB-fill hook: every translation through mmu/
 *   raise.c     CPL 3 -> CPL 0, done by QEMU itself through a private call gate
 *   deliver.c   exceptions and interrupts through the guest's IDT (SDM Vol. 3A ch. 6)
 *   syscall.c   SYSCALL (SYSRET runs natively)
 *   observe.c   privileged instructions the MMU must know about (INVLPG, MOV CRn, ...)
 *   tlbmodel.c  the TLB model attached (--tlb), QEMU's TLB kept coherent with it;
 *               precise.c: precise mode's per-access hooks
 *   vtime.c     virtual time: instructions counted per basic block
 *   io.c        port and memory-mapped I/O dispatch to devices
 *   run.c       the run loop
 *   log.c       the --trace and --events outputs
 *   dev/        UART, debug console, exit port, local APIC timer, disks
 */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unicorn/unicorn.h>

#include "emu/observe.h"
#include "emu/vtime.h"
#include "mmu/mmu.h"
#include "shared/bootinfo.h"
#include "shared/devices.h"

struct machine;
struct trace;
struct gdbtarget;
struct tlb_config;
struct tlbm;

/* What a machine is built from. */
struct machine_config {
    uint64_t ram_size;
    const char *disk_path[DEV_DISK_MAX];  /* NULL: no disk in that slot */
    bool disk_read_only[DEV_DISK_MAX];
    uint64_t max_insns;                   /* 0: no limit */
    FILE *console;                        /* UART and debug-console output */
    const char *uart_input;               /* bytes the UART receives, or NULL */
    FILE *events;                         /* --events, or NULL */
    FILE *trace;                          /* --trace, or NULL */
    const struct tlb_config *tlb;         /* attach a TLB model (--tlb), or NULL */
    int tlb_mode;                         /* enum tlbm_mode (emu/tlbmodel.h) */
    bool tlb_check;                       /* its missing-invalidation detector */
};

/* A pending exception or interrupt, with everything delivery needs. */
struct event {
    uint8_t vector;
    bool has_error_code;
    uint32_t error_code;
    bool software;      /* INT n, INT3, INTO: gate DPL checked, no error code */
    bool external;      /* a hardware interrupt (EXT bit in derived error codes) */
    uint64_t cr2;       /* #PF only */
    uint64_t rip;       /* where to return: the faulting instruction or past a trap */
    uint8_t insn_len;   /* software interrupts: the INT instruction's length, so that a
                           fault while delivering points at it (it did not complete) */
};

/* Why the run loop stopped. */
enum machine_stop {
    STOP_NONE,
    STOP_EXIT_PORT,     /* the guest wrote the exit port */
    STOP_TRIPLE_FAULT,
    STOP_INSN_LIMIT,
    STOP_HALTED,        /* HLT with IF = 0 and nothing pending */
    STOP_ERROR,         /* the emulator cannot continue; message in stop_message */
    STOP_BREAK,         /* a debugger asked (gdb stub) */
};

/* Devices (emu/dev/). */
struct uart {
    FILE *out;
    const char *in;     /* remaining input bytes */
    uint8_t ier, lcr, mcr, scr;
};

struct apic {
    uint32_t svr, tpr, lvt_timer, icr, dcr;
    uint64_t start;        /* virtual time the count started */
    uint64_t period;       /* in virtual ns; 0 when stopped */
    uint64_t expiry;       /* virtual time of the next expiry, or UINT64_MAX */
    uint32_t isr[8], irr[8];
};

struct disk {
    FILE *file;
    uint64_t sectors;
    bool read_only;
    uint32_t lba_lo, lba_hi, count, dma_lo, dma_hi, status;
    char name[48];
};

#define MAX_MARKS 16
/* The TLB model's counters at a mark (emu/tlbphase.c), if there is a model. */
struct mark_tlb {
    bool taken;
    uint64_t instructions, accesses, l1_hits, l2_hits, walks, walk_reads;
};
struct mark {
    uint32_t id;
    uint64_t host_ns;          /* CPU time of the host thread (CLOCK_THREAD_CPUTIME_ID) */
    uint64_t vtime;            /* virtual time at the OUT */
    struct mark_tlb tlb;
};

struct machine_stats {
    uint64_t fills, fill_faults;
    uint64_t exceptions[32], interrupts, software_interrupts, syscalls;
    uint64_t raises;           /* CPL 3 -> 0 transitions */
    uint64_t idle;             /* virtual time spent halted */
    uint64_t exits;            /* returns from uc_emu_start */
    uint64_t icount_misses;
    uint64_t observed[16];     /* by enum observe_kind */
    uint64_t port_reads, port_writes, mmio_reads, mmio_writes;
    uint64_t disk_reads, disk_writes, disk_errors;
};

struct machine {
    uc_engine *uc;
    struct machine_config cfg;
    uint8_t *ram;
    uint64_t ram_size;
    struct mmu mmu;
    struct vtime vt;
    struct fault_decoder *fdec; /* faultaddr.c's decoder and cache (NULL: not yet) */

    /* Shadow of the CPU state the fill hook needs, kept exact by observe.c
     * and by our own delivery; checked against Unicorn at every exit. */
    uint8_t cpl;
    bool code32;               /* CS is a 32-bit (compatibility-mode) segment */
    uint16_t code32_cs;        /* ... for this CS selector */
    bool cpl_stale;            /* re-read CS before the next translation */
    bool regs_stale;           /* re-read CR0/3/4/EFER at the next block */
    bool desc_stale;           /* re-read GDTR/LDTR/TR before using them */
    bool guest_tsd;            /* the guest itself set CR4.TSD (tsc.c) */
    bool tsd_forced;
    uint64_t gdtr_base, ldtr_base, tr_base;
    uint32_t gdtr_limit, ldtr_limit, tr_limit;

    /* A fault the fill hook refused, to be delivered by the run loop. */
    bool fill_fault;
    struct mmu_walk fault_walk;

    /* The pending event (exception, trap, interrupt) and the stop reason. */
    bool event_pending;
    struct event event;
    int intr_vector;           /* from Unicorn's interrupt hook, or -1 */
    bool syscall_pending;
    uint64_t chain;            /* faults being delivered (for #DF, triple fault) */

    bool halted;               /* HLT executed; waiting for an interrupt */
    bool stepping;             /* the next run stops at step_until (a deadline) */
    uint64_t step_until;

    enum machine_stop stop;
    int exit_status;
    uint64_t exit_time;        /* virtual time just after the exit-port write */
    char stop_message[256];

    /* Devices. */
    struct uart uart;
    struct apic apic;
    struct disk disk[DEV_DISK_MAX];

    /* Privileged-instruction sites, sorted by address (observe.c). */
    struct observe_site *sites;
    size_t nsites, sites_cap;

    /* The private pages that make a CPL raise (raise.c). */
    uint8_t *priv;
    bool raising;

    uc_context *fix_ctx;       /* ucfix.c */
    size_t cr2_offset, old_exception_offset, error_code_offset, is_int_offset;

    struct tlbm *tlbm;         /* the TLB model, or NULL (tlbmodel.c) */
    struct trace *trace;
    struct gdbtarget *gdb;     /* the debugger's view (gdbtarget.c), or NULL */
    uint64_t gdb_block_at;     /* ... which looks at blocks from this virtual time on */
    FILE *events;
    struct machine_stats stats;
    struct mark marks[MAX_MARKS];
    uint64_t guest_stats_pa;   /* the guest's statistics table (dev/gueststats.c) */
    bool guest_stats_set;
    unsigned nmarks;
    uc_hook hooks[16];
    unsigned nhooks;
};

/* Create a machine; NULL with a message in err on failure. */
struct machine *machine_new(const struct machine_config *cfg, char *err, size_t errlen);
void machine_free(struct machine *m);

/* Guest-physical memory access (RAM only); false outside RAM. */
bool machine_phys_read(struct machine *m, uint64_t pa, void *buf, size_t len);
bool machine_phys_write(struct machine *m, uint64_t pa, const void *buf, size_t len);

/* Virtual memory access through the MMU as the debugger sees it (no A/D, no
 * rights); returns bytes transferred, short at the first unmapped byte. */
size_t machine_virt_read(struct machine *m, uint64_t va, void *buf, size_t len);
size_t machine_virt_write(struct machine *m, uint64_t va, const void *buf, size_t len);

/* Register shorthands. */
uint64_t machine_reg(struct machine *m, int reg);
void machine_set_reg(struct machine *m, int reg, uint64_t value);

/* Re-read the paging registers from Unicorn into the MMU. */
void machine_sync_paging(struct machine *m);
/* Re-read CS: the CPL, and whether the code segment is a 32-bit one. */
void machine_sync_cs(struct machine *m);

/* Stop the machine with an error message (printf-style). */
void machine_fail(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record an event line in --events (printf-style), prefixed with virtual time. */
void machine_event(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the pieces (see the list at the top) ---- */

/* fill.c */
bool machine_fill_hook(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e,
                       void *user);
/* The privilege context of an access to va's page, set in the MMU; returns
 * the translation's flags (MMU_IMPLICIT). */
unsigned machine_access_flags(struct machine *m, uint64_t va, enum mmu_access access);

/* raise.c */
bool raise_init(struct machine *m, char *err, size_t errlen);
/* Is CS (selector) a 32-bit code segment, per its descriptor? */
bool machine_cs_is_32bit(struct machine *m, uint64_t cs);
/* Take the CPU from CPL 3 to CPL 0, leaving every other register as it was
 * except CS and SS (and RSP/RIP, which the caller sets next). */
bool raise_to_cpl0(struct machine *m);
/* Does a linear address belong to the private raise pages? */
bool raise_owns(const struct machine *m, uint64_t va, uint64_t *pa);

/* deliver.c */
void deliver_event(struct machine *m, const struct event *ev);
bool event_has_error_code(unsigned vector, bool software);

/* syscall.c */
void syscall_enter(struct machine *m);

/* observe.c */
bool observe_scan(struct machine *m, const uint8_t *code, uint64_t va, uint64_t len,
                  char *err, size_t errlen);

/* io.c */
bool io_init(struct machine *m, char *err, size_t errlen);

/* ucfix.c: around two Unicorn 2.1.1 bugs (see there). */
bool ucfix_init(struct machine *m);
void ucfix_free(struct machine *m);
void machine_set_cr2(struct machine *m, uint64_t value);
/* QEMU must forget an exception Unicorn reported (or it turns the next into #DF). */
void machine_forget_exception(struct machine *m);
/* The error code of the exception Unicorn reported, and whether it was INT n. */
bool machine_last_exception(struct machine *m, uint32_t *error_code, bool *software);

/* faultaddr.c: the exact address of a fault the fill hook saw as a page. */
uint64_t fault_exact_address(struct machine *m, const struct mmu_walk *w, uint64_t rip);
void fault_exact_free(struct machine *m);

/* dev/gueststats.c: the guest's counters in the reports. */
void gueststats_json(struct machine *m, FILE *out);
void gueststats_print(struct machine *m, FILE *out);
/* Was the refused access a stack (SS) one?  (A non-canonical one is #SS.) */
bool fault_on_stack(struct machine *m, const struct mmu_walk *w, uint64_t rip);

/* tsc.c */
bool tsc_emulate(struct machine *m, uint64_t rip);
void tsc_force_trap(struct machine *m);

/* cpuid.c */
int machine_cpuid_hook(uc_engine *uc, void *user);

/* run.c */
int machine_run(struct machine *m);
void machine_request_stop(struct machine *m, enum machine_stop why, int status);

/* CS was just loaded with a 64-bit code segment (delivery, SYSCALL, boot). */
static inline void machine_cs_loaded64(struct machine *m, uint16_t cs)
{
    m->code32 = false;
    m->code32_cs = cs;
}

#endif /* EMU_MACHINE_H */
