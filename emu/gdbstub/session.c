/*
 * session.c - the protocol state of one connection: input, acknowledgements,
 * replies and stop replies (see session.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/gdbstub/regs.h"
#include "emu/gdbstub/session.h"

bool gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *target,
                      gdb_send_fn *send, void *send_ctx)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->target = target;
    s->send = send;
    s->send_ctx = send_ctx;
    gdb_bptab_init(&s->bp);
    s->xml_len = gdb_target_xml(NULL, 0);
    s->xml = malloc(s->xml_len + 1);
    if (!s->xml)
        return false;
    gdb_target_xml(s->xml, s->xml_len + 1);
    gdb_session_reset(s);
    return true;
}

void gdb_session_free(struct gdb_session *s)
{
    gdb_bptab_free(&s->bp);
    free(s->xml);
    s->xml = NULL;
}

void gdb_session_reset(struct gdb_session *s)
{
    gdb_rx_init(&s->rx);
    gdb_bptab_clear(&s->bp);
    s->noack = false;
    s->running = false;
    s->gdb_swbreak = false;
    s->gdb_hwbreak = false;
    s->last_len = 0;
    s->last_stop = (struct gdb_stop){ .reason = GDB_STOP_ATTACH };
}

/* ---- replies ---- */

void reply_mem(struct gdb_session *s, const char *p, size_t n)
{
    if (n > sizeof s->reply - s->reply_len) {
        s->reply_overflow = true;
        return;
    }
    memcpy(s->reply + s->reply_len, p, n);
    s->reply_len += n;
}

void reply_str(struct gdb_session *s, const char *text)
{
    reply_mem(s, text, strlen(text));
}

void reply_hex(struct gdb_session *s, const uint8_t *p, size_t n)
{
    if (n > (sizeof s->reply - s->reply_len) / 2) {
        s->reply_overflow = true;
        return;
    }
    hex_encode(s->reply + s->reply_len, p, n);
    s->reply_len += 2 * n;
}

void reply_fmt(struct gdb_session *s, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        s->reply_overflow = true;
    else
        reply_mem(s, buf, (size_t)n);
}

void session_send_packet(struct gdb_session *s, const char *payload, size_t n)
{
    s->last_len = gdb_frame(s->last, sizeof s->last, payload, n);
    s->send(s->send_ctx, s->last, s->last_len);
}

static void reply_begin(struct gdb_session *s)
{
    s->reply_len = 0;
    s->reply_overflow = false;
    s->silent = false;
}

static void reply_send(struct gdb_session *s)
{
    if (s->reply_overflow) { /* a handler bug: say so rather than send half */
        s->reply_len = 0;
        reply_str(s, GDB_E_TOOBIG);
    }
    session_send_packet(s, s->reply, s->reply_len);
}

/* ---- stop replies ---- */

static int stop_signal(const struct gdb_stop *why)
{
    switch (why->reason) {
    case GDB_STOP_INTERRUPT: return GDB_SIGINT;
    case GDB_STOP_SIGNAL: return why->signo > 0 && why->signo < 256 ? why->signo : GDB_SIGTRAP;
    default: return GDB_SIGTRAP;
    }
}

static void reply_stop_reason(struct gdb_session *s, const struct gdb_stop *why)
{
    static const char *const watch_name[] = {
        [GDB_WATCH_WRITE] = "watch", [GDB_WATCH_READ] = "rwatch", [GDB_WATCH_ACCESS] = "awatch",
    };
    if (why->reason == GDB_STOP_WATCH && why->type >= GDB_WATCH_WRITE &&
        why->type <= GDB_WATCH_ACCESS)
        reply_fmt(s, "%s:%llx;", watch_name[why->type], (unsigned long long)why->addr);
    else if (why->reason == GDB_STOP_BREAK && why->type == GDB_BP_SOFTWARE && s->gdb_swbreak)
        reply_str(s, "swbreak:;");
    else if (why->reason == GDB_STOP_BREAK && why->type == GDB_BP_HARDWARE && s->gdb_hwbreak)
        reply_str(s, "hwbreak:;");
}

/* The registers gdb needs first after a stop, so it can skip a 'g'. */
static void reply_expedite(struct gdb_session *s)
{
    static const int expedite[] = { GDB_REG_RBP, GDB_REG_RSP, GDB_REG_RIP };
    uint8_t buf[8];
    for (size_t i = 0; i < sizeof expedite / sizeof expedite[0]; i++) {
        if (s->ops->read_reg(s->target, expedite[i], buf) != 8)
            continue;
        reply_fmt(s, "%02x:", expedite[i]);
        reply_hex(s, buf, 8);
        reply_str(s, ";");
    }
}

void reply_stop(struct gdb_session *s, const struct gdb_stop *why)
{
    reply_fmt(s, "T%02x", stop_signal(why));
    reply_stop_reason(s, why);
    reply_fmt(s, "thread:%x;", GDB_THREAD_ID);
    reply_expedite(s);
}

void gdb_session_stopped(struct gdb_session *s, const struct gdb_stop *why)
{
    s->last_stop = *why;
    if (!s->running)
        return;
    s->running = false;
    reply_begin(s);
    reply_stop(s, why);
    reply_send(s);
}

void gdb_session_exited(struct gdb_session *s, int status)
{
    if (!s->running)
        return;
    s->running = false;
    char buf[8];
    int n = snprintf(buf, sizeof buf, "W%02x", (unsigned)status & 0xff);
    session_send_packet(s, buf, (size_t)n);
}

/* ---- input ---- */

static void send_ack(struct gdb_session *s, char c)
{
    if (!s->noack)
        s->send(s->send_ctx, &c, 1);
}

/* gdb saw a bad checksum on what we sent last: send it again. */
static void resend_last(struct gdb_session *s)
{
    if (!s->noack && s->last_len)
        s->send(s->send_ctx, s->last, s->last_len);
}

/* A complete, acknowledged packet: answer it. */
static enum gdb_action serve(struct gdb_session *s, enum gdb_rx_event ev)
{
    reply_begin(s);
    enum gdb_action act = GDB_ACT_NONE;
    if (ev == GDB_RX_TOO_LONG)
        reply_str(s, GDB_E_TOOBIG);
    else if (ev == GDB_RX_MALFORMED)
        reply_str(s, GDB_E_INVAL);
    else
        act = gdb_handle_packet(s, s->rx.buf, s->rx.len);
    if (!s->silent)
        reply_send(s);
    if (act == GDB_ACT_CONTINUE || act == GDB_ACT_STEP)
        s->running = true;
    return act;
}

/* One received byte while the machine is stopped. */
static enum gdb_action input_stopped(struct gdb_session *s, uint8_t c)
{
    enum gdb_rx_event ev = gdb_rx_byte(&s->rx, c);
    switch (ev) {
    case GDB_RX_PACKET:
    case GDB_RX_TOO_LONG:
    case GDB_RX_MALFORMED: /* the checksum was right: acknowledge, then refuse */
        send_ack(s, '+');
        return serve(s, ev);
    case GDB_RX_BAD_CHECKSUM:
        send_ack(s, '-');
        return GDB_ACT_NONE;
    case GDB_RX_NAK:
        resend_last(s);
        return GDB_ACT_NONE;
    default: /* acks, Ctrl-C while already stopped, noise */
        return GDB_ACT_NONE;
    }
}

/* One received byte while the machine runs: only Ctrl-C and acks matter. */
static enum gdb_action input_running(struct gdb_session *s, uint8_t c)
{
    switch (gdb_rx_byte(&s->rx, c)) {
    case GDB_RX_INTERRUPT:
        return GDB_ACT_INTERRUPT;
    case GDB_RX_NAK:
        resend_last(s);
        return GDB_ACT_NONE;
    default:
        return GDB_ACT_NONE;
    }
}

size_t gdb_session_input(struct gdb_session *s, const uint8_t *in, size_t n,
                         enum gdb_action *act)
{
    *act = GDB_ACT_NONE;
    for (size_t i = 0; i < n; i++) {
        if (s->running && in[i] == '$' && !gdb_rx_in_packet(&s->rx))
            return i; /* all-stop: this packet waits until the machine stops */
        *act = s->running ? input_running(s, in[i]) : input_stopped(s, in[i]);
        if (*act != GDB_ACT_NONE)
            return i + 1;
    }
    return n;
}
