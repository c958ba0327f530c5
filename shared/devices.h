/*
 * devices.h - the machine's devices as the guest sees them: port numbers,
 * register layouts and the exit statuses.  Shared by the emulator (emu/dev/)
 * and every guest.  docs/machine.md describes each device in prose.
 */
#ifndef SHARED_DEVICES_H
#define SHARED_DEVICES_H

#include <stdint.h> /* freestanding: provided by the compiler, not libc */

/* ---- 16550 UART (COM1), polled ------------------------------------------ */
#define DEV_UART_PORT 0x3f8
#define UART_THR 0  /* write: transmit holding register */
#define UART_RBR 0  /* read: receive buffer */
#define UART_IER 1
#define UART_IIR 2  /* read: interrupt identification */
#define UART_FCR 2  /* write: FIFO control */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5  /* line status */
#define UART_MSR 6
#define UART_SCR 7
#define UART_LSR_DR   0x01 /* a received byte is waiting */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */

/* ---- Debug console (Bochs/QEMU convention) ------------------------------- */
#define DEV_DEBUGCON_PORT 0xe9 /* write a byte: it appears on the console; read: 0xe9 */

/* ---- Exit port: the value written becomes mmulab's exit status ----------- */
#define DEV_EXIT_PORT 0xf4     /* 32-bit OUT; status = value & 0xff */

/* ---- Mark port: benchmarks time phases from inside the guest ------------- */
#define DEV_MARK_PORT 0xf5     /* 32-bit OUT n: the host records its clock and virtual time */

/* ---- Guest statistics: a kernel's counters in mmulab's --stats-json ------- */
/* A 32-bit OUT of the physical page number of a struct dev_stats_table
 * registers it; at exit the machine reads it (whatever the guest last
 * stored there) and reports each entry under "guest".  Names are
 * [a-z0-9_], NUL-terminated; the table lies inside one page. */
#define DEV_STATS_PORT  0xf6
#define DEV_STATS_MAGIC 0x5354415453747367ull /* "gstSTATS" */
#define DEV_STATS_NAME  40
#define DEV_STATS_MAX   84   /* entries that fit in a page after the header */

struct dev_stats_entry {
    char name[DEV_STATS_NAME];
    uint64_t value;
};

struct dev_stats_table {
    uint64_t magic;          /* DEV_STATS_MAGIC */
    uint32_t count;          /* entries in use, <= DEV_STATS_MAX */
    uint32_t reserved;
    struct dev_stats_entry entry[DEV_STATS_MAX];
};
_Static_assert(sizeof(struct dev_stats_table) <= 4096, "the statistics table fits in a page");

/* Exit statuses mmulab itself uses when the machine stops without the guest
 * writing the exit port.  Guests should keep below 120 for their own. */
#define EXIT_KERNEL_PANIC  120 /* by convention, what a guest kernel writes on panic */
#define EXIT_TRIPLE_FAULT  121
#define EXIT_INSN_LIMIT    122 /* --max-insns reached */
#define EXIT_HALTED        123 /* HLT with interrupts disabled: nothing can wake it */
#define EXIT_MACHINE_ERROR 124 /* the emulator could not go on (reported on stderr) */

/* ---- Local APIC (xAPIC, memory-mapped) ----------------------------------- */
#define DEV_APIC_BASE   0xfee00000ull
#define DEV_APIC_SIZE   0x1000
#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0  /* spurious-interrupt vector; bit 8: APIC enable */
#define APIC_ISR        0x100  /* in-service, 8 x 32 bits at 0x100..0x170 */
#define APIC_IRR        0x200  /* request, 8 x 32 bits at 0x200..0x270 */
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_ICR  0x380  /* initial count */
#define APIC_TIMER_CCR  0x390  /* current count (read only) */
#define APIC_TIMER_DCR  0x3e0  /* divide configuration */
#define APIC_SVR_ENABLE     0x100
#define APIC_LVT_MASKED     0x10000
#define APIC_LVT_PERIODIC   0x20000
#define APIC_LVT_VECTOR     0xff

/*
 * Virtual time: one executed instruction is one nanosecond of virtual time.
 * The TSC counts at 1 GHz; the APIC timer's input clock is 100 MHz (one tick
 * per 10 instructions) before the divide configuration.
 */
#define VTIME_TSC_HZ  1000000000ull
#define VTIME_APIC_HZ 100000000ull

/* ---- Block devices: DMA to guest-physical memory, polled ----------------- */
/* Disk n (0..DEV_DISK_MAX-1) has 32-bit registers at DEV_DISK_PORT(n) + offset.
 * The NT-like kernel's disks: 0 the system volume, 1 the paging file, 2 the
 * data volume (`mmulab run --data FILE`: files the programs open). */
#define DEV_DISK_MAX 4
#define DEV_DISK_SYSTEM 0
#define DEV_DISK_PAGEFILE 1
#define DEV_DISK_DATA 2
#define DEV_DISK_PORT(n) (0x500 + 0x40 * (n))
#define DISK_CMD        0x00  /* write: start a command (DISK_CMD_*); it completes at once */
#define DISK_STATUS     0x04  /* read: DISK_ST_* of the last command */
#define DISK_LBA_LO     0x08  /* first sector */
#define DISK_LBA_HI     0x0c
#define DISK_COUNT      0x10  /* sectors */
#define DISK_DMA_LO     0x14  /* guest-physical buffer address */
#define DISK_DMA_HI     0x18
#define DISK_SECTORS_LO 0x1c  /* read: capacity in sectors */
#define DISK_SECTORS_HI 0x20
#define DISK_FLAGS      0x24  /* read: DISK_F_* */
#define DISK_F_PRESENT   1
#define DISK_F_READ_ONLY 2
#define DISK_SECTOR_SIZE 512

#define DISK_CMD_READ   1   /* sectors -> memory */
#define DISK_CMD_WRITE  2   /* memory -> sectors */
#define DISK_CMD_FLUSH  3   /* make earlier writes durable */

#define DISK_ST_OK        0
#define DISK_ST_NO_DEVICE 1  /* no disk at this slot */
#define DISK_ST_BAD_CMD   2
#define DISK_ST_RANGE     3  /* sectors beyond the end of the disk */
#define DISK_ST_DMA       4  /* buffer outside guest-physical memory */
#define DISK_ST_IO        5  /* the host file failed (or an injected error) */
#define DISK_ST_READ_ONLY 6

#endif /* SHARED_DEVICES_H */
