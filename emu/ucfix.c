/*
 * ucfix.c - two bugs in Unicorn 2.1.1 and how the machine works around them.
 *
 * 1. A register-API write to CR2 also loads CR3 with the low 32 bits of the
 *    value (write CR2 = 0xffffffff8010b9c0, read CR3 = 0x8010b9c0).
 *    Restoring CR3 afterwards works, but makes QEMU flush its TLB on every
 *    page fault.
 * 2. QEMU remembers the last exception in env->old_exception to detect
 *    double faults, and only its own IDT delivery resets it, which Unicorn
 *    never runs.  So after one contributory exception reported through the
 *    interrupt hook, the next is wrongly promoted to #DF (two #DEs in a row
 *    come back as vector 0, then 8).
 * And a gap rather than a bug: the interrupt hook is given the vector only.
 * QEMU also knows the error code (env->error_code: #GP(selector), ...) and
 * whether the event came from INT n/INT3/INTO (env->exception_is_int; RIP
 * is already past those when the hook runs, so RIP cannot tell).
 *
 * Both fields live in QEMU's CPU state, of which Unicorn's contexts are a
 * plain copy.  At start-up, in a small scratch engine of the same library,
 * we find where they are: CR2 by planting two distinctive values;
 * old_exception as the only int that reads -1, 0, 8 after reset, one #DE and
 * a second #DE; error_code as the only int that reads 0x40 and 0x48 after
 * loading SS with the bad selectors 0x43 and 0x4b; exception_is_int as the int after
 * it, checked to read 0 after those #GPs and 1 after INT 0x80.  Each search
 * must find exactly one place.  The machine then
 * patches them by saving its context, writing the field and restoring (two
 * copies of 5.5 KB, no TLB flush).  If a search fails, CR2 falls back to the
 * flushing workaround and old_exception stays as QEMU leaves it (the
 * machine logs this at start).
 */
#include <string.h>
#include <sys/mman.h>

#include "emu/machine.h"

#define SCRATCH_RAM 0x10000

/* The unique offset where probe 0 then probe 1 appear (width 4 or 8). */
static size_t find_unique(uc_context *const ctx[], const int64_t *want, unsigned n,
                          unsigned width, size_t size)
{
    size_t found = SIZE_MAX;
    /* Every byte offset: the context starts with a header of Unicorn's. */
    for (size_t off = 0; off + width <= size; off++) {
        unsigned k;
        for (k = 0; k < n; k++) {
            int64_t v = 0;
            if (width == 4) {
                int32_t v32;
                memcpy(&v32, (const uint8_t *)ctx[k] + off, 4);
                v = v32;
            } else {
                memcpy(&v, (const uint8_t *)ctx[k] + off, 8);
            }
            if (v != want[k])
                break;
        }
        if (k < n)
            continue;
        if (found != SIZE_MAX)
            return SIZE_MAX; /* ambiguous */
        found = off;
    }
    return found;
}

/* A scratch engine with a little RAM, for the probes. */
struct scratch {
    uc_engine *uc;
    uint8_t *ram;
    uc_context *reset, *ctx[3];
    size_t size;
    int vector;
};

static void scratch_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct scratch *sc = user;
    sc->vector = (int)intno;
    uc_emu_stop(uc);
}

static bool scratch_open(struct scratch *sc)
{
    uc_hook h;
    memset(sc, 0, sizeof *sc);
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &sc->uc) != UC_ERR_OK)
        return false;
    uc_ctl_set_tcg_buffer_size(sc->uc, 1u << 20);
    sc->ram = mmap(NULL, SCRATCH_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sc->ram == MAP_FAILED) {
        sc->ram = NULL;
        return false;
    }
    if (uc_mem_map_ptr(sc->uc, 0, SCRATCH_RAM, UC_PROT_ALL, sc->ram) ||
        uc_hook_add(sc->uc, &h, UC_HOOK_INTR, (void *)scratch_interrupt, sc, 1, 0) ||
        uc_context_alloc(sc->uc, &sc->reset))
        return false;
    for (int i = 0; i < 3; i++)
        if (uc_context_alloc(sc->uc, &sc->ctx[i]))
            return false;
    uc_x86_mmr gdtr = { 0, 0x2000, 0x17, 0 }; /* 3 descriptors, for the #GP probes */
    uc_reg_write(sc->uc, UC_X86_REG_GDTR, &gdtr);
    uc_context_save(sc->uc, sc->reset); /* every probe starts from here */
    sc->size = uc_context_size(sc->uc);
    return true;
}

static void scratch_close(struct scratch *sc)
{
    for (int i = 0; i < 3; i++)
        if (sc->ctx[i])
            uc_context_free(sc->ctx[i]);
    if (sc->reset)
        uc_context_free(sc->reset);
    if (sc->uc)
        uc_close(sc->uc);
    if (sc->ram)
        munmap(sc->ram, SCRATCH_RAM);
}

/* Run code at `at` from the state of `from` with RAX = rax; the vector.
 * Each probe's code has an address of its own: QEMU keeps what it translated
 * from an address even if the bytes there are rewritten. */
static int probe(struct scratch *sc, uc_context *from, uint64_t at, const uint8_t *code,
                 size_t len, uint64_t rax, uc_context *out)
{
    memcpy(sc->ram + at, code, len);
    uc_context_restore(sc->uc, from);
    uc_reg_write(sc->uc, UC_X86_REG_RAX, &rax);
    uc_reg_write(sc->uc, UC_X86_REG_RCX, &(uint64_t){ 0 });
    sc->vector = -1;
    uc_emu_start(sc->uc, at, 0, 0, 0);
    uc_context_save(sc->uc, out);
    return sc->vector;
}

static void discover(struct machine *m)
{
    struct scratch sc;
    m->cr2_offset = m->old_exception_offset = SIZE_MAX;
    m->error_code_offset = m->is_int_offset = SIZE_MAX;
    if (!scratch_open(&sc)) {
        scratch_close(&sc);
        return;
    }

    /* CR2 (8 bytes): two distinctive values. */
    static const int64_t cr2[2] = { 0x5a17c0de2a5ec0deLL, 0x3c0ffee15badd00dLL };
    for (int i = 0; i < 2; i++) {
        uc_context_restore(sc.uc, sc.reset);
        uc_reg_write(sc.uc, UC_X86_REG_CR2, &cr2[i]);
        uc_context_save(sc.uc, sc.ctx[i]);
    }
    m->cr2_offset = find_unique(sc.ctx, cr2, 2, 8, sc.size);

    /* old_exception (int): -1 after reset, 0 after #DE, 8 after a second #DE. */
    static const uint8_t div_rcx[] = { 0x48, 0xf7, 0xf1 };
    uc_context_restore(sc.uc, sc.reset);
    uc_context_save(sc.uc, sc.ctx[0]);
    int v1 = probe(&sc, sc.ctx[0], 0x1000, div_rcx, sizeof div_rcx, 0, sc.ctx[1]);
    int v2 = probe(&sc, sc.ctx[1], 0x1000, div_rcx, sizeof div_rcx, 0, sc.ctx[2]);
    static const int64_t oldexc[3] = { -1, 0, 8 };
    if (v1 == 0 && v2 == 8) /* the bug is there to be found */
        m->old_exception_offset = find_unique(sc.ctx, oldexc, 3, 4, sc.size);

    /* error_code and exception_is_int: #GP(0x40), #GP(0x48), INT 0x80.
     * RPL 3 selectors, so the error code (RPL dropped) differs from RAX. */
    static const uint8_t load_ss[] = { 0x8e, 0xd0 }; /* mov ss, eax */
    static const uint8_t int80[] = { 0xcd, 0x80 };
    int g1 = probe(&sc, sc.reset, 0x1100, load_ss, sizeof load_ss, 0x43, sc.ctx[0]);
    int g2 = probe(&sc, sc.reset, 0x1100, load_ss, sizeof load_ss, 0x4b, sc.ctx[1]);
    int i3 = probe(&sc, sc.reset, 0x1200, int80, sizeof int80, 0, sc.ctx[2]);
    static const int64_t codes[2] = { 0x40, 0x48 };
    size_t ec = (g1 == 13 && g2 == 13 && i3 == 0x80) ? find_unique(sc.ctx, codes, 2, 4, sc.size)
                                                     : SIZE_MAX;
    if (ec != SIZE_MAX) {
        int32_t is_int[3];
        for (int i = 0; i < 3; i++)
            memcpy(&is_int[i], (const uint8_t *)sc.ctx[i] + ec + 4, 4);
        if (is_int[0] == 0 && is_int[1] == 0 && is_int[2] == 1) {
            m->error_code_offset = ec;
            m->is_int_offset = ec + 4;
        }
    }
    scratch_close(&sc);
}

bool ucfix_init(struct machine *m)
{
    discover(m);
    if (uc_context_alloc(m->uc, &m->fix_ctx) != UC_ERR_OK)
        return false;
    if (m->cr2_offset == SIZE_MAX)
        machine_event(m, "ucfix: CR2 not found in Unicorn's context; using the flushing workaround");
    if (m->old_exception_offset == SIZE_MAX)
        machine_event(m, "ucfix: QEMU's old_exception not found; double faults may be misreported");
    if (m->error_code_offset == SIZE_MAX)
        machine_event(m, "ucfix: QEMU's error code not found; exceptions QEMU raises get 0, and "
                         "INT n is told from a fault by the bytes before RIP");
    return true;
}

bool machine_last_exception(struct machine *m, uint32_t *error_code, bool *software)
{
    if (m->error_code_offset == SIZE_MAX || uc_context_save(m->uc, m->fix_ctx) != UC_ERR_OK)
        return false;
    int32_t ec, is_int;
    memcpy(&ec, (const uint8_t *)m->fix_ctx + m->error_code_offset, 4);
    memcpy(&is_int, (const uint8_t *)m->fix_ctx + m->is_int_offset, 4);
    *error_code = (uint32_t)ec;
    *software = is_int != 0;
    return true;
}

void ucfix_free(struct machine *m)
{
    if (m->fix_ctx)
        uc_context_free(m->fix_ctx);
}

/* Patch an int or a uint64 of QEMU's CPU state. */
static bool patch(struct machine *m, size_t off, const void *value, size_t len)
{
    if (off == SIZE_MAX || uc_context_save(m->uc, m->fix_ctx) != UC_ERR_OK)
        return false;
    memcpy((uint8_t *)m->fix_ctx + off, value, len);
    uc_context_restore(m->uc, m->fix_ctx);
    return true;
}

void machine_set_cr2(struct machine *m, uint64_t value)
{
    if (patch(m, m->cr2_offset, &value, 8))
        return;
    uint64_t cr3 = machine_reg(m, UC_X86_REG_CR3);
    machine_set_reg(m, UC_X86_REG_CR2, value);
    machine_set_reg(m, UC_X86_REG_CR3, cr3);
}

void machine_forget_exception(struct machine *m)
{
    int32_t none = -1;
    patch(m, m->old_exception_offset, &none, 4);
}
