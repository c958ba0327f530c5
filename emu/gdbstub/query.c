/*
 * query.c - general queries (q...), settings (Q...) and the v packets other
 * than vCont: feature negotiation, the target description, the thread list
 * and monitor commands.  Anything not recognised gets the empty reply, which
 * tells gdb the packet is not supported.
 */
#include <string.h>

#include "emu/gdbstub/session.h"

/* What we offer gdb in reply to qSupported. */
#define STUB_FEATURES                                                              \
    "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"      \
    "QStartNoAckMode+"
_Static_assert(GDB_PACKET_MAX == 0x4000, "PacketSize in STUB_FEATURES is GDB_PACKET_MAX");

/* The packet name is exactly this word: the payload ends or goes on with sep. */
static bool eat_word(struct cursor *c, const char *word, const char *seps)
{
    struct cursor save = *c;
    if (cursor_eat_str(c, word) && (c->p == c->end || (*c->p && strchr(seps, *c->p))))
        return true;
    *c = save;
    return false;
}

/* qSupported[:feature;feature...]: note the stop reasons gdb understands. */
static void q_supported(struct gdb_session *s, struct cursor *c)
{
    s->gdb_swbreak = s->gdb_hwbreak = false;
    if (cursor_eat(c, ':')) {
        while (c->p < c->end) {
            const char *semi = memchr(c->p, ';', cursor_left(c));
            const char *stop = semi ? semi : c->end;
            size_t n = (size_t)(stop - c->p);
            if (n == 8 && memcmp(c->p, "swbreak+", 8) == 0)
                s->gdb_swbreak = true;
            if (n == 8 && memcmp(c->p, "hwbreak+", 8) == 0)
                s->gdb_hwbreak = true;
            c->p = semi ? semi + 1 : c->end;
        }
    }
    reply_str(s, STUB_FEATURES);
}

/* qXfer:features:read:target.xml:offset,length */
static void q_xfer(struct gdb_session *s, struct cursor *c)
{
    uint64_t off, len;
    if (!cursor_eat_str(c, "features:read:"))
        return; /* another object: not supported */
    if (!cursor_eat_str(c, "target.xml:")) {
        reply_str(s, GDB_E_NOENT);
        return;
    }
    if (!cursor_addr_len(c, &off, &len) || c->p != c->end) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    if (off >= s->xml_len) {
        reply_str(s, "l");
        return;
    }
    size_t want = s->xml_len - (size_t)off, used;
    if (len < want)
        want = (size_t)len;
    char *out = s->reply + 1;
    size_t n = gdb_escape(out, sizeof s->reply - 1, (const uint8_t *)s->xml + off, want, &used);
    s->reply[0] = off + used < s->xml_len ? 'm' : 'l';
    s->reply_len = 1 + n;
}

/* Monitor output: each piece of text becomes O packets, sent at once. */
static void monitor_print(void *ctx, const char *text)
{
    struct gdb_session *s = ctx;
    enum { CHUNK = (GDB_PACKET_MAX - 1) / 2 };
    char pkt[1 + 2 * CHUNK];
    size_t n = text ? strlen(text) : 0;
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        pkt[0] = 'O';
        hex_encode(pkt + 1, (const uint8_t *)text + off, k);
        session_send_packet(s, pkt, 1 + 2 * k);
    }
}

/* qRcmd,hex: the command text is hex-encoded ("monitor tlb" -> "746c62"). */
static void q_rcmd(struct gdb_session *s, struct cursor *c)
{
    size_t n = cursor_left(c) / 2;
    if (!s->ops->monitor)
        return; /* empty reply: gdb says the target has no monitor commands */
    if (cursor_left(c) % 2 || n >= sizeof s->scratch || !hex_decode(s->scratch, c->p, n) ||
        memchr(s->scratch, '\0', n)) {
        reply_str(s, GDB_E_INVAL);
        return;
    }
    s->scratch[n] = '\0';
    int rc = s->ops->monitor(s->target, (const char *)s->scratch, monitor_print, s);
    reply_str(s, rc == 0 ? "OK" : GDB_E_FAIL);
}

static void q_thread_extra(struct gdb_session *s, struct cursor *c)
{
    static const char text[] = "CPU 0";
    bool ours;
    if (!gdb_parse_thread(c, &ours) || c->p != c->end)
        reply_str(s, GDB_E_INVAL);
    else if (!ours)
        reply_str(s, GDB_E_NOENT);
    else
        reply_hex(s, (const uint8_t *)text, sizeof text - 1);
}

enum gdb_action gdb_handle_query(struct gdb_session *s, struct cursor *c)
{
    if (eat_word(c, "Supported", ":"))
        q_supported(s, c);
    else if (eat_word(c, "Attached", ":"))
        reply_str(s, "1"); /* attached to a running machine: quitting gdb detaches */
    else if (eat_word(c, "C", ""))
        reply_fmt(s, "QC%x", GDB_THREAD_ID);
    else if (eat_word(c, "fThreadInfo", ""))
        reply_fmt(s, "m%x", GDB_THREAD_ID);
    else if (eat_word(c, "sThreadInfo", ""))
        reply_str(s, "l");
    else if (cursor_eat_str(c, "ThreadExtraInfo,"))
        q_thread_extra(s, c);
    else if (cursor_eat_str(c, "Xfer:"))
        q_xfer(s, c);
    else if (cursor_eat_str(c, "Rcmd,"))
        q_rcmd(s, c);
    else if (eat_word(c, "Symbol", ":"))
        reply_str(s, "OK"); /* we need no symbol values */
    /* qOffsets is left unsupported: images run where they are linked. */
    return GDB_ACT_NONE;
}

enum gdb_action gdb_handle_set(struct gdb_session *s, struct cursor *c)
{
    if (eat_word(c, "StartNoAckMode", "")) {
        /* The OK still travels in ack mode; everything after it does not. */
        session_send_packet(s, "OK", 2);
        s->silent = true;
        s->noack = true;
    }
    return GDB_ACT_NONE;
}

enum gdb_action gdb_handle_v(struct gdb_session *s, struct cursor *c)
{
    uint64_t pid;
    if (eat_word(c, "Kill", ";")) {
        if (cursor_eat(c, ';') && (!cursor_hex_u64(c, &pid) || c->p != c->end)) {
            reply_str(s, GDB_E_INVAL);
            return GDB_ACT_NONE;
        }
        reply_str(s, "OK");
        return GDB_ACT_KILL;
    }
    /* vMustReplyEmpty and everything else: the empty reply. */
    return GDB_ACT_NONE;
}
