/*
 * dev.h - the machine's devices (one file each) as io.c dispatches to them.
 * Register layouts: shared/devices.h.  Prose: docs/machine.md.
 */
#ifndef EMU_DEV_DEV_H
#define EMU_DEV_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

/* Port devices: offset is port - the device's base port. */
uint32_t uart_in(struct machine *m, unsigned offset, int size);
void uart_out(struct machine *m, unsigned offset, int size, uint32_t value);
uint32_t debugcon_in(struct machine *m, unsigned offset, int size);
void debugcon_out(struct machine *m, unsigned offset, int size, uint32_t value);
uint32_t exitport_in(struct machine *m, unsigned offset, int size);
void exitport_out(struct machine *m, unsigned offset, int size, uint32_t value);
uint32_t mark_in(struct machine *m, unsigned offset, int size);
void mark_out(struct machine *m, unsigned offset, int size, uint32_t value);
uint32_t gueststats_in(struct machine *m, unsigned offset, int size);
void gueststats_out(struct machine *m, unsigned offset, int size, uint32_t value);
uint32_t disk_in(struct machine *m, unsigned offset, int size);
void disk_out(struct machine *m, unsigned offset, int size, uint32_t value);

/* Disks: open the host file for slot n (false with a message). */
bool disk_open(struct machine *m, unsigned n, const char *path, bool read_only, char *err,
               size_t errlen);

/* The local APIC (memory-mapped). */
uint64_t apic_read(struct machine *m, uint64_t offset, unsigned size);
void apic_write(struct machine *m, uint64_t offset, unsigned size, uint64_t value);
/* Virtual time of the next timer expiry, or UINT64_MAX. */
uint64_t apic_next_event(const struct machine *m);
/* Let the timer catch up with virtual time (raising its interrupt). */
void apic_advance(struct machine *m, uint64_t now);
/* The highest-priority interrupt the CPU may take now, or -1. */
int apic_pending(const struct machine *m);
/* The CPU takes vector v: IRR -> ISR. */
void apic_accept(struct machine *m, int v);

#endif /* EMU_DEV_DEV_H */
