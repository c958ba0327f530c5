/*
 * tap.c - the last-error check, the memory probes and children (see tap.h).
 */
#include "tests/pe/tap.h"

#include <stdio.h>

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

void probe_init(void)
{
    AddVectoredExceptionHandler(1, resume_probe);
}

bool tap_error(ULONG_PTR result, DWORD want, const char *what)
{
    DWORD got = GetLastError();
    if (result == 0 && got == want)
        return tap_ok(true, "%s fails with error %lu", what, got);
    return tap_ok(false, "%s: result 0x%llx, error %lu, expected failure with error %lu", what,
                  (ULONGLONG)result, got, want);
}

HANDLE spawn_child(const char *program, const char *args)
{
    char line[256];
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    if (snprintf(line, sizeof line, "%s %s", program, args) >= (int)sizeof line ||
        !CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        return NULL;
    CloseHandle(pi.hThread);
    return pi.hProcess;
}
