/*
 * k32.h - what kernel32's files share: the ntdll interface and the
 * conventions for reporting failure (docs/programs.md, "kernel32.dll").
 *
 * A kernel32 function that fails sets the thread's last-error value and
 * returns its documented failure value.  A failed service's NTSTATUS is
 * mapped by RtlNtStatusToDosError (BaseSetLastNTError, as in Windows);
 * checks Windows makes in kernel32 itself set the Win32 error directly.
 */
#ifndef GUEST_KERNEL32_K32_H
#define GUEST_KERNEL32_K32_H

#include "guest/ntdll/ntdll.h"

/* The thread's last error from a failed service's status. */
void BaseSetLastNTError(NTSTATUS Status);

/* Set the last error and return FALSE: the common failure of BOOL functions. */
BOOL k32_fail(DWORD error);

/* BaseSetLastNTError(status) and return FALSE. */
BOOL k32_fail_status(NTSTATUS status);

/* Milliseconds to an NT relative interval (100 ns units, negative). */
LARGE_INTEGER k32_relative_ms(DWORD ms);

/* The EXE's optional header (the image at PEB.ImageBaseAddress). */
IMAGE_OPTIONAL_HEADER64 *k32_exe_optional_header(void);

/* An object's name for an Nt service: prefix + name widened to UTF-16
 * (bytes as they are: kernel32 keeps 8-bit ANSI names), in the
 * OBJECT_ATTRIBUTES oa that points to it. */
struct k32_name {
    WCHAR text[NTK_OBJECT_NAME_MAX + 1];
    struct ntk_unicode_string us;
    struct ntk_object_attributes oa;
};

/* 0, or ERROR_FILENAME_EXCED_RANGE when prefix + name is too long. */
DWORD k32_name_init(struct k32_name *n, const char *prefix, const char *name, ULONG attributes);

/* The console pseudo-handles (console.c): 3, 7 and 11. */
BOOL k32_is_console(HANDLE h);
BOOL k32_console_write(HANDLE h, const void *buffer, DWORD n, LPDWORD written);
BOOL k32_console_read(HANDLE h, LPDWORD read);

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);

#endif /* GUEST_KERNEL32_K32_H */
