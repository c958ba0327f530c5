/*
 * session.h - one debugger connection's protocol state, independent of any
 * transport: bytes go in through gdb_session_input(), replies come out
 * through a send callback.  The socket server (server.c) and the unit tests
 * drive the same code.
 *
 * All-stop protocol: while the machine runs, the session only looks for
 * acknowledgements and Ctrl-C; a packet that arrives then is left unread
 * until the machine stops.
 */
#ifndef EMU_GDBSTUB_SESSION_H
#define EMU_GDBSTUB_SESSION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/gdbstub/bptab.h"
#include "emu/gdbstub/gdbstub.h"
#include "emu/gdbstub/hex.h"
#include "emu/gdbstub/packet.h"

/* Error replies.  Numbers follow errno where one fits; gdb only shows them. */
#define GDB_E_FAIL "E01"   /* the target refused (register not writable, ...) */
#define GDB_E_NOENT "E02"  /* no such thread, annex or object */
#define GDB_E_TOOBIG "E07" /* a packet longer than PacketSize */
#define GDB_E_FAULT "E14"  /* the address does not translate: a page fault */
#define GDB_E_INVAL "E22"  /* malformed request */
#define GDB_E_NOSPC "E28"  /* breakpoint table full */

/* The one thread we report (the machine's only CPU). */
#define GDB_THREAD_ID 1

/* What the input asks of the machine. */
enum gdb_action {
    GDB_ACT_NONE,      /* nothing yet: feed more input */
    GDB_ACT_CONTINUE,
    GDB_ACT_STEP,
    GDB_ACT_DETACH,
    GDB_ACT_KILL,
    GDB_ACT_INTERRUPT, /* Ctrl-C while running */
};

typedef void gdb_send_fn(void *ctx, const char *bytes, size_t n);

struct gdb_session {
    const struct gdb_target_ops *ops;
    void *target;
    gdb_send_fn *send;
    void *send_ctx;

    struct gdb_bptab bp;
    struct gdb_rx rx;
    bool noack;           /* QStartNoAckMode accepted */
    bool running;         /* resumed: gdb waits for a stop reply */
    bool silent;          /* the current packet gets no reply (c, s, k) */
    bool gdb_swbreak;     /* gdb understands the swbreak / hwbreak stop reasons */
    bool gdb_hwbreak;
    struct gdb_stop last_stop;

    char *xml;            /* the target description */
    size_t xml_len;

    char reply[GDB_PACKET_MAX];
    size_t reply_len;
    bool reply_overflow;
    char last[GDB_PACKET_MAX + 4]; /* last packet sent, framed, for '-' */
    size_t last_len;
    uint8_t scratch[GDB_PACKET_MAX]; /* decoded data of the current request */
};

/* false if out of memory. */
bool gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *target,
                      gdb_send_fn *send, void *send_ctx);
void gdb_session_free(struct gdb_session *s);
/* Forget the connection: ack mode, breakpoints, decoder state.  The machine
   is stopped for (or will stop for) a new debugger. */
void gdb_session_reset(struct gdb_session *s);

/*
 * Feed received bytes.  Returns how many were consumed: all of them, or fewer
 * when a packet resumed, detached or killed the target (*act says which) or,
 * while running, at the start of a packet that must wait for the next stop.
 */
size_t gdb_session_input(struct gdb_session *s, const uint8_t *in, size_t n,
                         enum gdb_action *act);

/* The machine stopped: send the stop reply if gdb waits for one. */
void gdb_session_stopped(struct gdb_session *s, const struct gdb_stop *why);
/* The machine ended with status: send W if gdb waits for a stop. */
void gdb_session_exited(struct gdb_session *s, int status);

/* Reply building, for the command handlers. */
void reply_str(struct gdb_session *s, const char *text);
void reply_mem(struct gdb_session *s, const char *p, size_t n);
void reply_hex(struct gdb_session *s, const uint8_t *p, size_t n);
void reply_fmt(struct gdb_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send a complete packet now (monitor output goes out before the reply). */
void session_send_packet(struct gdb_session *s, const char *payload, size_t n);
/* Append a stop reply for *why to the reply. */
void reply_stop(struct gdb_session *s, const struct gdb_stop *why);

/*
 * Command handlers.  Each gets the payload after its command letter, fills
 * the reply (or sets s->silent) and returns what the machine must do.
 */
/* commands.c: dispatch; registers, memory, breakpoints. */
enum gdb_action gdb_handle_packet(struct gdb_session *s, const char *pkt, size_t len);
/* exec.c: execution control and threads. */
enum gdb_action gdb_handle_resume(struct gdb_session *s, char cmd, struct cursor *c); /* c C s S */
enum gdb_action gdb_handle_vcont(struct gdb_session *s, struct cursor *c); /* after "vCont" */
enum gdb_action gdb_handle_thread(struct gdb_session *s, char cmd, struct cursor *c); /* H T */
enum gdb_action gdb_handle_detach(struct gdb_session *s, struct cursor *c);           /* D */
/* A thread-id ("1", "-1", "0", "p1.1"); *ours: it names our thread or all/any. */
bool gdb_parse_thread(struct cursor *c, bool *ours);
/* query.c: general queries and settings. */
enum gdb_action gdb_handle_query(struct gdb_session *s, struct cursor *c); /* after 'q' */
enum gdb_action gdb_handle_set(struct gdb_session *s, struct cursor *c);   /* after 'Q' */
enum gdb_action gdb_handle_v(struct gdb_session *s, struct cursor *c);     /* after 'v' */

#endif /* EMU_GDBSTUB_SESSION_H */
