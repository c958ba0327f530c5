/*
 * server.c - struct gdb_stub: the TCP side of the stub (listening on the
 * loopback interface, one debugger at a time) around a transport-free
 * session, plus the machine-facing queries.  See gdbstub.h.
 *
 * Sockets are non-blocking so that the machine's poll never waits, writes
 * carry MSG_NOSIGNAL so that a debugger that vanished cannot kill the
 * emulator with SIGPIPE, and a write that cannot progress for WRITE_TIMEOUT_MS
 * drops the connection instead of hanging the machine.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "emu/gdbstub/gdbstub.h"
#include "emu/gdbstub/session.h"

#define WRITE_TIMEOUT_MS 10000
#define CLOSE_DRAIN_MS 200

struct gdb_stub {
    struct gdb_session s;
    int listen_fd;
    int client_fd;
    uint16_t port;
    bool fresh;  /* connected while the machine ran: it must stop for gdb */
    bool dead;   /* a write failed: drop the connection at the next chance */
    size_t in_pos, in_len;
    uint8_t in[4096];
};

static void stub_log(struct gdb_stub *st, const char *msg)
{
    if (st->s.ops->log)
        st->s.ops->log(st->s.target, msg);
}

/* ---- output ---- */

static bool wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    int rc;
    do
        rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0;
}

/* The session's output: write everything or mark the connection dead. */
static void stub_send(void *ctx, const char *bytes, size_t n)
{
    struct gdb_stub *st = ctx;
    while (n > 0 && !st->dead && st->client_fd >= 0) {
        ssize_t w = send(st->client_fd, bytes, n, MSG_NOSIGNAL);
        if (w > 0) {
            bytes += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(st->client_fd, POLLOUT, WRITE_TIMEOUT_MS))
                st->dead = true;
        } else {
            st->dead = true;
        }
    }
}

/* ---- connection ---- */

/* Close gracefully: stop writing, let the peer read what we sent (closing
   with unread input would reset the connection and could lose our last
   reply), then close. */
static void close_client(struct gdb_stub *st)
{
    char sink[256];
    struct timespec now, end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_nsec += CLOSE_DRAIN_MS * 1000000L;
    shutdown(st->client_fd, SHUT_WR);
    while (!st->dead) { /* bounded in time, however much the peer sends */
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left_ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
        if (left_ms <= 0 || !wait_fd(st->client_fd, POLLIN, (int)left_ms) ||
            recv(st->client_fd, sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
    }
    close(st->client_fd);
    st->client_fd = -1;
}

static void drop_client(struct gdb_stub *st, const char *why)
{
    if (st->client_fd < 0)
        return;
    close_client(st);
    gdb_session_reset(&st->s); /* its breakpoints and watchpoints go too */
    st->fresh = false;
    st->dead = false;
    st->in_pos = st->in_len = 0;
    stub_log(st, why);
}

static void set_nodelay(int fd)
{
    int one = 1;
    /* Small packets, one at a time: Nagle's algorithm would only add latency. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Take a pending connection: the new debugger if there is none, else refuse it. */
static bool take_connection(struct gdb_stub *st)
{
    int fd = accept4(st->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return false;
    if (st->client_fd >= 0) {
        close(fd);
        stub_log(st, "gdb: refused a second debugger (one is attached)");
        return false;
    }
    set_nodelay(fd);
    st->client_fd = fd;
    st->dead = false;
    st->in_pos = st->in_len = 0;
    gdb_session_reset(&st->s);
    stub_log(st, "gdb: debugger connected");
    return true;
}

/* ---- input ---- */

/*
 * Wait up to timeout_ms (-1: forever) for input and append it to st->in.
 * Returns 1 if bytes arrived, 0 if none (or no room), -1 if the debugger
 * disconnected.  Connections on the listening socket meanwhile are refused.
 */
static int read_input(struct gdb_stub *st, int timeout_ms)
{
    if (st->in_pos > 0) {
        memmove(st->in, st->in + st->in_pos, st->in_len - st->in_pos);
        st->in_len -= st->in_pos;
        st->in_pos = 0;
    }
    if (st->in_len == sizeof st->in)
        return 0; /* a packet sent while running waits in the buffer */
    struct pollfd p[2] = {
        { .fd = st->client_fd, .events = POLLIN },
        { .fd = st->listen_fd, .events = POLLIN },
    };
    int rc = poll(p, st->listen_fd >= 0 ? 2 : 1, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    if (st->listen_fd >= 0 && (p[1].revents & POLLIN))
        take_connection(st);
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    ssize_t n = recv(st->client_fd, st->in + st->in_len, sizeof st->in - st->in_len,
                     MSG_DONTWAIT);
    if (n > 0) {
        st->in_len += (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return -1;
}

/* Feed buffered input to the session. */
static enum gdb_action consume_input(struct gdb_stub *st)
{
    enum gdb_action act;
    st->in_pos += gdb_session_input(&st->s, st->in + st->in_pos, st->in_len - st->in_pos, &act);
    return act;
}

/* ---- public API ---- */

struct gdb_stub *gdb_stub_new(const struct gdb_target_ops *ops, void *target)
{
    if (!ops || !ops->read_reg || !ops->write_reg || !ops->read_mem || !ops->write_mem)
        return NULL;
    struct gdb_stub *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->listen_fd = st->client_fd = -1;
    if (!gdb_session_init(&st->s, ops, target, stub_send, st)) {
        free(st);
        return NULL;
    }
    return st;
}

void gdb_stub_free(struct gdb_stub *st)
{
    if (!st)
        return;
    drop_client(st, "gdb: stub closed");
    if (st->listen_fd >= 0)
        close(st->listen_fd);
    gdb_session_free(&st->s);
    free(st);
}

int gdb_stub_listen(struct gdb_stub *st, uint16_t port)
{
    if (st->listen_fd >= 0) {
        errno = EBUSY;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    st->listen_fd = fd;
    st->port = ntohs(a.sin_port);
    return 0;
}

uint16_t gdb_stub_port(const struct gdb_stub *st)
{
    return st->listen_fd >= 0 ? st->port : 0;
}

bool gdb_stub_attached(const struct gdb_stub *st)
{
    return st->client_fd >= 0;
}

int gdb_stub_accept(struct gdb_stub *st)
{
    if (st->listen_fd < 0) {
        errno = ENOTCONN;
        return -1;
    }
    while (st->client_fd < 0) {
        struct pollfd p = { .fd = st->listen_fd, .events = POLLIN };
        if (poll(&p, 1, -1) < 0)
            return -1; /* EINTR included: the caller may want to give up */
        take_connection(st);
    }
    return 0;
}

/* The session asked for an action: carry out what concerns the connection. */
static enum gdb_resume finish(struct gdb_stub *st, enum gdb_action act)
{
    switch (act) {
    case GDB_ACT_CONTINUE: return GDB_RESUME_CONTINUE;
    case GDB_ACT_STEP: return GDB_RESUME_STEP;
    case GDB_ACT_KILL:
        drop_client(st, "gdb: kill requested");
        return GDB_RESUME_KILL;
    default:
        drop_client(st, "gdb: debugger detached");
        return GDB_RESUME_DETACH;
    }
}

enum gdb_resume gdb_stub_wait(struct gdb_stub *st, const struct gdb_stop *why)
{
    if (st->client_fd < 0)
        return GDB_RESUME_DETACH;
    /* A debugger that just arrived stopped the machine, whatever it says. */
    const struct gdb_stop attach = { .reason = GDB_STOP_ATTACH };
    gdb_session_stopped(&st->s, st->fresh || !why ? &attach : why);
    st->fresh = false;
    for (;;) {
        if (st->dead) {
            drop_client(st, "gdb: connection lost");
            return GDB_RESUME_DETACH;
        }
        if (st->in_pos < st->in_len) {
            enum gdb_action act = consume_input(st);
            if (act != GDB_ACT_NONE && act != GDB_ACT_INTERRUPT)
                return finish(st, act);
            continue;
        }
        if (read_input(st, -1) < 0) {
            drop_client(st, "gdb: debugger disconnected");
            return GDB_RESUME_DETACH;
        }
    }
}

bool gdb_stub_poll_interrupt(struct gdb_stub *st)
{
    if (st->client_fd < 0) {
        if (st->listen_fd < 0 || !wait_fd(st->listen_fd, POLLIN, 0) || !take_connection(st))
            return false;
        st->fresh = true;
    }
    /* Also true while gdb has not resumed the machine (say the machine took
       a debugger with gdb_stub_accept() and ran without calling wait). */
    if (st->fresh || !st->s.running)
        return true;
    if (st->dead || read_input(st, 0) < 0) {
        drop_client(st, "gdb: debugger disconnected");
        return false;
    }
    return st->in_pos < st->in_len && consume_input(st) == GDB_ACT_INTERRUPT;
}

void gdb_stub_exited(struct gdb_stub *st, int status)
{
    if (st->client_fd < 0)
        return;
    gdb_session_exited(&st->s, status);
    drop_client(st, "gdb: machine exited");
}

bool gdb_stub_breakpoint_at(const struct gdb_stub *st, uint64_t rip, struct gdb_stop *out)
{
    enum gdb_bp_type type;
    if (!gdb_bptab_break_at(&st->s.bp, rip, &type))
        return false;
    if (out)
        *out = (struct gdb_stop){ .reason = GDB_STOP_BREAK, .type = type, .addr = rip };
    return true;
}

bool gdb_stub_breakpoint_in(const struct gdb_stub *st, uint64_t lo, uint64_t hi)
{
    return gdb_bptab_break_in(&st->s.bp, lo, hi);
}

bool gdb_stub_watch_hit(const struct gdb_stub *st, uint64_t va, uint64_t len, bool write,
                        struct gdb_stop *out)
{
    enum gdb_bp_type type;
    uint64_t addr;
    if (!gdb_bptab_watch_hit(&st->s.bp, va, len, write, &type, &addr))
        return false;
    if (out)
        *out = (struct gdb_stop){ .reason = GDB_STOP_WATCH, .type = type, .addr = addr };
    return true;
}

bool gdb_stub_watchpoint(const struct gdb_stub *st, size_t i, enum gdb_bp_type *type,
                         uint64_t *addr, uint64_t *len)
{
    if (i >= st->s.bp.wps.n)
        return false;
    const struct gdb_bp *w = &st->s.bp.wps.v[i];
    *type = (enum gdb_bp_type)w->type;
    *addr = w->addr;
    *len = w->last - w->addr + 1;
    return true;
}

bool gdb_stub_has_breakpoints(const struct gdb_stub *st)
{
    return st->s.bp.bps.n > 0;
}

bool gdb_stub_has_watchpoints(const struct gdb_stub *st)
{
    return st->s.bp.wps.n > 0;
}

uint64_t gdb_stub_tables_generation(const struct gdb_stub *st)
{
    return st->s.bp.generation;
}
