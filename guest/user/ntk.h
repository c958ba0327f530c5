/*
 * ntk.h - the user-mode runtime of the project's test and demonstration
 * programs: ntdll-style system-service stubs (Windows x64 calling
 * convention, hence ms_abi), console output, TAP, and a minimal exception
 * dispatcher (KiUserExceptionDispatcher) that calls one handler.  The next
 * issue's real ntdll (mingw-w64, PE) replaces it.
 */
#ifndef GUEST_USER_NTK_H
#define GUEST_USER_NTK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/nt/exception.h"
#include "shared/nt/memory.h"
#include "shared/nt/services.h"
#include "shared/nt/status.h"
#include "guest/lib/tap.h"

#define NTAPI __attribute__((ms_abi))
typedef uint64_t HANDLE;
#define CURRENT_PROCESS NTK_CURRENT_PROCESS
#define CURRENT_THREAD NTK_CURRENT_THREAD

ntk_status NTAPI NtkNullService(void);
ntk_status NTAPI NtkWriteConsole(const char *buf, uint64_t len);
ntk_status NTAPI NtAllocateVirtualMemory(HANDLE process, void *base, uint64_t zero_bits,
                                         uint64_t *size, uint32_t type, uint32_t protect);
ntk_status NTAPI NtFreeVirtualMemory(HANDLE process, void *base, uint64_t *size, uint32_t type);
ntk_status NTAPI NtProtectVirtualMemory(HANDLE process, void *base, uint64_t *size,
                                        uint32_t protect, uint32_t *old);
ntk_status NTAPI NtQueryVirtualMemory(HANDLE process, uint64_t base, uint32_t cls, void *info,
                                      uint64_t length, uint64_t *ret_length);
ntk_status NTAPI NtTerminateProcess(HANDLE process, ntk_status status);
ntk_status NTAPI NtTerminateThread(HANDLE thread, ntk_status status);
ntk_status NTAPI NtCreateThreadEx(HANDLE *thread, uint32_t access, void *attr, HANDLE process,
                                  void *start, void *arg, uint32_t flags, uint64_t zero_bits,
                                  uint64_t stack_commit, uint64_t stack_reserve, void *attrs);
ntk_status NTAPI NtkCreateProcess(HANDLE *process, HANDLE *thread, const char *image,
                                  uint64_t len, const char *cmdline, uint64_t cmdline_len);
ntk_status NTAPI NtWaitForSingleObject(HANDLE h, uint8_t alertable, const int64_t *timeout);
ntk_status NTAPI NtDelayExecution(uint8_t alertable, const int64_t *interval);
ntk_status NTAPI NtClose(HANDLE h);
ntk_status NTAPI NtYieldExecution(void);
ntk_status NTAPI NtContinue(const struct ntk_context *ctx, uint8_t test_alert);
ntk_status NTAPI NtRaiseException(const struct ntk_exception_record *r,
                                  const struct ntk_context *ctx, uint8_t first_chance);
ntk_status NTAPI NtQueryInformationProcess(HANDLE process, uint32_t cls, void *info,
                                           uint32_t length, uint32_t *ret_length);
ntk_status NTAPI NtQueryInformationThread(HANDLE thread, uint32_t cls, void *info,
                                          uint32_t length, uint32_t *ret_length);
ntk_status NTAPI NtkQuerySystemMemory(struct ntk_system_memory *m);
ntk_status NTAPI NtkQueryPhysicalAddress(HANDLE process, uint64_t va, uint64_t *pa);
/* Any service number with six arguments (the fuzz test). */
uint64_t NTAPI ntk_raw_syscall(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
                               uint64_t a6, uint64_t number);

/* Library */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void exit_process(ntk_status status);

/* Exceptions: the handler returns true to resume with the (possibly
 * changed) context, false to let the exception end the process. */
typedef bool (*exception_handler)(struct ntk_exception_record *r, struct ntk_context *c);
void set_exception_handler(exception_handler h);
extern volatile uint64_t exceptions_dispatched;

/* Threads: fn(arg) runs in a new thread, which exits with fn's result. */
ntk_status create_thread(HANDLE *h, uint32_t (*fn)(void *), void *arg);

/* TAP */
bool tap_status(ntk_status got, ntk_status want, const char *what);

int main(void);
extern uint64_t ntk_peb;

#endif
