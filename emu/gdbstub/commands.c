/*
 * commands.c - packet dispatch, and the packets that read and write the
 * machine: registers (g G p P), memory (m M X) and the breakpoint and
 * watchpoint tables (Z z).
 *
 * Requests are parsed strictly (trailing bytes make them malformed) and never
 * trusted: lengths are clamped to what one packet can carry, and a fault in
 * the target comes back as an error reply, never as a crash.
 */
#include <errno.h>
#include <string.h>

#include "emu/gdbstub/regs.h"
#include "emu/gdbstub/session.h"

#define REG_MAX_BYTES 16 /* XMM */

static bool at_end(const struct cursor *c)
{
    return c->p == c->end;
}

/* ---- registers ---- */

/* Read one register; false if the machine does not model it. */
static bool read_reg(struct gdb_session *s, int regno, uint8_t *buf)
{
    int size = (int)gdb_reg_size(regno);
    return s->ops->read_reg(s->target, regno, buf) == size;
}

/* Append register regno as hex, or as 'x' digits ("unavailable"). */
static void reply_reg(struct gdb_session *s, int regno)
{
    uint8_t buf[REG_MAX_BYTES];
    unsigned size = gdb_reg_size(regno);
    if (read_reg(s, regno, buf)) {
        reply_hex(s, buf, size);
        return;
    }
    for (unsigned i = 0; i < 2 * size; i++)
        reply_str(s, "x");
}

static void cmd_read_regs(struct gdb_session *s, struct cursor *c)
{
    if (!at_end(c)) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    for (int r = 0; r < GDB_REG_COUNT; r++)
        reply_reg(s, r);
}

/* G: all registers at once.  Registers the machine does not model are
   skipped (gdb sends zeros for them); any refused write fails the packet. */
static void cmd_write_regs(struct gdb_session *s, struct cursor *c)
{
    size_t total = gdb_regs_size();
    if (cursor_left(c) != 2 * total || !hex_decode(s->scratch, c->p, total)) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    bool ok = true;
    const uint8_t *p = s->scratch;
    for (int r = 0; r < GDB_REG_COUNT; p += gdb_reg_size(r), r++) {
        uint8_t old[REG_MAX_BYTES];
        if (read_reg(s, r, old) && s->ops->write_reg(s->target, r, p) != 0)
            ok = false;
    }
    reply_str(s, ok ? "OK" : GDB_E_FAIL);
}

static bool parse_regno(struct cursor *c, int *regno)
{
    uint64_t n;
    if (!cursor_hex_u64(c, &n) || n >= GDB_REG_COUNT)
        return false;
    *regno = (int)n;
    return true;
}

static void cmd_read_reg(struct gdb_session *s, struct cursor *c)
{
    int regno;
    if (!parse_regno(c, &regno) || !at_end(c))
        reply_str(s, GDB_E_INVAL);
    else
        reply_reg(s, regno);
}

static void cmd_write_reg(struct gdb_session *s, struct cursor *c)
{
    int regno;
    uint8_t buf[REG_MAX_BYTES];
    if (!parse_regno(c, &regno) || !cursor_eat(c, '=') ||
        cursor_left(c) != 2 * gdb_reg_size(regno) ||
        !hex_decode(buf, c->p, gdb_reg_size(regno))) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    reply_str(s, s->ops->write_reg(s->target, regno, buf) == 0 ? "OK" : GDB_E_FAIL);
}

/* ---- memory ---- */

static void cmd_read_mem(struct gdb_session *s, struct cursor *c)
{
    uint64_t addr, len;
    if (!cursor_addr_len(c, &addr, &len) || !at_end(c)) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    /* A shorter reply is allowed; gdb asks again for the rest. */
    if (len > sizeof s->reply / 2)
        len = sizeof s->reply / 2;
    size_t got = s->ops->read_mem(s->target, addr, s->scratch, (size_t)len);
    if (got > len)
        got = (size_t)len; /* a confused target must not make us overrun */
    if (got == 0 && len > 0)
        reply_str(s, GDB_E_FAULT);
    else
        reply_hex(s, s->scratch, got);
}

static void write_mem(struct gdb_session *s, uint64_t addr, size_t len)
{
    size_t done = len ? s->ops->write_mem(s->target, addr, s->scratch, len) : 0;
    reply_str(s, done >= len ? "OK" : GDB_E_FAULT);
}

/* M addr,len:hex */
static void cmd_write_mem_hex(struct gdb_session *s, struct cursor *c)
{
    uint64_t addr, len;
    if (!cursor_addr_len(c, &addr, &len) || !cursor_eat(c, ':') || len > sizeof s->scratch ||
        cursor_left(c) != 2 * len || !hex_decode(s->scratch, c->p, (size_t)len)) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    write_mem(s, addr, (size_t)len);
}

/* X addr,len:binary - gdb first sends "X addr,0:" to learn X is supported. */
static void cmd_write_mem_bin(struct gdb_session *s, struct cursor *c)
{
    uint64_t addr, len;
    if (!cursor_addr_len(c, &addr, &len) || !cursor_eat(c, ':')) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    long got = gdb_unescape(s->scratch, c->p, cursor_left(c));
    if (got < 0 || (uint64_t)got != len) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    write_mem(s, addr, (size_t)len);
}

/* ---- breakpoints and watchpoints ---- */

/* Z/z type,addr,kind[;conditions]: conditions are never requested, so ignored. */
static void cmd_breakpoint(struct gdb_session *s, struct cursor *c, bool insert)
{
    uint64_t type, addr, kind;
    if (!cursor_hex_u64(c, &type) || !cursor_eat(c, ',') ||
        !cursor_addr_len(c, &addr, &kind) || (!at_end(c) && *c->p != ';')) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    if (type > GDB_WATCH_ACCESS)
        return; /* empty reply: this type is not supported */
    int rc = insert ? gdb_bptab_insert(&s->bp, (enum gdb_bp_type)type, addr, kind)
                    : gdb_bptab_remove(&s->bp, (enum gdb_bp_type)type, addr, kind);
    reply_str(s, rc == 0 ? "OK" : rc == -EINVAL ? GDB_E_INVAL : GDB_E_NOSPC);
}

/* ---- dispatch ---- */

static enum gdb_action dispatch_v(struct gdb_session *s, struct cursor *c)
{
    if (cursor_eat_str(c, "Cont"))
        return gdb_handle_vcont(s, c);
    return gdb_handle_v(s, c);
}

enum gdb_action gdb_handle_packet(struct gdb_session *s, const char *pkt, size_t len)
{
    struct cursor c = { pkt, pkt + len };
    if (len == 0)
        return GDB_ACT_NONE;
    char cmd = *c.p++;
    switch (cmd) {
    case '?': reply_stop(s, &s->last_stop); break;
    case 'g': cmd_read_regs(s, &c); break;
    case 'G': cmd_write_regs(s, &c); break;
    case 'p': cmd_read_reg(s, &c); break;
    case 'P': cmd_write_reg(s, &c); break;
    case 'm': cmd_read_mem(s, &c); break;
    case 'M': cmd_write_mem_hex(s, &c); break;
    case 'X': cmd_write_mem_bin(s, &c); break;
    case 'Z': cmd_breakpoint(s, &c, true); break;
    case 'z': cmd_breakpoint(s, &c, false); break;
    case 'c': case 'C': case 's': case 'S': return gdb_handle_resume(s, cmd, &c);
    case 'D': return gdb_handle_detach(s, &c);
    case 'k': s->silent = true; return GDB_ACT_KILL;
    case 'H': case 'T': return gdb_handle_thread(s, cmd, &c);
    case 'q': return gdb_handle_query(s, &c);
    case 'Q': return gdb_handle_set(s, &c);
    case 'v': return dispatch_v(s, &c);
    default: break; /* unknown: the empty reply says "not supported" */
    }
    return GDB_ACT_NONE;
}
