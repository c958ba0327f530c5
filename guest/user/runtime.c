/*
 * runtime.c - start-up, console output, exceptions, threads and TAP for the
 * project's user programs (see ntk.h).
 */
#include "guest/user/ntk.h"

uint64_t ntk_peb;
volatile uint64_t exceptions_dispatched;
static exception_handler handler;

int vformat(void (*put)(void *, char), void *ctx, const char *fmt, va_list ap);

void crt_start(uint64_t peb);
void crt_start(uint64_t peb)
{
    ntk_peb = peb;
    exit_process(main());
}

void exit_process(ntk_status status)
{
    NtTerminateProcess(CURRENT_PROCESS, status);
    for (;;)
        ;
}

struct outbuf {
    char buf[256];
    unsigned n;
};

static void flush(struct outbuf *o)
{
    if (o->n)
        NtkWriteConsole(o->buf, o->n);
    o->n = 0;
}

static void put(void *ctx, char c)
{
    struct outbuf *o = ctx;
    o->buf[o->n++] = c;
    if (o->n == sizeof o->buf)
        flush(o);
}

static int vprint(const char *fmt, va_list ap)
{
    struct outbuf o;
    o.n = 0;
    int n = vformat(put, &o, fmt, ap);
    flush(&o);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprint(fmt, ap);
    va_end(ap);
    return n;
}

/* ---- exceptions ---- */

void set_exception_handler(exception_handler h)
{
    handler = h;
}

void user_dispatch(struct ntk_exception_record *r, struct ntk_context *c);
void user_dispatch(struct ntk_exception_record *r, struct ntk_context *c)
{
    exceptions_dispatched++;
    if (handler && handler(r, c))
        NtContinue(c, 0);
    NtRaiseException(r, c, 0);
    for (;;)
        ;
}

/* ---- threads ---- */

struct start {
    uint32_t (*fn)(void *);
    void *arg;
};

static void NTAPI thread_start(struct start *s)
{
    uint32_t (*fn)(void *) = s->fn;
    void *arg = s->arg;
    uint64_t size = 0;
    NtFreeVirtualMemory(CURRENT_PROCESS, &s, &size, NTK_MEM_RELEASE);
    NtTerminateThread(CURRENT_THREAD, (ntk_status)fn(arg));
}

ntk_status create_thread(HANDLE *h, uint32_t (*fn)(void *), void *arg)
{
    struct start *s = 0;
    uint64_t size = sizeof *s;
    ntk_status st = NtAllocateVirtualMemory(CURRENT_PROCESS, &s, 0, &size,
                                            NTK_MEM_COMMIT | NTK_MEM_RESERVE, NTK_PAGE_READWRITE);
    if (st < 0)
        return st;
    s->fn = fn;
    s->arg = arg;
    return NtCreateThreadEx(h, 0, 0, CURRENT_PROCESS, (void *)thread_start, s, 0, 0, 0, 0, 0);
}

/* ---- TAP (the rest is guest/lib/tap.c) ---- */

bool tap_status(ntk_status got, ntk_status want, const char *what)
{
    if (got == want)
        return tap_ok(true, "%s: status 0x%08x", what, (uint32_t)got);
    return tap_ok(false, "%s: status 0x%08x, expected 0x%08x", what, (uint32_t)got,
                  (uint32_t)want);
}
