/*
 * io.c - where port I/O and memory-mapped I/O go.
 *
 * IN and OUT reach us through Unicorn's instruction hooks (QEMU has already
 * checked IOPL and the TSS I/O bitmap).  Memory-mapped devices are Unicorn
 * MMIO regions; since our fill hook translates to physical addresses, the
 * guest maps them with its own page tables like any PC device.
 *
 * Physical addresses nothing backs behave as on a PC bus: reads return
 * all-ones and writes vanish (the access is recorded in --events).  A guest
 * that maps a wild physical address gets garbage, not an emulator failure.
 */
#include <inttypes.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"

struct port_range {
    uint16_t base, len;
    const char *name;
    uint32_t (*in)(struct machine *m, unsigned offset, int size);
    void (*out)(struct machine *m, unsigned offset, int size, uint32_t value);
};

static const struct port_range ports[] = {
    { DEV_UART_PORT, 8, "uart", uart_in, uart_out },
    { DEV_DEBUGCON_PORT, 1, "debugcon", debugcon_in, debugcon_out },
    { DEV_EXIT_PORT, 1, "exit", exitport_in, exitport_out },
    { DEV_MARK_PORT, 1, "mark", mark_in, mark_out },
    { DEV_STATS_PORT, 1, "guest statistics", gueststats_in, gueststats_out },
    { DEV_DISK_PORT(0), 0x40 * DEV_DISK_MAX, "disk", disk_in, disk_out },
};

static const struct port_range *find_port(unsigned port)
{
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (port >= ports[i].base && port < (unsigned)ports[i].base + ports[i].len)
            return &ports[i];
    return NULL;
}

static uint32_t size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *user)
{
    struct machine *m = user;
    (void)uc;
    vtime_note_io(&m->vt);
    if (m->stop != STOP_NONE) /* powered off: the rest of the block runs into nothing */
        return size_mask(size);
    m->stats.port_reads++;
    const struct port_range *p = find_port(port);
    if (!p) {
        machine_event(m, "in from unassigned port 0x%x", port);
        return size_mask(size);
    }
    return p->in(m, port - p->base, size) & size_mask(size);
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
    struct machine *m = user;
    (void)uc;
    vtime_note_io(&m->vt);
    if (m->stop != STOP_NONE)
        return;
    m->stats.port_writes++;
    const struct port_range *p = find_port(port);
    if (!p) {
        machine_event(m, "out 0x%x to unassigned port 0x%x", value, port);
        return;
    }
    p->out(m, port - p->base, size, value & size_mask(size));
}

static uint64_t on_apic_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    struct machine *m = user;
    (void)uc;
    return m->stop == STOP_NONE ? apic_read(m, offset, size) : ~0ull;
}

static void on_apic_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    struct machine *m = user;
    (void)uc;
    if (m->stop == STOP_NONE)
        apic_write(m, offset, size, value);
}

static uint64_t open_bus_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    (void)uc, (void)offset;
    struct machine *m = user;
    machine_event(m, "read of unbacked physical memory");
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void open_bus_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
                           void *user)
{
    (void)uc, (void)offset, (void)size, (void)value;
    machine_event(user, "write to unbacked physical memory");
}

/* Map [lo, hi) as open bus, if not empty. */
static bool open_bus(struct machine *m, uint64_t lo, uint64_t hi, char *err, size_t errlen)
{
    if (hi <= lo)
        return true;
    uc_err e = uc_mmio_map(m->uc, lo, hi - lo, open_bus_read, m, open_bus_write, m);
    if (e) {
        snprintf(err, errlen, "cannot map open bus [0x%" PRIx64 ", 0x%" PRIx64 "): %s", lo, hi,
                 uc_strerror(e));
        return false;
    }
    return true;
}

bool io_init(struct machine *m, char *err, size_t errlen)
{
    uc_hook h1, h2;
    uc_err e;
    if ((e = uc_hook_add(m->uc, &h1, UC_HOOK_INSN, (void *)on_in, m, 1, 0, UC_X86_INS_IN)) ||
        (e = uc_hook_add(m->uc, &h2, UC_HOOK_INSN, (void *)on_out, m, 1, 0, UC_X86_INS_OUT)) ||
        (e = uc_mmio_map(m->uc, DEV_APIC_BASE, DEV_APIC_SIZE, on_apic_read, m, on_apic_write, m))) {
        snprintf(err, errlen, "cannot set up I/O: %s", uc_strerror(e));
        return false;
    }
    const uint64_t top = 1ull << m->mmu.feat.maxphyaddr;
    uint64_t ram_end = (m->ram_size + 0xfff) & ~0xfffull;
    if (!open_bus(m, ram_end < DEV_APIC_BASE ? ram_end : DEV_APIC_BASE, DEV_APIC_BASE, err, errlen) ||
        !open_bus(m, ram_end > DEV_APIC_BASE + DEV_APIC_SIZE ? ram_end : DEV_APIC_BASE + DEV_APIC_SIZE,
                  RAISE_PA, err, errlen) ||
        !open_bus(m, RAISE_PA + RAISE_PAGES * 0x1000ull, top, err, errlen))
        return false;
    m->uart.out = m->cfg.console;
    m->uart.in = m->cfg.uart_input;
    m->apic.expiry = UINT64_MAX;
    m->apic.lvt_timer = APIC_LVT_MASKED;
    for (unsigned i = 0; i < DEV_DISK_MAX; i++)
        if (m->cfg.disk_path[i] &&
            !disk_open(m, i, m->cfg.disk_path[i], m->cfg.disk_read_only[i], err, errlen))
            return false;
    return true;
}
