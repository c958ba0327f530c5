/*
 * tap.h - TAP output and memory probes for the PE test programs.
 *
 * The probes touch one byte and report the exception the access raised,
 * if any, instead of dying of it: a vectored handler (installed by
 * tap_plan) resumes a faulting probe at its return address with RAX = -1,
 * after recording the exception code and its first two parameters.
 */
#ifndef TESTS_PE_TAP_H
#define TESTS_PE_TAP_H

#include <windows.h>

void tap_plan(unsigned n);
BOOL tap_ok(BOOL cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
BOOL tap_eq(ULONGLONG got, ULONGLONG want, const char *what);
/* A failed call: its result is 0/NULL/FALSE and GetLastError() == want. */
BOOL tap_error(ULONG_PTR result, DWORD want, const char *what);
int tap_done(void); /* the exit status: 0 if every check passed and as many as planned ran */

struct probe_fault {
    DWORD code;            /* 0: no exception */
    ULONG_PTR info0, info1;
};
extern struct probe_fault last_fault;

/* Read, write or call (a ret instruction must be there) one byte at p: 0 if
 * it worked, -1 if an exception was raised (last_fault says which). */
int probe_read(const volatile void *p);
int probe_write(volatile void *p, BYTE value);
int probe_call(const void *p);

#endif
