/*
 * tap.h - what the PE test programs share: TAP (guest/lib/tap.h), a check
 * of a failed call's last error, memory probes, and starting a child.
 *
 * The probes touch one byte and report the exception the access raised,
 * if any, instead of dying of it: a vectored handler (installed by
 * probe_init) resumes a faulting probe at its return address with RAX =
 * -1, after recording the exception code and its first two parameters.
 */
#ifndef TESTS_PE_TAP_H
#define TESTS_PE_TAP_H

#include <windows.h>

#include "guest/lib/tap.h"

/* A failed call: its result is 0/NULL/FALSE and GetLastError() == want. */
bool tap_error(ULONG_PTR result, DWORD want, const char *what);

struct probe_fault {
    DWORD code;            /* 0: no exception */
    ULONG_PTR info0, info1;
};
extern struct probe_fault last_fault;

void probe_init(void);

/* A child process running "PROGRAM ARGS" (the test program itself, as a
 * rule): its process handle (the thread handle closed), or NULL. */
HANDLE spawn_child(const char *program, const char *args);

/* Read, write or call (a ret instruction must be there) one byte at p: 0 if
 * it worked, -1 if an exception was raised (last_fault says which). */
int probe_read(const volatile void *p);
int probe_write(volatile void *p, BYTE value);
int probe_call(const void *p);

#endif
