/*
 * pe_rt.h - what the kernel's PE test programs share (freestanding,
 * mingw-w64): the services the test ntdll.dll exports, console output and
 * TAP.  pe_rt.c is linked into every test image.
 */
#ifndef TESTS_GUEST_PE_RT_H
#define TESTS_GUEST_PE_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/nt/memory.h"
#include "shared/nt/services.h"
#include "shared/nt/status.h"

typedef uint64_t HANDLE_T;
#ifdef PE_RT_INSIDE_NTDLL
#define IMPORT
#else
#define IMPORT __declspec(dllimport)
#endif

IMPORT ntk_status NtkWriteConsole(const char *s, uint64_t n);
IMPORT ntk_status NtAllocateVirtualMemory(HANDLE_T p, uint64_t *base, uint64_t zero,
                                          uint64_t *size, uint32_t type, uint32_t protect);
IMPORT ntk_status NtFreeVirtualMemory(HANDLE_T p, uint64_t *base, uint64_t *size, uint32_t type);
IMPORT ntk_status NtProtectVirtualMemory(HANDLE_T p, uint64_t *base, uint64_t *size,
                                         uint32_t protect, uint32_t *old);
IMPORT ntk_status NtQueryVirtualMemory(HANDLE_T p, uint64_t base, uint32_t cls, void *info,
                                       uint64_t len, uint64_t *ret);
IMPORT ntk_status NtTerminateProcess(HANDLE_T p, ntk_status st);
IMPORT ntk_status NtkCreateProcess(HANDLE_T *p, HANDLE_T *t, const char *image, uint64_t len,
                                   const char *cmdline, uint64_t cmdline_len);
IMPORT ntk_status NtWaitForSingleObject(HANDLE_T h, uint8_t alertable, const int64_t *timeout);
IMPORT ntk_status NtDelayExecution(uint8_t alertable, const int64_t *interval);
IMPORT ntk_status NtClose(HANDLE_T h);
IMPORT ntk_status NtQueryInformationProcess(HANDLE_T p, uint32_t cls, void *info, uint32_t len,
                                            uint32_t *ret);
IMPORT ntk_status NtkQuerySystemMemory(struct ntk_system_memory *m);
IMPORT ntk_status NtkQueryPhysicalAddress(HANDLE_T p, uint64_t va, uint64_t *pa);

/* In pe_rt.c (each image has its own copy). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
void rt_print(const char *s);
void rt_hex(uint64_t v);
void rt_dec(uint64_t v);
extern unsigned tap_count, tap_failures;
bool tap_ok(bool cond, const char *what);
bool tap_eq(uint64_t got, uint64_t want, const char *what);
int tap_done(void);
uint64_t rt_peb(void);
/* Start a program of the volume; its exit status once it ends. */
ntk_status rt_spawn(const char *image, const char *cmdline, HANDLE_T *process);
ntk_status rt_run(const char *image, int32_t *exit_status);
int32_t rt_exit_status(HANDLE_T process);

#endif
