/*
 * fake_target.c - the stand-in machine (see fake_target.h).
 */
#include <stdio.h>
#include <string.h>

#include "shared/x86.h"
#include "tests/gdb/fake_target.h"

static bool mapped(uint64_t va)
{
    return va >= FAKE_BASE && va - FAKE_BASE < FAKE_SIZE &&
           !(va >= FAKE_HOLE && va - FAKE_HOLE < FAKE_HOLE_SIZE);
}

static int read_reg(void *t, int regno, uint8_t *buf)
{
    struct fake_target *ft = t;
    unsigned size = gdb_reg_size(regno);
    if (size == 0 || ft->unavailable[regno])
        return -1;
    memcpy(buf, ft->regs[regno], size);
    return (int)size;
}

static int write_reg(void *t, int regno, const uint8_t *buf)
{
    struct fake_target *ft = t;
    unsigned size = gdb_reg_size(regno);
    if (size == 0 || ft->unavailable[regno] || ft->readonly[regno])
        return -1;
    memcpy(ft->regs[regno], buf, size);
    ft->reg_writes++;
    return 0;
}

static size_t read_mem(void *t, uint64_t va, uint8_t *buf, size_t len)
{
    struct fake_target *ft = t;
    size_t i = 0;
    for (; i < len && va + i >= va && mapped(va + i); i++)
        buf[i] = ft->mem[va + i - FAKE_BASE];
    return i;
}

static size_t write_mem(void *t, uint64_t va, const uint8_t *buf, size_t len)
{
    struct fake_target *ft = t;
    size_t i = 0;
    for (; i < len && va + i >= va && mapped(va + i); i++)
        ft->mem[va + i - FAKE_BASE] = buf[i];
    ft->mem_writes++;
    return i;
}

/* Monitor commands: "echo TEXT", "walk VA" (a fake page walk), "big N"
   (N bytes of output, for chunking), "fail" (a failing command). */
static int monitor(void *t, const char *cmd, gdb_print_fn *print, void *ctx)
{
    struct fake_target *ft = t;
    char line[128];
    unsigned long long va;
    unsigned n;
    snprintf(ft->last_monitor, sizeof ft->last_monitor, "%s", cmd);
    if (strncmp(cmd, "echo ", 5) == 0) {
        print(ctx, cmd + 5);
        print(ctx, "\n");
    } else if (sscanf(cmd, "walk %llx", &va) == 1) {
        snprintf(line, sizeof line, "walk %#llx: %s\n", va, mapped(va) ? "mapped" : "#PF");
        print(ctx, line);
    } else if (sscanf(cmd, "big %u", &n) == 1) {
        for (unsigned i = 0; i < n; i++)
            print(ctx, (char[]){ (char)('a' + i % 26), 0 });
    } else if (strcmp(cmd, "fail") == 0) {
        print(ctx, "this command fails\n");
        return 1;
    } else {
        print(ctx, "unknown monitor command\n");
    }
    return 0;
}

const struct gdb_target_ops fake_ops = {
    .read_reg = read_reg,
    .write_reg = write_reg,
    .read_mem = read_mem,
    .write_mem = write_mem,
    .monitor = monitor,
};

uint64_t fake_reg(const struct fake_target *ft, int regno)
{
    uint64_t v = 0;
    memcpy(&v, ft->regs[regno], gdb_reg_size(regno) < 8 ? gdb_reg_size(regno) : 8);
    return v;
}

void fake_set_reg(struct fake_target *ft, int regno, uint64_t v)
{
    memset(ft->regs[regno], 0, sizeof ft->regs[regno]);
    memcpy(ft->regs[regno], &v, gdb_reg_size(regno) < 8 ? gdb_reg_size(regno) : 8);
}

void fake_init(struct fake_target *ft)
{
    memset(ft, 0, sizeof *ft);
    for (int r = GDB_REG_RAX; r <= GDB_REG_R15; r++)
        fake_set_reg(ft, r, 0x1111111111111111ull * (uint64_t)(r % 15 + 1));
    fake_set_reg(ft, GDB_REG_RAX, 0);
    fake_set_reg(ft, GDB_REG_RSP, FAKE_STACK);
    fake_set_reg(ft, GDB_REG_RBP, FAKE_STACK);
    fake_set_reg(ft, GDB_REG_RIP, FAKE_CODE);
    fake_set_reg(ft, GDB_REG_EFLAGS, X86_RFLAGS_FIXED | X86_RFLAGS_IF);
    fake_set_reg(ft, GDB_REG_CS, 0x10);
    fake_set_reg(ft, GDB_REG_SS, 0x18);
    fake_set_reg(ft, GDB_REG_FCTRL, 0x37f);
    fake_set_reg(ft, GDB_REG_MXCSR, 0x1f80);
    fake_set_reg(ft, GDB_REG_CR0, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_ET);
    fake_set_reg(ft, GDB_REG_CR3, FAKE_CR3);
    fake_set_reg(ft, GDB_REG_CR4, X86_CR4_PAE | X86_CR4_PGE);
    fake_set_reg(ft, GDB_REG_EFER, X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
    ft->unavailable[GDB_REG_KERNEL_GS_BASE] = true; /* shows as <unavailable> */
    ft->readonly[GDB_REG_CR8] = true;
    memset(ft->mem + (FAKE_CODE - FAKE_BASE), 0x90, FAKE_CODE_SIZE); /* NOPs */
    for (unsigned i = 0; i < 16; i++)
        ft->mem[i] = (uint8_t)(0xa0 + i);
}

bool fake_step(struct fake_target *ft, struct gdb_stub *stub, bool check_break,
               struct gdb_stop *stop)
{
    uint64_t rip = fake_reg(ft, GDB_REG_RIP), rax = fake_reg(ft, GDB_REG_RAX) + 1;
    if (check_break && gdb_stub_breakpoint_at(stub, rip, stop))
        return true;
    uint8_t loaded[8];
    read_mem(ft, FAKE_LOADED, loaded, sizeof loaded);
    write_mem(ft, FAKE_COUNTER, (const uint8_t *)&rax, sizeof rax);
    fake_set_reg(ft, GDB_REG_RAX, rax);
    fake_set_reg(ft, GDB_REG_RIP, rip + 1);
    /* x86 data breakpoints trap after the instruction: check once it is done. */
    return gdb_stub_watch_hit(stub, FAKE_LOADED, 8, false, stop) ||
           gdb_stub_watch_hit(stub, FAKE_COUNTER, 8, true, stop);
}

#define SLICE 1000

uint64_t fake_run(struct fake_target *ft, struct gdb_stub *stub, enum gdb_resume action,
                  bool stop_on_detach, uint64_t max_insns)
{
    uint64_t done = 0;
    while (action != GDB_RESUME_KILL && done < max_insns) {
        if (action == GDB_RESUME_DETACH && stop_on_detach)
            break;
        struct gdb_stop stop = { .reason = GDB_STOP_STEP };
        bool stopped = false;
        if (action == GDB_RESUME_STEP) {
            fake_step(ft, stub, false, &stop);
            done++;
            stopped = true;
        } else {
            for (int i = 0; i < SLICE && !stopped; i++, done++)
                stopped = fake_step(ft, stub, true, &stop);
            if (!stopped && gdb_stub_poll_interrupt(stub)) {
                stop = (struct gdb_stop){ .reason = GDB_STOP_INTERRUPT };
                stopped = true;
            }
        }
        if (stopped)
            action = gdb_stub_wait(stub, &stop);
    }
    return done;
}
