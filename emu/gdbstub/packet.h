/*
 * packet.h - the framing layer of the remote protocol: "$payload#xx" with a
 * modulo-256 checksum, '+'/'-' acknowledgements, the out-of-band Ctrl-C byte,
 * run-length encoding ("X*n") and the escaping of binary data ('}' then the
 * byte XOR 0x20).  Pure functions and a byte-at-a-time decoder: no I/O, so
 * every rule is testable by feeding bytes.
 */
#ifndef EMU_GDBSTUB_PACKET_H
#define EMU_GDBSTUB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload we accept or send (advertised as PacketSize). */
#define GDB_PACKET_MAX 0x4000

enum gdb_rx_event {
    GDB_RX_NONE,         /* byte consumed; nothing complete yet (or noise dropped) */
    GDB_RX_PACKET,       /* a packet with a good checksum is in buf[0..len) */
    GDB_RX_BAD_CHECKSUM, /* wrong or non-hex checksum: ask for it again ('-') */
    GDB_RX_TOO_LONG,     /* good checksum but longer than GDB_PACKET_MAX */
    GDB_RX_MALFORMED,    /* good checksum but a bad run-length sequence */
    GDB_RX_ACK,          /* '+' between packets */
    GDB_RX_NAK,          /* '-' between packets: resend the last packet */
    GDB_RX_INTERRUPT,    /* 0x03 between packets: Ctrl-C */
};

struct gdb_rx {
    uint8_t state;
    uint8_t sum;     /* checksum of the raw bytes seen since '$' */
    int csum_hi;     /* first checksum digit, or -1 if it was not hex */
    bool too_long;   /* the payload overflowed buf: drop it at '#' */
    bool malformed;
    size_t len;
    char buf[GDB_PACKET_MAX + 1]; /* payload, run-length expanded, NUL-terminated */
};

void gdb_rx_init(struct gdb_rx *rx);
/* Inside a packet (between '$' and the end of its checksum). */
bool gdb_rx_in_packet(const struct gdb_rx *rx);
/* Feed one received byte. */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

uint8_t gdb_checksum(const char *p, size_t n);

/* Write "$payload#xx" to out; returns its length (n + 4), or 0 if cap is too small. */
size_t gdb_frame(char *out, size_t cap, const char *payload, size_t n);

/* Bytes that binary data must escape: '#', '$', '}' and '*'. */
bool gdb_must_escape(uint8_t c);
/*
 * Escape in[0..n) into out (at most cap bytes): as many input bytes as fit,
 * never splitting an escape pair.  Returns the output length; *used is how
 * many input bytes it holds.
 */
size_t gdb_escape(char *out, size_t cap, const uint8_t *in, size_t n, size_t *used);
/* Undo the escaping of in[0..n) into out (n bytes of room suffice); returns
   the decoded length, or -1 if the data ends inside an escape pair. */
long gdb_unescape(uint8_t *out, const char *in, size_t n);

#endif /* EMU_GDBSTUB_PACKET_H */
