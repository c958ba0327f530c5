/*
 * packet.c - framing, checksums, run-length decoding and binary escaping
 * (see packet.h).
 *
 * The decoder is a state machine fed one byte at a time, so input may arrive
 * in any fragmentation.  Noise between packets is dropped; a '$' inside a
 * packet starts a new one (the sender gave up on the first: '$' cannot occur
 * unescaped in a payload), which resynchronises after any garbage.
 */
#include <string.h>

#include "emu/gdbstub/hex.h"
#include "emu/gdbstub/packet.h"

enum { RX_IDLE, RX_DATA, RX_REPEAT, RX_CSUM1, RX_CSUM2 };

#define ESCAPE_CHAR '}'
#define ESCAPE_XOR 0x20
#define REPEAT_CHAR '*'
#define CTRL_C 0x03

void gdb_rx_init(struct gdb_rx *rx)
{
    rx->state = RX_IDLE;
    rx->len = 0;
    rx->buf[0] = '\0';
}

bool gdb_rx_in_packet(const struct gdb_rx *rx)
{
    return rx->state != RX_IDLE;
}

static void rx_start(struct gdb_rx *rx)
{
    rx->state = RX_DATA;
    rx->sum = 0;
    rx->len = 0;
    rx->too_long = false;
    rx->malformed = false;
}

static void rx_store(struct gdb_rx *rx, char c)
{
    if (rx->len < GDB_PACKET_MAX)
        rx->buf[rx->len++] = c;
    else
        rx->too_long = true;
}

/*
 * "X*n": the byte before '*' occurs n - 29 more times (n is printable, so
 * 3..97 repeats).  gdb never sends this, but the protocol allows it.
 */
static void rx_repeat(struct gdb_rx *rx, uint8_t n)
{
    if (rx->len == 0 || n < ' ' || n > '~') {
        rx->malformed = true;
        return;
    }
    char prev = rx->buf[rx->len - 1];
    for (int i = 0; i < n - 29; i++)
        rx_store(rx, prev);
}

static enum gdb_rx_event rx_idle(struct gdb_rx *rx, uint8_t c)
{
    switch (c) {
    case '$': rx_start(rx); return GDB_RX_NONE;
    case '+': return GDB_RX_ACK;
    case '-': return GDB_RX_NAK;
    case CTRL_C: return GDB_RX_INTERRUPT;
    default: return GDB_RX_NONE; /* noise between packets */
    }
}

static enum gdb_rx_event rx_finish(struct gdb_rx *rx, int lo)
{
    rx->state = RX_IDLE;
    rx->buf[rx->len] = '\0';
    if (rx->csum_hi < 0 || lo < 0 || (uint8_t)(rx->csum_hi << 4 | lo) != rx->sum)
        return GDB_RX_BAD_CHECKSUM;
    if (rx->too_long)
        return GDB_RX_TOO_LONG;
    if (rx->malformed)
        return GDB_RX_MALFORMED;
    return GDB_RX_PACKET;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
    if (rx->state == RX_IDLE)
        return rx_idle(rx, c);
    if (c == '$') {
        rx_start(rx);
        return GDB_RX_NONE;
    }
    switch (rx->state) {
    case RX_DATA:
        if (c == '#') {
            rx->state = RX_CSUM1;
        } else {
            rx->sum += c;
            if (c == REPEAT_CHAR)
                rx->state = RX_REPEAT;
            else
                rx_store(rx, (char)c);
        }
        return GDB_RX_NONE;
    case RX_REPEAT:
        if (c == '#') { /* '*' with no count */
            rx->malformed = true;
            rx->state = RX_CSUM1;
            return GDB_RX_NONE;
        }
        rx->sum += c;
        rx_repeat(rx, c);
        rx->state = RX_DATA;
        return GDB_RX_NONE;
    case RX_CSUM1:
        rx->csum_hi = hex_value(c);
        rx->state = RX_CSUM2;
        return GDB_RX_NONE;
    default: /* RX_CSUM2 */
        return rx_finish(rx, hex_value(c));
    }
}

uint8_t gdb_checksum(const char *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (uint8_t)p[i];
    return sum;
}

size_t gdb_frame(char *out, size_t cap, const char *payload, size_t n)
{
    if (n > cap || cap - n < 4)
        return 0;
    uint8_t sum = gdb_checksum(payload, n);
    out[0] = '$';
    memmove(out + 1, payload, n);
    out[n + 1] = '#';
    out[n + 2] = hex_digit(sum >> 4);
    out[n + 3] = hex_digit(sum);
    return n + 4;
}

bool gdb_must_escape(uint8_t c)
{
    return c == '#' || c == '$' || c == ESCAPE_CHAR || c == REPEAT_CHAR;
}

size_t gdb_escape(char *out, size_t cap, const uint8_t *in, size_t n, size_t *used)
{
    size_t o = 0, i = 0;
    for (; i < n; i++) {
        bool esc = gdb_must_escape(in[i]);
        if (o + 1 + esc > cap)
            break;
        if (esc) {
            out[o++] = ESCAPE_CHAR;
            out[o++] = (char)(in[i] ^ ESCAPE_XOR);
        } else {
            out[o++] = (char)in[i];
        }
    }
    *used = i;
    return o;
}

long gdb_unescape(uint8_t *out, const char *in, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)in[i];
        if (c == ESCAPE_CHAR) {
            if (++i == n)
                return -1;
            c = (uint8_t)in[i] ^ ESCAPE_XOR;
        }
        out[o++] = c;
    }
    return (long)o;
}
