/*
 * test_gdbstub.c - unit tests of the gdb remote stub: the framing layer byte
 * by byte, the breakpoint/watchpoint tables, every command against a fake
 * target (tests/gdb/fake_target.h), the TCP server over loopback sockets,
 * and a fuzz loop.  Expected bytes are worked out from the protocol (the gdb
 * manual's "Remote Protocol" appendix), not taken from a previous run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "emu/gdbstub/bptab.h"
#include "emu/gdbstub/gdbstub.h"
#include "emu/gdbstub/hex.h"
#include "emu/gdbstub/packet.h"
#include "emu/gdbstub/regs.h"
#include "emu/gdbstub/session.h"
#include "tests/gdb/fake_target.h"

/* ======================================================================
 * Framing: checksums, the byte-at-a-time decoder, escaping, hex
 * ====================================================================== */

static enum gdb_rx_event rx_feed(struct gdb_rx *rx, const char *s, size_t n, int *npackets)
{
    enum gdb_rx_event last = GDB_RX_NONE;
    for (size_t i = 0; i < n; i++) {
        enum gdb_rx_event ev = gdb_rx_byte(rx, (uint8_t)s[i]);
        if (ev != GDB_RX_NONE)
            last = ev;
        if (ev == GDB_RX_PACKET && npackets)
            (*npackets)++;
    }
    return last;
}

static enum gdb_rx_event rx_str(struct gdb_rx *rx, const char *s)
{
    return rx_feed(rx, s, strlen(s), NULL);
}

static void test_checksum_and_frame(void **state)
{
    (void)state;
    /* Sums worked by hand: 'O'+'K' = 0x4f+0x4b; 'm'+'0'+','+'4' = 0x6d+0x30+0x2c+0x34. */
    assert_int_equal(gdb_checksum("OK", 2), 0x9a);
    assert_int_equal(gdb_checksum("", 0), 0);
    assert_int_equal(gdb_checksum("m0,4", 4), 0xfd);
    char out[16];
    assert_int_equal(gdb_frame(out, sizeof out, "OK", 2), 6);
    assert_memory_equal(out, "$OK#9a", 6);
    assert_int_equal(gdb_frame(out, sizeof out, "", 0), 4);
    assert_memory_equal(out, "$#00", 4);
    assert_int_equal(gdb_frame(out, 5, "OK", 2), 0); /* does not fit */
}

static void test_rx_simple_and_fragmented(void **state)
{
    (void)state;
    static struct gdb_rx rx;
    gdb_rx_init(&rx);
    assert_int_equal(rx_str(&rx, "$g#67"), GDB_RX_PACKET);
    assert_int_equal(rx.len, 1);
    assert_string_equal(rx.buf, "g");

    /* Garbage before '$' is dropped; each byte arrives on its own. */
    const char *wire = "xyz\r\n\x7f$m0,4#fd";
    enum gdb_rx_event ev = GDB_RX_NONE;
    for (size_t i = 0; i < strlen(wire); i++) {
        ev = gdb_rx_byte(&rx, (uint8_t)wire[i]);
        if (i + 1 < strlen(wire))
            assert_int_equal(ev, GDB_RX_NONE);
    }
    assert_int_equal(ev, GDB_RX_PACKET);
    assert_string_equal(rx.buf, "m0,4");
    /* Checksum digits may be upper case. */
    assert_int_equal(rx_str(&rx, "$OK#9A"), GDB_RX_PACKET);
}

static void test_rx_bad_checksum(void **state)
{
    (void)state;
    static struct gdb_rx rx;
    gdb_rx_init(&rx);
    assert_int_equal(rx_str(&rx, "$g#68"), GDB_RX_BAD_CHECKSUM);
    assert_int_equal(rx_str(&rx, "$g#6z"), GDB_RX_BAD_CHECKSUM);
    assert_int_equal(rx_str(&rx, "$g#z7"), GDB_RX_BAD_CHECKSUM);
    /* The decoder recovers for the next packet. */
    assert_int_equal(rx_str(&rx, "$g#67"), GDB_RX_PACKET);
}

static void test_rx_out_of_band(void **state)
{
    (void)state;
    static struct gdb_rx rx;
    gdb_rx_init(&rx);
    assert_int_equal(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
    assert_int_equal(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
    assert_int_equal(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
    /* Inside a packet those bytes are data (X payloads may hold 0x03). */
    char buf[16];
    const char data[] = { '+', '-', 0x03 };
    size_t n = gdb_frame(buf, sizeof buf, data, 3);
    int packets = 0;
    assert_int_equal(rx_feed(&rx, buf, n, &packets), GDB_RX_PACKET);
    assert_int_equal(packets, 1);
    assert_int_equal(rx.len, 3);
    assert_memory_equal(rx.buf, data, 3);
}

static void test_rx_resync_on_dollar(void **state)
{
    (void)state;
    static struct gdb_rx rx;
    gdb_rx_init(&rx);
    /* A packet cut short by a new '$' is abandoned; the second one counts. */
    int packets = 0;
    const char *wire = "$m12,$g#67";
    assert_int_equal(rx_feed(&rx, wire, strlen(wire), &packets), GDB_RX_PACKET);
    assert_int_equal(packets, 1);
    assert_string_equal(rx.buf, "g");
    /* Even in the checksum. */
    wire = "$qC#$g#67";
    packets = 0;
    assert_int_equal(rx_feed(&rx, wire, strlen(wire), &packets), GDB_RX_PACKET);
    assert_int_equal(packets, 1);
    assert_string_equal(rx.buf, "g");
}

static void test_rx_too_long(void **state)
{
    (void)state;
    static struct gdb_rx rx;
    static char big[GDB_PACKET_MAX + 10];
    static char wire[GDB_PACKET_MAX + 20];
    gdb_rx_init(&rx);
    memset(big, 'a', sizeof big);
    size_t n = gdb_frame(wire, sizeof wire, big, GDB_PACKET_MAX + 1);
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_TOO_LONG);
    /* Exactly the maximum is fine. */
    n = gdb_frame(wire, sizeof wire, big, GDB_PACKET_MAX);
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_PACKET);
    assert_int_equal(rx.len, GDB_PACKET_MAX);
    /* A too-long packet with a wrong checksum is a checksum error. */
    n = gdb_frame(wire, sizeof wire, big, GDB_PACKET_MAX + 1);
    wire[n - 1] = wire[n - 1] == '0' ? '1' : '0';
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_BAD_CHECKSUM);
    assert_int_equal(rx_str(&rx, "$g#67"), GDB_RX_PACKET);
}

static void test_rx_run_length(void **state)
{
    (void)state;
    static struct gdb_rx rx;
    char wire[64];
    gdb_rx_init(&rx);
    /* "0* " is '0' and ' ' - 29 = 3 more: "0000" (the manual's example). */
    size_t n = gdb_frame(wire, sizeof wire, "0* ", 3);
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "0000");
    n = gdb_frame(wire, sizeof wire, "ab*\"c", 5); /* '"' = 34: 5 more b */
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "abbbbbbc");
    /* Nothing to repeat, no count, a count below ' ': malformed. */
    n = gdb_frame(wire, sizeof wire, "* ", 2);
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_MALFORMED);
    n = gdb_frame(wire, sizeof wire, "a*", 2);
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_MALFORMED);
    n = gdb_frame(wire, sizeof wire, "a*\x1f", 3);
    assert_int_equal(rx_feed(&rx, wire, n, NULL), GDB_RX_MALFORMED);
    /* Expansion past the buffer is "too long", not an overrun. */
    static char big[GDB_PACKET_MAX + 64];
    static char bigwire[GDB_PACKET_MAX + 80];
    memset(big, 'x', GDB_PACKET_MAX - 2);
    memcpy(big + GDB_PACKET_MAX - 2, "*~", 2);
    n = gdb_frame(bigwire, sizeof bigwire, big, GDB_PACKET_MAX);
    assert_int_equal(rx_feed(&rx, bigwire, n, NULL), GDB_RX_TOO_LONG);
}

static void test_escape_roundtrip(void **state)
{
    (void)state;
    uint8_t all[256], back[256];
    char esc[512];
    size_t used;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    size_t n = gdb_escape(esc, sizeof esc, all, 256, &used);
    assert_int_equal(used, 256);
    assert_int_equal(n, 256 + 4); /* exactly # $ } * are escaped */
    assert_int_equal(gdb_unescape(back, esc, n), 256);
    assert_memory_equal(back, all, 256);

    const uint8_t specials[] = { '#', '$', '}', '*' };
    n = gdb_escape(esc, sizeof esc, specials, 4, &used);
    assert_int_equal(n, 8);
    assert_memory_equal(esc, "}\x03}\x04}]}\x0a", 8);
    /* Output room for one and a half escapes: the pair is never split. */
    n = gdb_escape(esc, 3, specials, 4, &used);
    assert_int_equal(n, 2);
    assert_int_equal(used, 1);
    /* A dangling escape is an error. */
    assert_int_equal(gdb_unescape(back, "ab}", 3), -1);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t b[4];
    char h[9] = { 0 };
    hex_encode(h, (const uint8_t[]){ 0x00, 0x7f, 0xa5, 0xff }, 4);
    assert_string_equal(h, "007fa5ff");
    assert_true(hex_decode(b, "DEADbeef", 4));
    assert_memory_equal(b, "\xde\xad\xbe\xef", 4);
    assert_false(hex_decode(b, "12g4", 2));

    struct cursor c;
    uint64_t v;
    c = (struct cursor){ "ffffffffffffffff,", NULL };
    c.end = c.p + strlen(c.p);
    assert_true(cursor_hex_u64(&c, &v));
    assert_true(v == UINT64_MAX);
    assert_true(cursor_eat(&c, ','));
    c = (struct cursor){ "10000000000000000", NULL }; /* 2^64: overflow */
    c.end = c.p + strlen(c.p);
    assert_false(cursor_hex_u64(&c, &v));
    assert_int_equal(cursor_left(&c), 17); /* unmoved */
    c = (struct cursor){ "0000000000000000001", NULL }; /* leading zeros are fine */
    c.end = c.p + strlen(c.p);
    assert_true(cursor_hex_u64(&c, &v));
    assert_true(v == 1);
    c = (struct cursor){ "", NULL };
    c.end = c.p;
    assert_false(cursor_hex_u64(&c, &v));
}

/* ======================================================================
 * Register table and target description
 * ====================================================================== */

static void test_register_layout(void **state)
{
    (void)state;
    /* gdb's amd64 numbering: 16 GPRs, rip 16, eflags 17, cs..gs 18-23,
       st0 24, fctrl 32, xmm0 40, mxcsr 56; then fs_base/gs_base as gdbserver. */
    assert_string_equal(gdb_reg_name(16), "rip");
    assert_string_equal(gdb_reg_name(17), "eflags");
    assert_string_equal(gdb_reg_name(24), "st0");
    assert_string_equal(gdb_reg_name(32), "fctrl");
    assert_string_equal(gdb_reg_name(40), "xmm0");
    assert_string_equal(gdb_reg_name(56), "mxcsr");
    assert_string_equal(gdb_reg_name(57), "fs_base");
    assert_string_equal(gdb_reg_name(58), "gs_base");
    assert_string_equal(gdb_reg_name(GDB_REG_CR3), "cr3");
    assert_null(gdb_reg_name(GDB_REG_COUNT));
    assert_null(gdb_reg_name(-1));
    assert_int_equal(gdb_reg_size(GDB_REG_EFLAGS), 4);
    assert_int_equal(gdb_reg_size(GDB_REG_ST0 + 7), 10);
    assert_int_equal(gdb_reg_size(GDB_REG_XMM0 + 15), 16);
    assert_int_equal(gdb_reg_size(GDB_REG_EFER), 8);
    /* 16*8 + 8 + 4 + 6*4 + 8*10 + 8*4 + 16*16 + 4 + 2*8 + 7*8 */
    assert_int_equal(gdb_regs_size(), 608);
}

static void test_target_xml(void **state)
{
    (void)state;
    size_t n = gdb_target_xml(NULL, 0);
    char *xml = malloc(n + 1);
    assert_int_equal(gdb_target_xml(xml, n + 1), n);
    assert_int_equal(strlen(xml), n);
    assert_non_null(strstr(xml, "<architecture>i386:x86-64</architecture>"));
    /* Features in order, registers in table order, each exactly once. */
    const char *core = strstr(xml, "\"org.gnu.gdb.i386.core\"");
    const char *sse = strstr(xml, "\"org.gnu.gdb.i386.sse\"");
    const char *seg = strstr(xml, "\"org.gnu.gdb.i386.segments\"");
    const char *sys = strstr(xml, "\"org.mmulab.x86.system\"");
    assert_true(core && sse && seg && sys && core < sse && sse < seg && seg < sys);
    const char *p = xml;
    for (int r = 0; r < GDB_REG_COUNT; r++) {
        char tag[64];
        snprintf(tag, sizeof tag, "<reg name=\"%s\" bitsize=\"%u\"", gdb_reg_name(r),
                 8 * gdb_reg_size(r));
        const char *at = strstr(p, tag);
        assert_non_null(at);
        p = at + 1;
    }
    int regs = 0;
    for (p = xml; (p = strstr(p, "<reg ")); p++)
        regs++;
    assert_int_equal(regs, GDB_REG_COUNT);
    /* Nothing that would need escaping on the wire or confuse run-length. */
    assert_null(strpbrk(xml, "$#*}"));
    /* A short buffer is filled and terminated, and the length still reported. */
    char small[10];
    assert_int_equal(gdb_target_xml(small, sizeof small), n);
    assert_int_equal(strlen(small), 9);
    free(xml);
}

/* ======================================================================
 * Breakpoint and watchpoint tables
 * ====================================================================== */

static void test_bptab_breakpoints(void **state)
{
    (void)state;
    struct gdb_bptab t;
    enum gdb_bp_type type;
    gdb_bptab_init(&t);
    assert_false(gdb_bptab_break_at(&t, 0x1000, &type));
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_SOFTWARE, 0x1000, 1), 0);
    uint64_t gen = t.generation;
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_SOFTWARE, 0x1000, 1), 0); /* idempotent */
    assert_int_equal(t.bps.n, 1);
    assert_true(t.generation == gen);
    assert_true(gdb_bptab_break_at(&t, 0x1000, &type));
    assert_int_equal(type, GDB_BP_SOFTWARE);
    assert_false(gdb_bptab_break_at(&t, 0x1001, &type));
    assert_false(gdb_bptab_break_at(&t, 0xfff, &type));
    /* Kind (the breakpoint instruction's size) does not make a new entry. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_SOFTWARE, 0x1000, 4), 0);
    assert_int_equal(t.bps.n, 1);
    /* Hardware at the same address is another entry; software is reported. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_HARDWARE, 0x1000, 1), 0);
    assert_int_equal(t.bps.n, 2);
    assert_true(gdb_bptab_break_at(&t, 0x1000, &type));
    assert_int_equal(type, GDB_BP_SOFTWARE);
    assert_int_equal(gdb_bptab_remove(&t, GDB_BP_SOFTWARE, 0x1000, 1), 0);
    assert_true(gdb_bptab_break_at(&t, 0x1000, &type));
    assert_int_equal(type, GDB_BP_HARDWARE);
    /* Removing what is not there succeeds (idempotent) and changes nothing. */
    gen = t.generation;
    assert_int_equal(gdb_bptab_remove(&t, GDB_BP_SOFTWARE, 0x1000, 1), 0);
    assert_true(t.generation == gen);
    /* Ranges for whole translation blocks. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_SOFTWARE, UINT64_MAX, 1), 0);
    assert_true(gdb_bptab_break_in(&t, 0x0, 0x1000));
    assert_true(gdb_bptab_break_in(&t, 0x1000, 0x1000));
    assert_false(gdb_bptab_break_in(&t, 0x1001, 0x2000));
    assert_false(gdb_bptab_break_in(&t, 0, 0xfff));
    assert_true(gdb_bptab_break_in(&t, 0x2000, UINT64_MAX));
    assert_false(gdb_bptab_break_in(&t, 0x2000, 0x1000)); /* empty range */
    assert_true(gdb_bptab_break_at(&t, UINT64_MAX, NULL));
    assert_int_equal(gdb_bptab_insert(&t, (enum gdb_bp_type)5, 0, 1), -EINVAL);
    gdb_bptab_clear(&t);
    assert_false(gdb_bptab_break_at(&t, 0x1000, &type));
    gdb_bptab_free(&t);
}

static void test_bptab_sorted_many(void **state)
{
    (void)state;
    struct gdb_bptab t;
    gdb_bptab_init(&t);
    /* Insert in a scrambled order; every one is found, no neighbour is. */
    for (uint64_t i = 0; i < 1000; i++)
        assert_int_equal(gdb_bptab_insert(&t, GDB_BP_SOFTWARE, ((i * 7919) % 1000) * 16, 1), 0);
    for (uint64_t a = 0; a < 16000; a += 4)
        assert_int_equal(gdb_bptab_break_at(&t, a, NULL), a % 16 == 0);
    for (uint64_t i = 0; i < 1000; i += 2)
        assert_int_equal(gdb_bptab_remove(&t, GDB_BP_SOFTWARE, i * 16, 1), 0);
    for (uint64_t i = 0; i < 1000; i++)
        assert_int_equal(gdb_bptab_break_at(&t, i * 16, NULL), i % 2 == 1);
    gdb_bptab_free(&t);
}

static void test_bptab_full(void **state)
{
    (void)state;
    struct gdb_bptab t;
    gdb_bptab_init(&t);
    for (uint64_t i = 0; i < GDB_BPTAB_MAX; i++)
        assert_int_equal(gdb_bptab_insert(&t, GDB_BP_HARDWARE, i, 1), 0);
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_HARDWARE, GDB_BPTAB_MAX, 1), -ENOSPC);
    assert_int_equal(gdb_bptab_insert(&t, GDB_BP_HARDWARE, 5, 1), 0); /* already there */
    /* The watchpoint table is separate. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, 5, 1), 0);
    gdb_bptab_free(&t);
}

static void test_bptab_watch_types_and_lengths(void **state)
{
    (void)state;
    struct gdb_bptab t;
    enum gdb_bp_type type;
    uint64_t addr;
    gdb_bptab_init(&t);
    assert_false(gdb_bptab_watch_hit(&t, 0x100, 8, true, &type, &addr));
    static const unsigned lens[] = { 1, 2, 4, 8 };
    for (int i = 0; i < 4; i++) {
        uint64_t base = 0x1000 * (uint64_t)(i + 1);
        assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, base, lens[i]), 0);
        /* Every byte inside hits a write; the byte after and before do not. */
        for (unsigned b = 0; b < lens[i]; b++) {
            assert_true(gdb_bptab_watch_hit(&t, base + b, 1, true, &type, &addr));
            assert_int_equal(type, GDB_WATCH_WRITE);
            assert_true(addr == base + b);
        }
        assert_false(gdb_bptab_watch_hit(&t, base + lens[i], 1, true, &type, &addr));
        assert_false(gdb_bptab_watch_hit(&t, base - 1, 1, true, &type, &addr));
        /* A write watchpoint ignores reads. */
        assert_false(gdb_bptab_watch_hit(&t, base, lens[i], false, &type, &addr));
    }
    /* An 8-byte write that starts before a 2-byte watch reports its start. */
    assert_true(gdb_bptab_watch_hit(&t, 0x2000 - 4, 8, true, &type, &addr));
    assert_true(addr == 0x2000);
    /* Reads: Z3 matches reads only, Z4 both. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_READ, 0x8000, 4), 0);
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_ACCESS, 0x9000, 4), 0);
    assert_true(gdb_bptab_watch_hit(&t, 0x8000, 4, false, &type, &addr));
    assert_int_equal(type, GDB_WATCH_READ);
    assert_false(gdb_bptab_watch_hit(&t, 0x8000, 4, true, &type, &addr));
    assert_true(gdb_bptab_watch_hit(&t, 0x9002, 1, false, &type, &addr));
    assert_int_equal(type, GDB_WATCH_ACCESS);
    assert_true(gdb_bptab_watch_hit(&t, 0x9003, 4, true, &type, &addr));
    assert_true(addr == 0x9003);
    /* Same address, different length: two watchpoints; removal needs both. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, 0x1000, 4), 0);
    assert_int_equal(t.wps.n, 7);
    assert_int_equal(gdb_bptab_remove(&t, GDB_WATCH_WRITE, 0x1000, 1), 0);
    assert_true(gdb_bptab_watch_hit(&t, 0x1003, 1, true, &type, &addr));
    assert_int_equal(gdb_bptab_remove(&t, GDB_WATCH_WRITE, 0x1000, 4), 0);
    assert_false(gdb_bptab_watch_hit(&t, 0x1000, 1, true, &type, &addr));
    /* Zero length and wrap-around are refused. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, 0x100, 0), -EINVAL);
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, UINT64_MAX - 2, 4), -EINVAL);
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, UINT64_MAX - 3, 4), 0);
    assert_true(gdb_bptab_watch_hit(&t, UINT64_MAX, 1, true, &type, &addr));
    /* An access running past the top of the address space does not wrap. */
    assert_true(gdb_bptab_watch_hit(&t, UINT64_MAX - 1, 8, true, &type, &addr));
    assert_true(addr == UINT64_MAX - 1);
    assert_false(gdb_bptab_watch_hit(&t, 0x100, 0, true, &type, &addr));
    gdb_bptab_free(&t);
}

static void test_bptab_watch_overlap(void **state)
{
    (void)state;
    struct gdb_bptab t;
    enum gdb_bp_type type;
    uint64_t addr;
    gdb_bptab_init(&t);
    /* A long range starting low, and short ones inside it. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_WRITE, 0x1000, 0x1000), 0);
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_ACCESS, 0x1800, 8), 0);
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_READ, 0x1804, 4), 0);
    /* Deep inside the long range, far from its start: still found. */
    assert_true(gdb_bptab_watch_hit(&t, 0x1f00, 8, true, &type, &addr));
    assert_int_equal(type, GDB_WATCH_WRITE);
    assert_true(addr == 0x1f00);
    /* Write at 0x1800: both the long write range and the access watch
       cover it; the same address, so the first in table order (lowest start). */
    assert_true(gdb_bptab_watch_hit(&t, 0x1800, 8, true, &type, &addr));
    assert_int_equal(type, GDB_WATCH_WRITE);
    assert_true(addr == 0x1800);
    /* Read at 0x17fc..0x1803: the long range ignores reads; awatch at 0x1800. */
    assert_true(gdb_bptab_watch_hit(&t, 0x17fc, 8, false, &type, &addr));
    assert_int_equal(type, GDB_WATCH_ACCESS);
    assert_true(addr == 0x1800);
    /* Removing the long range shrinks the search span; short ones still hit. */
    assert_int_equal(gdb_bptab_remove(&t, GDB_WATCH_WRITE, 0x1000, 0x1000), 0);
    assert_true(t.watch_span == 7);
    assert_false(gdb_bptab_watch_hit(&t, 0x1f00, 8, true, &type, &addr));
    assert_true(gdb_bptab_watch_hit(&t, 0x1806, 1, false, &type, &addr));
    assert_true(addr == 0x1806);
    /* A range at address 0 is found from an access below the span. */
    assert_int_equal(gdb_bptab_insert(&t, GDB_WATCH_ACCESS, 0, 16), 0);
    assert_true(gdb_bptab_watch_hit(&t, 3, 1, true, &type, &addr));
    assert_true(addr == 3);
    gdb_bptab_free(&t);
}

/* ======================================================================
 * The session against the fake target
 * ====================================================================== */

struct h {
    struct fake_target ft;
    struct gdb_session s;
    size_t used;                  /* bytes the last feed consumed */
    char out[1 << 20];
    size_t out_len, out_pos;
    unsigned acks, naks;          /* seen in output while parsing */
    char reply[GDB_PACKET_MAX + 1];
    size_t reply_len;
};

static void h_send(void *ctx, const char *bytes, size_t n)
{
    struct h *h = ctx;
    if (h->out_len + n > sizeof h->out) { /* a long fuzz run: keep the tail */
        h->out_len = h->out_pos = 0;
    }
    memcpy(h->out + h->out_len, bytes, n);
    h->out_len += n;
}

static struct h *h_new(void)
{
    struct h *h = calloc(1, sizeof *h);
    assert_non_null(h);
    fake_init(&h->ft);
    assert_true(gdb_session_init(&h->s, &fake_ops, &h->ft, h_send, h));
    return h;
}

static void h_free(struct h *h)
{
    gdb_session_free(&h->s);
    free(h);
}

static enum gdb_action feed(struct h *h, const void *bytes, size_t n)
{
    enum gdb_action act;
    h->used = gdb_session_input(&h->s, bytes, n, &act);
    return act;
}

static enum gdb_action send_pkt_n(struct h *h, const char *payload, size_t n)
{
    static char wire[GDB_PACKET_MAX + 8];
    size_t w = gdb_frame(wire, sizeof wire, payload, n);
    assert_true(w > 0);
    enum gdb_action act = feed(h, wire, w);
    if (act == GDB_ACT_NONE)
        assert_int_equal(h->used, w);
    return act;
}

static enum gdb_action send_pkt(struct h *h, const char *payload)
{
    return send_pkt_n(h, payload, strlen(payload));
}

/* The next packet in the output (acks skipped and counted), or NULL. */
static const char *next_packet(struct h *h)
{
    while (h->out_pos < h->out_len && h->out[h->out_pos] != '$') {
        char c = h->out[h->out_pos++];
        assert_true(c == '+' || c == '-');
        if (c == '+')
            h->acks++;
        else
            h->naks++;
    }
    if (h->out_pos == h->out_len)
        return NULL;
    const char *start = h->out + h->out_pos + 1;
    const char *hash = memchr(start, '#', h->out_len - h->out_pos - 1);
    assert_non_null(hash);
    assert_true(hash + 3 <= h->out + h->out_len);
    size_t n = (size_t)(hash - start);
    assert_true(n <= GDB_PACKET_MAX);
    char sum[3];
    snprintf(sum, sizeof sum, "%02x", gdb_checksum(start, n));
    assert_memory_equal(hash + 1, sum, 2);
    memcpy(h->reply, start, n);
    h->reply[n] = '\0';
    h->reply_len = n;
    h->out_pos = (size_t)(hash + 3 - h->out);
    return h->reply;
}

/* Send a packet that must be answered by exactly one reply; return it. */
static const char *cmd(struct h *h, const char *payload)
{
    unsigned acks = h->acks;
    assert_int_equal(send_pkt(h, payload), GDB_ACT_NONE);
    const char *r = next_packet(h);
    assert_non_null(r);
    if (!h->s.noack)
        assert_int_equal(h->acks, acks + 1);
    assert_int_equal(h->out_pos, h->out_len); /* nothing more */
    return r;
}

static void expect_no_output(struct h *h)
{
    assert_int_equal(h->out_pos, h->out_len);
}

static void test_session_acks(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* gdb opens with a '+'; ignored. */
    feed(h, "+", 1);
    expect_no_output(h);
    /* A good packet: '+' then the reply. */
    assert_string_equal(cmd(h, "qC"), "QC1");
    /* A bad checksum: '-' and no reply. */
    feed(h, "$qC#00", 6);
    assert_null(next_packet(h));
    assert_int_equal(h->naks, 1);
    /* gdb's '-' makes us send the last packet again, byte for byte. */
    size_t before = h->out_len;
    feed(h, "-", 1);
    assert_string_equal(next_packet(h), "QC1");
    assert_int_equal(h->out_len - before, strlen("$QC1#xx"));
    /* Ctrl-C while stopped is ignored. */
    assert_int_equal(feed(h, "\x03", 1), GDB_ACT_NONE);
    expect_no_output(h);
    h_free(h);
}

static void test_session_noack_mode(void **state)
{
    (void)state;
    struct h *h = h_new();
    assert_string_equal(cmd(h, "QStartNoAckMode"), "OK"); /* acknowledged: ack mode still */
    assert_true(h->s.noack);
    unsigned acks = h->acks;
    assert_string_equal(cmd(h, "qC"), "QC1");
    assert_int_equal(h->acks, acks); /* no '+' any more */
    /* gdb's late '+' for our OK is harmless; a '-' is not answered. */
    feed(h, "+-", 2);
    expect_no_output(h);
    /* A bad checksum is dropped silently. */
    feed(h, "$qC#00", 6);
    expect_no_output(h);
    h_free(h);
}

static void test_session_supported(void **state)
{
    (void)state;
    struct h *h = h_new();
    const char *r = cmd(h, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    assert_non_null(strstr(r, "PacketSize=4000"));
    assert_non_null(strstr(r, "qXfer:features:read+"));
    assert_non_null(strstr(r, "swbreak+"));
    assert_non_null(strstr(r, "hwbreak+"));
    assert_non_null(strstr(r, "vContSupported+"));
    assert_non_null(strstr(r, "QStartNoAckMode+"));
    assert_true(h->s.gdb_swbreak && h->s.gdb_hwbreak);
    cmd(h, "qSupported");
    assert_false(h->s.gdb_swbreak || h->s.gdb_hwbreak);
    cmd(h, "qSupported:hwbreak+;swbreak-");
    assert_false(h->s.gdb_swbreak);
    assert_true(h->s.gdb_hwbreak);
    h_free(h);
}

static void test_session_stop_query(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* At attach: SIGTRAP, our thread, and rbp/rsp/rip expedited. */
    assert_string_equal(cmd(h, "?"), "T05thread:1;06:00f0400000000000;07:00f0400000000000;"
                                     "10:0010400000000000;");
    h_free(h);
}

static void test_session_registers(void **state)
{
    (void)state;
    struct h *h = h_new();
    const char *r = cmd(h, "g");
    assert_int_equal(strlen(r), 2 * 608);
    assert_memory_equal(r, "0000000000000000" "2222222222222222", 32); /* rax, rbx */
    assert_memory_equal(r + 16 * 16, "0010400000000000", 16);          /* rip */
    assert_memory_equal(r + 17 * 16, "02020000", 8);                   /* eflags */
    /* k_gs_base is the last register and unavailable: 'x' digits. */
    assert_memory_equal(r + 2 * 600, "xxxxxxxxxxxxxxxx", 16);
    /* cr3 sits after 56 + 2 + 2 registers worth of bytes: p gives the same. */
    char p[16];
    snprintf(p, sizeof p, "p%x", GDB_REG_CR3);
    assert_string_equal(cmd(h, p), "0010000000000000");
    snprintf(p, sizeof p, "p%x", GDB_REG_KERNEL_GS_BASE);
    assert_string_equal(cmd(h, p), "xxxxxxxxxxxxxxxx");
    assert_string_equal(cmd(h, "p12"), "10000000"); /* cs (18), 4 bytes */
    assert_string_equal(cmd(h, "p1b"), "00000000000000000000"); /* st3, 10 bytes */
    assert_string_equal(cmd(h, "p999"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "p"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "p10x"), GDB_E_INVAL);

    /* P: little-endian bytes. */
    assert_string_equal(cmd(h, "P0=efcdab8967452301"), "OK");
    assert_true(fake_reg(&h->ft, GDB_REG_RAX) == 0x0123456789abcdefull);
    assert_string_equal(cmd(h, "P11=46020000"), "OK"); /* eflags */
    assert_true(fake_reg(&h->ft, GDB_REG_EFLAGS) == 0x246);
    assert_string_equal(cmd(h, "P0=efcd"), GDB_E_INVAL);       /* too short */
    assert_string_equal(cmd(h, "P0=efcdab8967452301ff"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "P0=zzcdab8967452301"), GDB_E_INVAL);
    snprintf(p, sizeof p, "P%x=", GDB_REG_CR8);
    char buf[64];
    snprintf(buf, sizeof buf, "%s0100000000000000", p);
    assert_string_equal(cmd(h, buf), GDB_E_FAIL); /* the target refuses */
    h_free(h);
}

static void test_session_write_all_registers(void **state)
{
    (void)state;
    struct h *h = h_new();
    static char g[2 * 608 + 2];
    strcpy(g, "G");
    strcat(g, cmd(h, "g"));
    /* Change rbx and rip; the unavailable k_gs_base comes back as zeros. */
    memcpy(g + 1 + 16, "0102030405060708", 16);
    memcpy(g + 1 + 16 * 16, "0020400000000000", 16);
    memset(g + 1 + 2 * 600, '0', 16);
    unsigned writes = h->ft.reg_writes;
    assert_string_equal(cmd(h, g), GDB_E_FAIL); /* cr8 is read-only in the fake */
    assert_true(fake_reg(&h->ft, GDB_REG_RBX) == 0x0807060504030201ull);
    assert_true(fake_reg(&h->ft, GDB_REG_RIP) == 0x402000);
    /* Every available register but the read-only cr8 was written. */
    assert_int_equal(h->ft.reg_writes - writes, GDB_REG_COUNT - 2);
    h->ft.readonly[GDB_REG_CR8] = false;
    assert_string_equal(cmd(h, g), "OK");
    g[strlen(g) - 2] = '\0';
    assert_string_equal(cmd(h, g), GDB_E_INVAL); /* one byte short */
    h_free(h);
}

static void test_session_memory_read(void **state)
{
    (void)state;
    struct h *h = h_new();
    assert_string_equal(cmd(h, "m400000,4"), "a0a1a2a3");
    assert_string_equal(cmd(h, "m0400000,0004"), "a0a1a2a3"); /* leading zeros */
    assert_string_equal(cmd(h, "m40000e,2"), "aeaf");
    assert_string_equal(cmd(h, "m408000,4"), GDB_E_FAULT);     /* the hole */
    assert_string_equal(cmd(h, "m0,1"), GDB_E_FAULT);          /* unmapped */
    assert_string_equal(cmd(h, "mffffffffffffffff,10"), GDB_E_FAULT);
    /* A read running into the hole returns what precedes it. */
    assert_string_equal(cmd(h, "m407ffe,4"), "0000");
    /* A huge length is clamped to what one reply can carry. */
    const char *r = cmd(h, "m401000,100000");
    assert_int_equal(strlen(r), GDB_PACKET_MAX);
    assert_memory_equal(r, "90909090", 8);
    assert_string_equal(cmd(h, "m400000,0"), "");
    assert_string_equal(cmd(h, "m400000"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "mzz,4"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "m400000,4x"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "m400000,"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "m11111111111111111,1"), GDB_E_INVAL); /* > 64 bits */
    h_free(h);
}

static void test_session_memory_write(void **state)
{
    (void)state;
    struct h *h = h_new();
    assert_string_equal(cmd(h, "M400020,4:deadBEEF"), "OK");
    assert_memory_equal(h->ft.mem + 0x20, "\xde\xad\xbe\xef", 4);
    assert_string_equal(cmd(h, "M408000,1:00"), GDB_E_FAULT);
    assert_string_equal(cmd(h, "M407fff,2:1122"), GDB_E_FAULT); /* partly in the hole */
    assert_int_equal(h->ft.mem[0x7fff], 0x11);                   /* as far as it went */
    assert_string_equal(cmd(h, "M400020,4:dead"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "M400020,2:deadbeef"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "M400020,2:zzzz"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "M400020,2"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "M400020,0:"), "OK");

    /* X: binary with every byte that must be escaped, plus NUL and 0x03. */
    const char x[] = "X400030,7:}\x03}\x04}]}\x0a\x00\x03\xff";
    assert_int_equal(send_pkt_n(h, x, sizeof x - 1), GDB_ACT_NONE);
    assert_string_equal(next_packet(h), "OK");
    assert_memory_equal(h->ft.mem + 0x30, "#$}*\x00\x03\xff", 7);
    assert_string_equal(cmd(h, "X400030,0:"), "OK"); /* gdb's probe */
    assert_string_equal(cmd(h, "X400030,2:a"), GDB_E_INVAL);   /* length mismatch */
    assert_string_equal(cmd(h, "X400030,1:}"), GDB_E_INVAL);   /* dangling escape */
    assert_string_equal(cmd(h, "X408000,1:a"), GDB_E_FAULT);
    assert_string_equal(cmd(h, "X400030"), GDB_E_INVAL);
    h_free(h);
}

static void test_session_breakpoint_packets(void **state)
{
    (void)state;
    struct h *h = h_new();
    uint8_t before[16];
    memcpy(before, h->ft.mem + 0x1000, 16);
    assert_string_equal(cmd(h, "Z0,401005,1"), "OK");
    assert_string_equal(cmd(h, "Z0,401005,1"), "OK"); /* idempotent */
    assert_int_equal(h->s.bp.bps.n, 1);
    /* The emulator implements breakpoints: guest memory keeps its bytes. */
    assert_memory_equal(h->ft.mem + 0x1000, before, 16);
    assert_string_equal(cmd(h, "m401005,1"), "90");
    assert_string_equal(cmd(h, "Z1,401006,1"), "OK");
    assert_string_equal(cmd(h, "Z2,400100,8"), "OK");
    assert_string_equal(cmd(h, "Z3,400200,4"), "OK");
    assert_string_equal(cmd(h, "Z4,400300,2"), "OK");
    assert_int_equal(h->s.bp.wps.n, 3);
    assert_string_equal(cmd(h, "Z0,401007,1;X3,220027"), "OK"); /* conditions ignored */
    assert_string_equal(cmd(h, "z0,401005,1"), "OK");
    assert_string_equal(cmd(h, "z0,401005,1"), "OK"); /* already gone: still OK */
    assert_string_equal(cmd(h, "z2,400100,8"), "OK");
    assert_int_equal(h->s.bp.wps.n, 2);
    assert_string_equal(cmd(h, "Z5,401005,1"), ""); /* unsupported type */
    assert_string_equal(cmd(h, "Z2,400100,0"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Z2,fffffffffffffffe,4"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Z0,401005"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Z0401005,1"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Z0,401005,1x"), GDB_E_INVAL);
    h_free(h);
}

/* 'c' resumes silently; the stop reply comes when the machine stops. */
static void test_session_continue_and_stop_replies(void **state)
{
    (void)state;
    struct h *h = h_new();
    cmd(h, "qSupported:swbreak+;hwbreak+");
    assert_int_equal(send_pkt(h, "c"), GDB_ACT_CONTINUE);
    assert_null(next_packet(h));
    assert_true(h->s.running);
    fake_set_reg(&h->ft, GDB_REG_RIP, 0x401005);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_BREAK,
                                                   .type = GDB_BP_SOFTWARE });
    const char *r = next_packet(h);
    assert_non_null(r);
    assert_memory_equal(r, "T05swbreak:;thread:1;", 21);
    assert_non_null(strstr(r, "10:0510400000000000;"));
    assert_false(h->s.running);
    /* '?' repeats the last stop. */
    assert_memory_equal(cmd(h, "?"), "T05swbreak:;thread:1;", 21);

    struct {
        struct gdb_stop stop;
        const char *prefix;
    } cases[] = {
        { { .reason = GDB_STOP_BREAK, .type = GDB_BP_HARDWARE }, "T05hwbreak:;thread:1;" },
        { { .reason = GDB_STOP_WATCH, .type = GDB_WATCH_WRITE, .addr = 0x400100 },
          "T05watch:400100;thread:1;" },
        { { .reason = GDB_STOP_WATCH, .type = GDB_WATCH_READ, .addr = 0x400204 },
          "T05rwatch:400204;thread:1;" },
        { { .reason = GDB_STOP_WATCH, .type = GDB_WATCH_ACCESS, .addr = 0xffff800000000000 },
          "T05awatch:ffff800000000000;thread:1;" },
        { { .reason = GDB_STOP_STEP }, "T05thread:1;" },
        { { .reason = GDB_STOP_INTERRUPT }, "T02thread:1;" },
        { { .reason = GDB_STOP_SIGNAL, .signo = GDB_SIGSEGV }, "T0bthread:1;" },
        { { .reason = GDB_STOP_SIGNAL, .signo = 0 }, "T05thread:1;" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(send_pkt(h, i % 2 ? "vCont;c" : "c"), GDB_ACT_CONTINUE);
        gdb_session_stopped(&h->s, &cases[i].stop);
        r = next_packet(h);
        assert_non_null(r);
        assert_memory_equal(r, cases[i].prefix, strlen(cases[i].prefix));
    }
    /* A stop while gdb waits for none (the machine's own pause) sends nothing. */
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_STEP });
    expect_no_output(h);
    h_free(h);
}

static void test_session_stop_reasons_need_support(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* gdb did not announce swbreak+/hwbreak+: a plain SIGTRAP. */
    cmd(h, "qSupported:multiprocess+");
    assert_int_equal(send_pkt(h, "c"), GDB_ACT_CONTINUE);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_BREAK });
    assert_memory_equal(next_packet(h), "T05thread:1;", 12);
    h_free(h);
}

static void test_session_resume_forms(void **state)
{
    (void)state;
    struct h *h = h_new();
    assert_int_equal(send_pkt(h, "s"), GDB_ACT_STEP);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_STEP });
    next_packet(h);
    /* c ADDR resumes elsewhere. */
    assert_int_equal(send_pkt(h, "c401800"), GDB_ACT_CONTINUE);
    assert_true(fake_reg(&h->ft, GDB_REG_RIP) == 0x401800);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT });
    next_packet(h);
    /* Signals are accepted and dropped. */
    assert_int_equal(send_pkt(h, "C0b"), GDB_ACT_CONTINUE);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT });
    next_packet(h);
    assert_int_equal(send_pkt(h, "S05;401900"), GDB_ACT_STEP);
    assert_true(fake_reg(&h->ft, GDB_REG_RIP) == 0x401900);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_STEP });
    next_packet(h);
    /* Malformed resumes do not resume. */
    assert_string_equal(cmd(h, "cxyz"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "C"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "S05x"), GDB_E_INVAL);
    /* Resuming at an address the target refuses fails and does not resume. */
    h->ft.readonly[GDB_REG_RIP] = true;
    assert_string_equal(cmd(h, "c401000"), GDB_E_INVAL);
    assert_false(h->s.running);
    h_free(h);
}

static void test_session_vcont(void **state)
{
    (void)state;
    struct h *h = h_new();
    assert_string_equal(cmd(h, "vCont?"), "vCont;c;C;s;S");
    static const struct {
        const char *pkt;
        enum gdb_action act;
    } ok[] = {
        { "vCont;c", GDB_ACT_CONTINUE },
        { "vCont;s", GDB_ACT_STEP },
        { "vCont;s:1;c", GDB_ACT_STEP },        /* the leftmost action for us */
        { "vCont;s:2;c", GDB_ACT_CONTINUE },    /* thread 2 is not ours */
        { "vCont;C05:1", GDB_ACT_CONTINUE },
        { "vCont;S0b:-1", GDB_ACT_STEP },
        { "vCont;s:p1.1;c:p1.-1", GDB_ACT_STEP },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(send_pkt(h, ok[i].pkt), ok[i].act);
        assert_null(next_packet(h));
        gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_STEP });
        assert_non_null(next_packet(h));
    }
    static const char *const bad[] = {
        "vCont", "vCont;", "vCont;c:2", "vCont;t", "vCont;r401000,401010", "vCont;x",
        "vCont;C", "vCont;c:", "vCont?x", "vCont;cc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(cmd(h, bad[i]), GDB_E_INVAL);
    h_free(h);
}

/* While the machine runs, only Ctrl-C and acks are read; packets wait. */
static void test_session_running_input(void **state)
{
    (void)state;
    struct h *h = h_new();
    assert_int_equal(send_pkt(h, "c"), GDB_ACT_CONTINUE);
    assert_int_equal(feed(h, "+", 1), GDB_ACT_NONE);
    assert_int_equal(h->used, 1);
    assert_int_equal(feed(h, "$?#3f", 5), GDB_ACT_NONE);
    assert_int_equal(h->used, 0); /* left for after the stop */
    assert_int_equal(feed(h, "xx\x03$?#3f", 8), GDB_ACT_INTERRUPT);
    assert_int_equal(h->used, 3);
    gdb_session_stopped(&h->s, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT });
    assert_memory_equal(next_packet(h), "T02", 3);
    /* Now the waiting packet is served. */
    assert_int_equal(feed(h, "$?#3f", 5), GDB_ACT_NONE);
    assert_int_equal(h->used, 5);
    assert_memory_equal(next_packet(h), "T02", 3);
    /* A packet right behind 'c' is not consumed with it. */
    assert_int_equal(feed(h, "$c#63$g#67", 10), GDB_ACT_CONTINUE);
    assert_int_equal(h->used, 5);
    h_free(h);
}

static void test_session_detach_and_kill(void **state)
{
    (void)state;
    struct h *h = h_new();
    cmd(h, "Z0,401005,1");
    cmd(h, "Z2,400100,8");
    assert_int_equal(send_pkt(h, "D"), GDB_ACT_DETACH);
    assert_string_equal(next_packet(h), "OK");
    assert_int_equal(h->s.bp.bps.n + h->s.bp.wps.n, 0); /* gdb's tables go with it */
    assert_int_equal(send_pkt(h, "D;1"), GDB_ACT_DETACH);
    assert_string_equal(next_packet(h), "OK");
    assert_string_equal(cmd(h, "D;"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Dx"), GDB_E_INVAL);
    assert_int_equal(send_pkt(h, "k"), GDB_ACT_KILL);
    assert_null(next_packet(h)); /* 'k' has no reply */
    assert_int_equal(send_pkt(h, "vKill;1"), GDB_ACT_KILL);
    assert_string_equal(next_packet(h), "OK");
    assert_int_equal(send_pkt(h, "vKill"), GDB_ACT_KILL);
    assert_string_equal(next_packet(h), "OK");
    assert_string_equal(cmd(h, "vKill;zz"), GDB_E_INVAL);
    h_free(h);
}

static void test_session_exited(void **state)
{
    (void)state;
    struct h *h = h_new();
    gdb_session_exited(&h->s, 3); /* gdb waits for nothing: nothing sent */
    expect_no_output(h);
    assert_int_equal(send_pkt(h, "c"), GDB_ACT_CONTINUE);
    gdb_session_exited(&h->s, 0x103);
    assert_string_equal(next_packet(h), "W03");
    h_free(h);
}

static void test_session_threads(void **state)
{
    (void)state;
    struct h *h = h_new();
    static const char *const ok[] = { "Hg0", "Hg1", "Hc-1", "Hgp1.1", "Hgp1.-1", "Hcp-1.-1",
                                      "Hgp1", "T1", "Tp1.1" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_string_equal(cmd(h, ok[i]), "OK");
    assert_string_equal(cmd(h, "Hg2"), GDB_E_NOENT);
    assert_string_equal(cmd(h, "T2"), GDB_E_NOENT);
    assert_string_equal(cmd(h, "Hg"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Hg1x"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "Hx1"), ""); /* unknown H operation */
    assert_string_equal(cmd(h, "qC"), "QC1");
    assert_string_equal(cmd(h, "qfThreadInfo"), "m1");
    assert_string_equal(cmd(h, "qsThreadInfo"), "l");
    assert_string_equal(cmd(h, "qAttached"), "1");
    assert_string_equal(cmd(h, "qAttached:1"), "1");
    assert_string_equal(cmd(h, "qThreadExtraInfo,1"), "4350552030"); /* "CPU 0" */
    assert_string_equal(cmd(h, "qThreadExtraInfo,2"), GDB_E_NOENT);
    assert_string_equal(cmd(h, "qThreadExtraInfo,"), GDB_E_INVAL);
    h_free(h);
}

static void test_session_unsupported(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* The empty reply means "not supported"; nothing else may happen. */
    static const char *const empty[] = {
        "", "!", "A", "b9600", "B0,S", "i", "R00", "t0,0,0", "qOffsets", "qTStatus", "qCRC:0,4",
        "qFoo", "qXfer:libraries:read::0,100", "QNonStop:1", "QFoo", "vMustReplyEmpty",
        "vFile:open:", "vRun;", "vAttach;1", "vCtrlC", "qCx", "qSupportedx",
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++)
        assert_string_equal(cmd(h, empty[i]), "");
    assert_string_equal(cmd(h, "qSymbol::"), "OK");
    h_free(h);
}

static void test_session_target_xml_transfer(void **state)
{
    (void)state;
    struct h *h = h_new();
    size_t n = gdb_target_xml(NULL, 0);
    char *want = malloc(n + 1), *got = malloc(n + 1);
    gdb_target_xml(want, n + 1);
    /* Read it back in chunks of several sizes, as gdb does. */
    static const unsigned chunks[] = { 1, 7, 0x100, 0x1000, 0x10000 };
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        size_t off = 0;
        for (;;) {
            char q[64];
            snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,%x", off, chunks[k]);
            const char *r = cmd(h, q);
            assert_true(r[0] == 'm' || r[0] == 'l');
            long len = gdb_unescape((uint8_t *)got + off, r + 1, h->reply_len - 1);
            assert_true(len >= 0 && (size_t)len <= chunks[k]);
            off += (size_t)len;
            assert_true(off <= n);
            if (r[0] == 'l')
                break;
            assert_true(len > 0);
        }
        assert_int_equal(off, n);
        assert_memory_equal(got, want, n);
    }
    char q[64];
    snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,10", n);
    assert_string_equal(cmd(h, q), "l");
    snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,10", n + 100);
    assert_string_equal(cmd(h, q), "l");
    assert_string_equal(cmd(h, "qXfer:features:read:other.xml:0,10"), GDB_E_NOENT);
    assert_string_equal(cmd(h, "qXfer:features:read:target.xml:0"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "qXfer:features:read:target.xml:x,10"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "qXfer:memory-map:read::0,10"), "");
    free(want);
    free(got);
    h_free(h);
}

static void hex_of(char *out, const char *text)
{
    hex_encode(out, (const uint8_t *)text, strlen(text));
    out[2 * strlen(text)] = '\0';
}

/* Monitor output arrives as O packets (hex), then OK or an error. */
static void test_session_monitor(void **state)
{
    (void)state;
    struct h *h = h_new();
    char q[256], o[256];
    strcpy(q, "qRcmd,");
    hex_of(q + 6, "echo hello");
    assert_int_equal(send_pkt(h, q), GDB_ACT_NONE);
    strcpy(o, "O");
    hex_of(o + 1, "hello");
    assert_string_equal(next_packet(h), o);
    hex_of(o + 1, "\n");
    assert_string_equal(next_packet(h), o);
    assert_string_equal(next_packet(h), "OK");
    assert_null(next_packet(h));
    assert_string_equal(h->ft.last_monitor, "echo hello");

    hex_of(q + 6, "fail");
    send_pkt(h, q);
    assert_int_equal(next_packet(h)[0], 'O');
    assert_string_equal(next_packet(h), GDB_E_FAIL);

    /* Output longer than a packet is split; it all arrives, in order. */
    hex_of(q + 6, "big 20000");
    send_pkt(h, q);
    static char all[20001];
    size_t total = 0;
    const char *r;
    while ((r = next_packet(h)) && r[0] == 'O' && strcmp(r, "OK") != 0) {
        size_t k = (h->reply_len - 1) / 2;
        assert_true(total + k <= 20000);
        assert_true(hex_decode((uint8_t *)all + total, r + 1, k));
        total += k;
    }
    assert_string_equal(r, "OK");
    assert_int_equal(total, 20000);
    for (size_t i = 0; i < total; i++)
        assert_int_equal(all[i], 'a' + (int)(i % 26));

    assert_string_equal(cmd(h, "qRcmd,6"), GDB_E_INVAL);      /* odd length */
    assert_string_equal(cmd(h, "qRcmd,zz"), GDB_E_INVAL);
    assert_string_equal(cmd(h, "qRcmd,610062"), GDB_E_INVAL); /* embedded NUL */
    h_free(h);

    /* A target without monitor commands: the empty reply. */
    struct fake_target *ft = calloc(1, sizeof *ft);
    struct gdb_target_ops ops = fake_ops;
    ops.monitor = NULL;
    struct h *h2 = h_new();
    gdb_session_free(&h2->s);
    fake_init(ft);
    assert_true(gdb_session_init(&h2->s, &ops, ft, h_send, h2));
    assert_string_equal(cmd(h2, "qRcmd,746c62"), "");
    h_free(h2);
    free(ft);
}

static void test_session_bad_framing_replies(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* Too long with a good checksum: acknowledged, then refused. */
    static char big[GDB_PACKET_MAX + 1];
    static char wire[GDB_PACKET_MAX + 8];
    memset(big, 'm', sizeof big);
    size_t n = gdb_frame(wire, sizeof wire, big, sizeof big);
    assert_int_equal(feed(h, wire, n), GDB_ACT_NONE);
    assert_string_equal(next_packet(h), GDB_E_TOOBIG);
    assert_int_equal(h->acks, 1);
    /* Bad run-length encoding likewise. */
    n = gdb_frame(wire, sizeof wire, "*!", 2);
    feed(h, wire, n);
    assert_string_equal(next_packet(h), GDB_E_INVAL);
    /* A run-length encoded request is decoded: "m400000,4" as "m40*!,4" */
    n = gdb_frame(wire, sizeof wire, "m40*!,4", 7);
    feed(h, wire, n);
    assert_string_equal(next_packet(h), "a0a1a2a3");
    h_free(h);
}

/* Random bytes and mutated packets: nothing crashes, replies stay framed. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_session_fuzz(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "g", "G00", "p10", "P0=00", "m400000,10", "M400000,2:abcd", "X400000,1:a",
        "Z0,401000,1", "z2,400100,8", "Z4,0,ffffffffffffffff", "c", "s", "vCont;c",
        "vCont;s:1", "qSupported:swbreak+", "qXfer:features:read:target.xml:0,ffff",
        "qRcmd,6563686f2078", "QStartNoAckMode", "D", "k", "H g1", "T1", "?", "qC",
        "m407ff0,ffffffff", "qRcmd,626967203530303030",
    };
    struct h *h = h_new();
    uint64_t rng = 0x9e3779b97f4a7c15ull; /* fixed seed: reproducible */
    static uint8_t buf[4096];
    static char pkt[GDB_PACKET_MAX + 8];
    for (int round = 0; round < 20000; round++) {
        size_t n;
        if (rng_next(&rng) % 2) { /* a real packet, maybe mutated */
            const char *s = seeds[rng_next(&rng) % (sizeof seeds / sizeof seeds[0])];
            n = gdb_frame(pkt, sizeof pkt, s, strlen(s));
            for (int k = (int)(rng_next(&rng) % 3); k > 0; k--)
                pkt[rng_next(&rng) % n] = (char)rng_next(&rng);
            memcpy(buf, pkt, n);
        } else { /* noise */
            n = rng_next(&rng) % 64;
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)rng_next(&rng);
        }
        size_t off = 0;
        while (off < n) {
            enum gdb_action act = feed(h, buf + off, n - off);
            off += h->used;
            assert_true(h->used > 0 || h->s.running); /* only a waiting packet stalls */
            if (act == GDB_ACT_CONTINUE || act == GDB_ACT_STEP || act == GDB_ACT_INTERRUPT ||
                (act == GDB_ACT_NONE && h->used == 0 && h->s.running))
                gdb_session_stopped(&h->s, &(struct gdb_stop){
                                               .reason = (enum gdb_stop_reason)(rng % 6),
                                               .type = (enum gdb_bp_type)(rng % 5),
                                               .addr = rng, .signo = (int)(rng % 300) });
            else if (act == GDB_ACT_DETACH || act == GDB_ACT_KILL)
                gdb_session_reset(&h->s);
        }
        /* The fake's memory map is still intact (no write escaped it). */
        assert_true(h->s.bp.bps.n <= GDB_BPTAB_MAX && h->s.bp.wps.n <= GDB_BPTAB_MAX);
    }
    /* Every packet we sent was well formed. */
    h->out_pos = 0;
    while (h->out_pos < h->out_len && next_packet(h))
        ;
    /* After all that, the session still answers. */
    gdb_session_reset(&h->s);
    assert_string_equal(cmd(h, "qC"), "QC1");
    h_free(h);
}

/* ======================================================================
 * The TCP server: loopback sockets, one process, pipelined requests
 * ====================================================================== */

struct srv {
    struct fake_target ft;
    struct gdb_stub *stub;
    uint16_t port;
};

static struct srv *srv_new(void)
{
    struct srv *s = calloc(1, sizeof *s);
    fake_init(&s->ft);
    s->stub = gdb_stub_new(&fake_ops, &s->ft);
    assert_non_null(s->stub);
    assert_int_equal(gdb_stub_listen(s->stub, 0), 0);
    s->port = gdb_stub_port(s->stub);
    assert_true(s->port != 0);
    return s;
}

static void srv_free(struct srv *s)
{
    gdb_stub_free(s->stub);
    free(s);
}

static int client_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void client_send(int fd, const char *bytes)
{
    size_t n = strlen(bytes);
    assert_int_equal(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void client_packet(int fd, const char *payload)
{
    char wire[256];
    size_t n = gdb_frame(wire, sizeof wire - 1, payload, strlen(payload));
    wire[n] = '\0';
    client_send(fd, wire);
}

/* Read what arrives within timeout_ms of quiet; *eof if the stub closed. */
static size_t client_read(int fd, char *buf, size_t cap, int timeout_ms, bool *eof)
{
    size_t n = 0;
    *eof = false;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (n + 1 < cap && poll(&p, 1, timeout_ms) > 0) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) {
            *eof = true;
            break;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

/* Poll until the stub wants the machine stopped (bounded: 2 s). */
static bool poll_until(struct gdb_stub *stub)
{
    for (int i = 0; i < 200; i++) {
        if (gdb_stub_poll_interrupt(stub))
            return true;
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
    return false;
}

static void test_server_basics(void **state)
{
    (void)state;
    assert_null(gdb_stub_new(&(struct gdb_target_ops){ 0 }, NULL));
    struct srv *s = srv_new();
    /* No debugger: the machine is never held. */
    assert_false(gdb_stub_attached(s->stub));
    assert_false(gdb_stub_poll_interrupt(s->stub));
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_STEP }),
                     GDB_RESUME_DETACH);
    assert_int_equal(gdb_stub_listen(s->stub, 0), -1); /* already listening */
    assert_int_equal(errno, EBUSY);
    srv_free(s);
}

/* gdb arrives while the machine runs; attach, Ctrl-C, detach, re-attach. */
static void test_server_attach_interrupt_detach(void **state)
{
    (void)state;
    struct srv *s = srv_new();
    char buf[4096];
    bool eof;
    int fd = client_connect(s->port);
    client_send(fd, "+");
    client_packet(fd, "?");
    client_packet(fd, "Z0,401005,1");
    client_packet(fd, "c");
    assert_true(poll_until(s->stub)); /* a debugger connected: stop for it */
    assert_true(gdb_stub_attached(s->stub));
    /* Whatever the machine says, the first stop of a new debugger is SIGTRAP. */
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT }),
                     GDB_RESUME_CONTINUE);
    client_read(fd, buf, sizeof buf, 100, &eof);
    assert_non_null(strstr(buf, "$T05thread:1;"));
    assert_non_null(strstr(buf, "$OK#9a"));
    assert_true(gdb_stub_breakpoint_at(s->stub, 0x401005, NULL));
    assert_true(gdb_stub_has_breakpoints(s->stub));
    /* Running: nothing arrives, nothing stops. */
    assert_false(gdb_stub_poll_interrupt(s->stub));
    /* Ctrl-C. */
    client_send(fd, "\x03");
    assert_true(poll_until(s->stub));
    client_packet(fd, "D");
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT }),
                     GDB_RESUME_DETACH);
    client_read(fd, buf, sizeof buf, 500, &eof);
    assert_non_null(strstr(buf, "$T02thread:1;"));
    assert_non_null(strstr(buf, "$OK#9a"));
    assert_true(eof); /* the stub closed the connection */
    close(fd);
    assert_false(gdb_stub_attached(s->stub));
    assert_false(gdb_stub_has_breakpoints(s->stub));
    /* It listens again. */
    fd = client_connect(s->port);
    client_packet(fd, "m400000,2");
    client_packet(fd, "k");
    assert_true(poll_until(s->stub));
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_INTERRUPT }),
                     GDB_RESUME_KILL);
    client_read(fd, buf, sizeof buf, 500, &eof);
    assert_non_null(strstr(buf, "$a0a1#"));
    assert_true(eof);
    close(fd);
    srv_free(s);
}

static void test_server_accept_and_second_client(void **state)
{
    (void)state;
    struct srv *s = srv_new();
    char buf[512];
    bool eof;
    int fd = client_connect(s->port);
    assert_int_equal(gdb_stub_accept(s->stub), 0); /* --gdb-wait */
    assert_true(gdb_stub_attached(s->stub));
    /* Until gdb resumes it, the machine is told to stop (and wait). */
    assert_true(gdb_stub_poll_interrupt(s->stub));
    /* A second debugger is turned away; the first keeps working. */
    int fd2 = client_connect(s->port);
    client_packet(fd, "?");
    client_packet(fd, "qC");
    client_packet(fd, "c");
    assert_int_equal(gdb_stub_wait(s->stub, NULL), GDB_RESUME_CONTINUE); /* NULL: SIGTRAP */
    client_read(fd2, buf, sizeof buf, 500, &eof);
    assert_true(eof);
    close(fd2);
    client_read(fd, buf, sizeof buf, 100, &eof);
    assert_non_null(strstr(buf, "$T05thread:1;"));
    assert_non_null(strstr(buf, "$QC1#"));
    assert_false(eof);
    /* The machine ends: gdb hears W and the connection closes. */
    gdb_stub_exited(s->stub, 7);
    client_read(fd, buf, sizeof buf, 500, &eof);
    assert_non_null(strstr(buf, "$W07#"));
    assert_true(eof);
    close(fd);
    assert_false(gdb_stub_attached(s->stub));
    srv_free(s);
}

static void test_server_disconnects(void **state)
{
    (void)state;
    struct srv *s = srv_new();
    /* Mid-packet while stopped: the wait ends as a detach, tables cleared. */
    int fd = client_connect(s->port);
    assert_int_equal(gdb_stub_accept(s->stub), 0);
    client_packet(fd, "Z2,400100,8");
    client_send(fd, "$m4000");
    close(fd);
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH }),
                     GDB_RESUME_DETACH);
    assert_false(gdb_stub_attached(s->stub));
    assert_false(gdb_stub_has_watchpoints(s->stub));
    enum gdb_bp_type type;
    uint64_t addr, len;
    assert_false(gdb_stub_watchpoint(s->stub, 0, &type, &addr, &len));

    /* While running: the poll drops it; the machine runs on. */
    fd = client_connect(s->port);
    assert_int_equal(gdb_stub_accept(s->stub), 0);
    client_packet(fd, "Z0,401000,1");
    client_packet(fd, "c");
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH }),
                     GDB_RESUME_CONTINUE);
    uint64_t gen = gdb_stub_tables_generation(s->stub);
    close(fd);
    for (int i = 0; i < 200 && gdb_stub_attached(s->stub); i++) {
        assert_false(gdb_stub_poll_interrupt(s->stub));
        nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
    }
    assert_false(gdb_stub_attached(s->stub));
    assert_false(gdb_stub_has_breakpoints(s->stub));
    assert_true(gdb_stub_tables_generation(s->stub) != gen);

    /* Gone before reading its replies: writing to it must not kill us
       (SIGPIPE) and the wait ends as a detach. */
    fd = client_connect(s->port);
    assert_int_equal(gdb_stub_accept(s->stub), 0);
    for (int i = 0; i < 50; i++)
        client_packet(fd, "g");
    close(fd);
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH }),
                     GDB_RESUME_DETACH);
    srv_free(s);
}

/* The machine can list the watchpoints (to translate them itself). */
static void test_server_watchpoint_list(void **state)
{
    (void)state;
    struct srv *s = srv_new();
    int fd = client_connect(s->port);
    assert_int_equal(gdb_stub_accept(s->stub), 0);
    client_packet(fd, "Z4,400300,10");
    client_packet(fd, "Z2,400100,8");
    client_packet(fd, "Z0,401000,1");
    client_packet(fd, "Z3,400100,2");
    client_packet(fd, "c");
    assert_int_equal(gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH }),
                     GDB_RESUME_CONTINUE);
    static const struct { enum gdb_bp_type type; uint64_t addr, len; } want[] = {
        { GDB_WATCH_READ, 0x400100, 2 }, /* sorted by address, then end */
        { GDB_WATCH_WRITE, 0x400100, 8 },
        { GDB_WATCH_ACCESS, 0x400300, 16 },
    };
    enum gdb_bp_type type;
    uint64_t addr, len;
    size_t i;
    for (i = 0; gdb_stub_watchpoint(s->stub, i, &type, &addr, &len); i++) {
        assert_true(i < 3);
        assert_int_equal(type, want[i].type);
        assert_int_equal(addr, want[i].addr);
        assert_int_equal(len, want[i].len);
    }
    assert_int_equal(i, 3);
    close(fd);
    srv_free(s);
}

/* The run loop end to end, without gdb: break, step, watch, detach. */
static void test_server_run_loop(void **state)
{
    (void)state;
    struct srv *s = srv_new();
    char buf[8192];
    bool eof;
    int fd = client_connect(s->port);
    assert_int_equal(gdb_stub_accept(s->stub), 0);
    client_packet(fd, "qSupported:swbreak+;hwbreak+");
    client_packet(fd, "QStartNoAckMode");
    client_packet(fd, "Z0,401005,1");
    client_packet(fd, "c");             /* stops at 0x401005 */
    client_packet(fd, "z0,401005,1");
    client_packet(fd, "s");             /* to 0x401006 */
    client_packet(fd, "Z2,400100,8");
    client_packet(fd, "c");             /* the next instruction writes the counter */
    client_packet(fd, "z2,400100,8");
    client_packet(fd, "Z1,401100,1");
    client_packet(fd, "vCont;c");       /* hardware breakpoint */
    client_packet(fd, "p10");
    client_packet(fd, "D");
    enum gdb_resume first = gdb_stub_wait(s->stub, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH });
    assert_int_equal(first, GDB_RESUME_CONTINUE);
    fake_run(&s->ft, s->stub, first, true, 1000000);
    client_read(fd, buf, sizeof buf, 500, &eof);
    const char *p = buf;
    static const char *const expect[] = {
        "$T05swbreak:;thread:1;", "10:0510400000000000;", /* at the breakpoint */
        "$T05thread:1;", "10:0610400000000000;",          /* one step */
        "$T05watch:400100;thread:1;", "10:0710400000000000;", /* after the write */
        "$T05hwbreak:;thread:1;", "10:0011400000000000;",
        "$0011400000000000#", "$OK#",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const char *at = strstr(p, expect[i]);
        if (!at)
            fail_msg("missing '%s' in '%s'", expect[i], p);
        p = at + 1;
    }
    assert_true(eof);
    close(fd);
    srv_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_and_frame),
        cmocka_unit_test(test_rx_simple_and_fragmented),
        cmocka_unit_test(test_rx_bad_checksum),
        cmocka_unit_test(test_rx_out_of_band),
        cmocka_unit_test(test_rx_resync_on_dollar),
        cmocka_unit_test(test_rx_too_long),
        cmocka_unit_test(test_rx_run_length),
        cmocka_unit_test(test_escape_roundtrip),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_register_layout),
        cmocka_unit_test(test_target_xml),
        cmocka_unit_test(test_bptab_breakpoints),
        cmocka_unit_test(test_bptab_sorted_many),
        cmocka_unit_test(test_bptab_full),
        cmocka_unit_test(test_bptab_watch_types_and_lengths),
        cmocka_unit_test(test_bptab_watch_overlap),
        cmocka_unit_test(test_session_acks),
        cmocka_unit_test(test_session_noack_mode),
        cmocka_unit_test(test_session_supported),
        cmocka_unit_test(test_session_stop_query),
        cmocka_unit_test(test_session_registers),
        cmocka_unit_test(test_session_write_all_registers),
        cmocka_unit_test(test_session_memory_read),
        cmocka_unit_test(test_session_memory_write),
        cmocka_unit_test(test_session_breakpoint_packets),
        cmocka_unit_test(test_session_continue_and_stop_replies),
        cmocka_unit_test(test_session_stop_reasons_need_support),
        cmocka_unit_test(test_session_resume_forms),
        cmocka_unit_test(test_session_vcont),
        cmocka_unit_test(test_session_running_input),
        cmocka_unit_test(test_session_detach_and_kill),
        cmocka_unit_test(test_session_exited),
        cmocka_unit_test(test_session_threads),
        cmocka_unit_test(test_session_unsupported),
        cmocka_unit_test(test_session_target_xml_transfer),
        cmocka_unit_test(test_session_monitor),
        cmocka_unit_test(test_session_bad_framing_replies),
        cmocka_unit_test(test_session_fuzz),
        cmocka_unit_test(test_server_basics),
        cmocka_unit_test(test_server_attach_interrupt_detach),
        cmocka_unit_test(test_server_accept_and_second_client),
        cmocka_unit_test(test_server_disconnects),
        cmocka_unit_test(test_server_watchpoint_list),
        cmocka_unit_test(test_server_run_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
