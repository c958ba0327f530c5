/*
 * machine.c - create and destroy the machine: guest RAM, the Unicorn CPU in
 * virtual-TLB mode with our MMU behind its fill hook, and the hooks through
 * which the other pieces (machine.h lists them) see the guest.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu/log.h"
#include "emu/machine.h"
#include "emu/tlbmodel.h"
#include "shared/x86.h"

/* Unicorn zeroes its whole translation buffer on every flush: keep it small. */
#define TCG_BUFFER_SIZE (64u << 20)

void machine_fail(struct machine *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->stop_message, sizeof m->stop_message, fmt, ap);
    va_end(ap);
    m->stop = STOP_ERROR;
    m->exit_status = EXIT_MACHINE_ERROR;
    if (m->uc)
        uc_emu_stop(m->uc);
}

void machine_event(struct machine *m, const char *fmt, ...)
{
    if (!m->events)
        return;
    va_list ap;
    fprintf(m->events, "%12" PRIu64 " ", m->vt.now);
    va_start(ap, fmt);
    vfprintf(m->events, fmt, ap);
    va_end(ap);
    fputc('\n', m->events);
}

uint64_t machine_reg(struct machine *m, int reg)
{
    uint64_t v = 0;
    uc_reg_read(m->uc, reg, &v);
    return v;
}

void machine_set_reg(struct machine *m, int reg, uint64_t value)
{
    uc_reg_write(m->uc, reg, &value);
}

bool machine_phys_read(struct machine *m, uint64_t pa, void *buf, size_t len)
{
    if (pa >= m->ram_size || len > m->ram_size - pa)
        return false;
    memcpy(buf, m->ram + pa, len);
    return true;
}

bool machine_phys_write(struct machine *m, uint64_t pa, const void *buf, size_t len)
{
    if (pa >= m->ram_size || len > m->ram_size - pa)
        return false;
    memcpy(m->ram + pa, buf, len);
    return true;
}

/* Copy between a buffer and virtual memory, page by page, as a debugger. */
static size_t virt_copy(struct machine *m, uint64_t va, uint8_t *buf, size_t len, bool write)
{
    size_t done = 0;
    while (done < len) {
        struct mmu_walk w;
        uint64_t a = va + done, pa;
        if (raise_owns(m, a, &pa))
            return done;
        if (!mmu_translate(&m->mmu, a, write ? MMU_WRITE : MMU_READ, MMU_DEBUG, &w))
            return done;
        pa = w.pa;
        size_t n = 0x1000 - (a & 0xfff);
        if (n > len - done)
            n = len - done;
        bool ok = write ? machine_phys_write(m, pa, buf + done, n)
                        : machine_phys_read(m, pa, buf + done, n);
        if (!ok)
            return done;
        done += n;
    }
    return done;
}

size_t machine_virt_read(struct machine *m, uint64_t va, void *buf, size_t len)
{
    return virt_copy(m, va, buf, len, false);
}

size_t machine_virt_write(struct machine *m, uint64_t va, const void *buf, size_t len)
{
    return virt_copy(m, va, (uint8_t *)buf, len, true);
}

void machine_sync_cs(struct machine *m)
{
    uint64_t cs = machine_reg(m, UC_X86_REG_CS);
    unsigned cpl = cs & 3;
    if (cpl != m->cpl)
        machine_event(m, "privilege: CPL %u -> %u (CS 0x%" PRIx64 ")", m->cpl, cpl, cs);
    m->cpl = (uint8_t)cpl;
    m->cpl_stale = false;
    if (cs != m->code32_cs) { /* the descriptor is read once per selector loaded */
        m->code32 = machine_cs_is_32bit(m, cs);
        m->code32_cs = (uint16_t)cs;
    }
}

void machine_sync_paging(struct machine *m)
{
    struct mmu_regs r = {
        .cr0 = machine_reg(m, UC_X86_REG_CR0),
        .cr3 = machine_reg(m, UC_X86_REG_CR3),
        .cr4 = machine_reg(m, UC_X86_REG_CR4),
    };
    uc_x86_msr efer = { X86_MSR_EFER, 0 };
    uc_reg_read(m->uc, UC_X86_REG_MSR, &efer);
    r.efer = efer.value;
    if (r.cr3 & X86_CR3_NOFLUSH) {
        /* QEMU 5.0 stores the source's bit 63 in CR3; the SDM does not (it
         * only says whether MOV to CR3 invalidates, observe.c). */
        r.cr3 &= ~X86_CR3_NOFLUSH;
        machine_set_reg(m, UC_X86_REG_CR3, r.cr3);
    }
    if (memcmp(&r, &m->mmu.regs, sizeof r) != 0) {
        if (m->tlbm) /* the old values are still in m->mmu.regs */
            tlbm_regs_changed(m, &m->mmu.regs, &r);
        struct mmu_walk gp;
        if (!mmu_set_regs(&m->mmu, &r, &gp))
            machine_event(m, "paging: PDPTE load failed (reserved bit), keeping old PDPTEs");
    }
    m->regs_stale = false;
    if (!(r.cr4 & X86_CR4_TSD) || !m->tsd_forced)
        tsc_force_trap(m); /* the guest rewrote CR4 */
}

static bool add_hook(struct machine *m, int type, void *cb, uint64_t begin, uint64_t end,
                     int insn, char *err, size_t errlen)
{
    uc_err e;
    if (m->nhooks == sizeof m->hooks / sizeof m->hooks[0]) {
        snprintf(err, errlen, "too many hooks");
        return false;
    }
    if (insn)
        e = uc_hook_add(m->uc, &m->hooks[m->nhooks], type, cb, m, begin, end, insn);
    else
        e = uc_hook_add(m->uc, &m->hooks[m->nhooks], type, cb, m, begin, end);
    if (e) {
        snprintf(err, errlen, "cannot add a Unicorn hook: %s", uc_strerror(e));
        return false;
    }
    m->nhooks++;
    return true;
}

/* Unicorn's interrupt hook: record the vector; the run loop delivers it. */
static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct machine *m = user;
    m->intr_vector = (int)intno;
    uc_emu_stop(uc);
}

static void on_syscall(uc_engine *uc, void *user)
{
    struct machine *m = user;
    m->syscall_pending = true;
    uc_emu_stop(uc);
}

/* Paging structures outside RAM read as all-ones, as on a PC bus (an
 * entry read there has reserved bits set, so the walk faults), and the A/D
 * updates sent there vanish. */
static bool open_bus_read(void *ctx, uint64_t pa, void *buf, unsigned len)
{
    (void)ctx, (void)pa;
    memset(buf, 0xff, len);
    return true;
}

static bool open_bus_write(void *ctx, uint64_t pa, const void *buf, unsigned len)
{
    (void)ctx, (void)pa, (void)buf, (void)len;
    return true;
}

struct machine *machine_new(const struct machine_config *cfg, char *err, size_t errlen)
{
    struct machine *m = calloc(1, sizeof *m);
    uc_err e;
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->ram_size = cfg->ram_size;
    m->intr_vector = -1;
    m->events = cfg->events;
    m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->ram == MAP_FAILED) {
        m->ram = NULL;
        snprintf(err, errlen, "cannot allocate %" PRIu64 " MiB of guest RAM", m->ram_size >> 20);
        goto bad;
    }
    /* Host huge pages where the host allows them: a guest that touches its
     * RAM (a zero-page thread does all of it) then takes one host fault per
     * 2 MB instead of one per 4 KB.  Advice only: failure changes nothing. */
    madvise(m->ram, m->ram_size, MADV_HUGEPAGE);
    if ((e = uc_open(UC_ARCH_X86, UC_MODE_64, &m->uc))) {
        snprintf(err, errlen, "uc_open: %s", uc_strerror(e));
        goto bad;
    }
    if ((e = uc_ctl_set_cpu_model(m->uc, UC_CPU_X86_ICELAKE_SERVER)) ||
        (e = uc_ctl_set_tcg_buffer_size(m->uc, TCG_BUFFER_SIZE))) {
        snprintf(err, errlen, "Unicorn set-up: %s", uc_strerror(e));
        goto bad;
    }
    if ((e = uc_mem_map_ptr(m->uc, 0, m->ram_size, UC_PROT_ALL, m->ram))) {
        snprintf(err, errlen, "cannot map guest RAM: %s", uc_strerror(e));
        goto bad;
    }
    /* Our MMU reads guest-physical memory straight from RAM. */
    struct mmu_features f;
    mmu_features_default(&f);
    mmu_init(&m->mmu, &f, &(struct mmu_pmem){ .ram = m->ram, .ram_size = m->ram_size,
                                              .read = open_bus_read, .write = open_bus_write });

    /* The virtual TLB: every QEMU TLB miss asks machine_fill_hook(). */
    if ((e = uc_ctl_tlb_mode(m->uc, UC_TLB_VIRTUAL))) {
        snprintf(err, errlen, "Unicorn has no virtual TLB mode: %s", uc_strerror(e));
        goto bad;
    }
    if (!add_hook(m, UC_HOOK_TLB_FILL, (void *)machine_fill_hook, 1, 0, 0, err, errlen) ||
        !add_hook(m, UC_HOOK_INTR, (void *)on_interrupt, 1, 0, 0, err, errlen) ||
        !add_hook(m, UC_HOOK_INSN, (void *)on_syscall, 1, 0, UC_X86_INS_SYSCALL, err, errlen) ||
        !add_hook(m, UC_HOOK_INSN, (void *)machine_cpuid_hook, 1, 0, UC_X86_INS_CPUID, err, errlen) ||
        !add_hook(m, UC_HOOK_BLOCK, (void *)vtime_on_block, 1, 0, 0, err, errlen))
        goto bad;
    if (!vtime_init(m)) {
        snprintf(err, errlen, "cannot set up virtual time (Capstone)");
        goto bad;
    }
    if (!raise_init(m, err, errlen) || !io_init(m, err, errlen))
        goto bad;
    if (!ucfix_init(m)) {
        snprintf(err, errlen, "cannot allocate a CPU context");
        goto bad;
    }
    if (cfg->trace && !(m->trace = trace_new(m, cfg->trace, err, errlen)))
        goto bad;
    /* Last: precise mode's block hook must run after virtual time's. */
    if (cfg->tlb && !tlbm_attach(m, cfg->tlb, (enum tlbm_mode)cfg->tlb_mode, cfg->tlb_check, err,
                                 errlen))
        goto bad;
    return m;
bad:
    machine_free(m);
    return NULL;
}

void machine_free(struct machine *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < DEV_DISK_MAX; i++)
        if (m->disk[i].file)
            fclose(m->disk[i].file);
    trace_free(m->trace);
    tlbm_free(m);
    ucfix_free(m);
    vtime_free(m);
    fault_exact_free(m);
    if (m->uc)
        uc_close(m->uc);
    if (m->priv)
        munmap(m->priv, RAISE_PAGES * 0x1000);
    if (m->ram)
        munmap(m->ram, m->ram_size);
    free(m->sites);
    free(m);
}
