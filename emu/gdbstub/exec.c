/*
 * exec.c - execution control (c C s S vCont D) and thread selection (H T).
 *
 * The machine has one CPU, reported as thread 1.  gdb's signal numbers in
 * C/S packets are accepted and dropped: a machine has no signals to deliver.
 * Resuming packets get no reply now; the stop reply answers them when the
 * machine stops (gdb_session_stopped()).
 */
#include "emu/gdbstub/session.h"

bool gdb_parse_thread(struct cursor *c, bool *ours)
{
    struct cursor save = *c;
    uint64_t id;
    if (cursor_eat(c, 'p')) { /* multiprocess form pPID.TID: any process is ours */
        if (!cursor_eat_str(c, "-1") && !cursor_hex_u64(c, &id))
            goto bad;
        if (!cursor_eat(c, '.')) {
            *ours = true;
            return true;
        }
    }
    if (cursor_eat_str(c, "-1")) {
        *ours = true;
        return true;
    }
    if (!cursor_hex_u64(c, &id))
        goto bad;
    *ours = id == 0 || id == GDB_THREAD_ID;
    return true;
bad:
    *c = save;
    return false;
}

/* Resume at a new address if the packet gave one: gdb's "jump". */
static bool resume_at(struct gdb_session *s, struct cursor *c)
{
    uint64_t addr;
    if (c->p == c->end)
        return true;
    if (!cursor_hex_u64(c, &addr) || c->p != c->end)
        return false;
    uint8_t buf[8];
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(addr >> (8 * i));
    return s->ops->write_reg(s->target, GDB_REG_RIP, buf) == 0;
}

enum gdb_action gdb_handle_resume(struct gdb_session *s, char cmd, struct cursor *c)
{
    uint64_t sig;
    if ((cmd == 'C' || cmd == 'S') &&
        (!cursor_hex_u64(c, &sig) || (c->p != c->end && !cursor_eat(c, ';')))) {
        reply_str(s, GDB_E_INVAL);
        return GDB_ACT_NONE;
    }
    if (!resume_at(s, c)) {
        reply_str(s, GDB_E_INVAL);
        return GDB_ACT_NONE;
    }
    s->silent = true;
    return cmd == 'c' || cmd == 'C' ? GDB_ACT_CONTINUE : GDB_ACT_STEP;
}

/* One vCont action ("c", "C05", "s", "S0b", optionally ":thread").  Sets
   *act when it is a resume that applies to our thread. */
static bool vcont_action(struct cursor *c, enum gdb_action *act)
{
    uint64_t sig;
    char a = c->p < c->end ? *c->p++ : 0;
    if ((a == 'C' || a == 'S') && !cursor_hex_u64(c, &sig))
        return false;
    if (a != 'c' && a != 'C' && a != 's' && a != 'S')
        return false; /* 't' (stop) and 'r' (range step) are not offered */
    bool ours = true;
    if (cursor_eat(c, ':') && !gdb_parse_thread(c, &ours))
        return false;
    if (ours && *act == GDB_ACT_NONE) /* the leftmost applicable action wins */
        *act = a == 'c' || a == 'C' ? GDB_ACT_CONTINUE : GDB_ACT_STEP;
    return true;
}

enum gdb_action gdb_handle_vcont(struct gdb_session *s, struct cursor *c)
{
    if (cursor_eat(c, '?')) {
        if (c->p == c->end)
            reply_str(s, "vCont;c;C;s;S");
        else
            reply_str(s, GDB_E_INVAL);
        return GDB_ACT_NONE;
    }
    enum gdb_action act = GDB_ACT_NONE;
    while (cursor_eat(c, ';')) {
        if (!vcont_action(c, &act)) {
            reply_str(s, GDB_E_INVAL);
            return GDB_ACT_NONE;
        }
    }
    if (c->p != c->end || act == GDB_ACT_NONE) {
        reply_str(s, GDB_E_INVAL);
        return GDB_ACT_NONE;
    }
    s->silent = true;
    return act;
}

enum gdb_action gdb_handle_thread(struct gdb_session *s, char cmd, struct cursor *c)
{
    bool ours;
    if (cmd == 'H' && c->p < c->end && (*c->p == 'g' || *c->p == 'c' || *c->p == 's'))
        c->p++;
    else if (cmd == 'H')
        return GDB_ACT_NONE; /* unknown H operation: not supported */
    if (!gdb_parse_thread(c, &ours) || c->p != c->end)
        reply_str(s, GDB_E_INVAL);
    else
        reply_str(s, ours ? "OK" : GDB_E_NOENT);
    return GDB_ACT_NONE;
}

/* D or D;pid: gdb leaves; its breakpoints go with it and the machine runs on. */
enum gdb_action gdb_handle_detach(struct gdb_session *s, struct cursor *c)
{
    uint64_t pid;
    if (c->p != c->end && (!cursor_eat(c, ';') || !cursor_hex_u64(c, &pid) || c->p != c->end)) {
        reply_str(s, GDB_E_INVAL);
        return GDB_ACT_NONE;
    }
    gdb_bptab_clear(&s->bp);
    reply_str(s, "OK");
    return GDB_ACT_DETACH;
}
