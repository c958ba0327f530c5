/*
 * tap.c - TAP output and memory probes (see tap.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tests/pe/tap.h"

static unsigned planned, ran, failed;
struct probe_fault last_fault;
static volatile LONG probing;

/* The probes: leaf functions with no frame, so a fault inside one can be
 * resumed at the return address on the top of the stack. */
__asm__(".text\n"
        ".globl probe_read_asm\n"
        "probe_read_asm:\n"
        "    movzbl (%rcx), %eax\n"
        "    xor %eax, %eax\n"
        "    ret\n"
        ".globl probe_write_asm\n"
        "probe_write_asm:\n"
        "    movb %dl, (%rcx)\n"
        "    xor %eax, %eax\n"
        "    ret\n");
int probe_read_asm(const volatile void *p);
int probe_write_asm(volatile void *p, BYTE value);

static LONG WINAPI resume_probe(EXCEPTION_POINTERS *ep)
{
    if (!probing)
        return EXCEPTION_CONTINUE_SEARCH;
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    CONTEXT *c = ep->ContextRecord;
    last_fault.code = r->ExceptionCode;
    last_fault.info0 = r->NumberParameters > 0 ? r->ExceptionInformation[0] : 0;
    last_fault.info1 = r->NumberParameters > 1 ? r->ExceptionInformation[1] : 0;
    c->Rip = *(DWORD64 *)c->Rsp; /* return from the probe */
    c->Rsp += 8;
    c->Rax = (DWORD64)-1;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static int probe(int (*fn)(void))
{
    last_fault.code = 0;
    probing = 1;
    int r = fn();
    probing = 0;
    return r;
}

static const volatile void *probe_address;
static BYTE probe_value;
static int do_read(void) { return probe_read_asm(probe_address); }
static int do_write(void) { return probe_write_asm((volatile void *)probe_address, probe_value); }
static int do_call(void) { return ((int (*)(void))(ULONG_PTR)probe_address)() == -1 ? -1 : 0; }

int probe_read(const volatile void *p)
{
    probe_address = p;
    return probe(do_read);
}

int probe_write(volatile void *p, BYTE value)
{
    probe_address = p;
    probe_value = value;
    return probe(do_write);
}

int probe_call(const void *p)
{
    probe_address = p;
    return probe(do_call);
}

void tap_plan(unsigned n)
{
    planned = n;
    AddVectoredExceptionHandler(1, resume_probe);
    printf("1..%u\n", n);
}

BOOL tap_ok(BOOL cond, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ran++;
    if (!cond)
        failed++;
    printf("%sok %u - %s\n", cond ? "" : "not ", ran, line);
    return cond;
}

BOOL tap_eq(ULONGLONG got, ULONGLONG want, const char *what)
{
    if (got == want)
        return tap_ok(TRUE, "%s = 0x%llx", what, got);
    return tap_ok(FALSE, "%s = 0x%llx, expected 0x%llx", what, got, want);
}

BOOL tap_error(ULONG_PTR result, DWORD want, const char *what)
{
    DWORD got = GetLastError();
    if (result == 0 && got == want)
        return tap_ok(TRUE, "%s fails with error %lu", what, got);
    return tap_ok(FALSE, "%s: result 0x%llx, error %lu, expected failure with error %lu", what,
                  (ULONGLONG)result, got, want);
}

int tap_done(void)
{
    if (ran != planned)
        printf("# planned %u checks, ran %u\n", planned, ran);
    return failed || ran != planned ? 1 : 0;
}
