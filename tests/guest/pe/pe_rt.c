/*
 * pe_rt.c - the PE test programs' runtime: console output through the
 * test ntdll.dll, TAP, and process helpers (pe_rt.h).
 */
#include "tests/guest/pe/pe_rt.h"

void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void rt_print(const char *s)
{
    NtkWriteConsole(s, strlen(s));
}

void rt_hex(uint64_t v)
{
    char b[19];
    int i = 18;
    b[i] = 0;
    do {
        b[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    b[--i] = 'x';
    b[--i] = '0';
    rt_print(b + i);
}

void rt_dec(uint64_t v)
{
    char b[21];
    int i = 20;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rt_print(b + i);
}

unsigned tap_count, tap_failures;
#define tap_n tap_count
#define tap_failed tap_failures

bool tap_ok(bool cond, const char *what)
{
    tap_n++;
    if (!cond)
        tap_failed++;
    rt_print(cond ? "ok " : "not ok ");
    rt_dec(tap_n);
    rt_print(" - ");
    rt_print(what);
    rt_print("\n");
    return cond;
}

bool tap_eq(uint64_t got, uint64_t want, const char *what)
{
    if (got != want) {
        rt_print("# ");
        rt_print(what);
        rt_print(": got ");
        rt_hex(got);
        rt_print(", expected ");
        rt_hex(want);
        rt_print("\n");
    }
    return tap_ok(got == want, what);
}

int tap_done(void)
{
    rt_print("1..");
    rt_dec(tap_n);
    rt_print("\n");
    return tap_failed ? 1 : 0;
}

uint64_t rt_peb(void)
{
    uint64_t peb;
    __asm__ volatile("mov %%gs:0x60, %0" : "=r"(peb));
    return peb;
}

ntk_status rt_spawn(const char *image, const char *cmdline, HANDLE_T *process)
{
    HANDLE_T thread;
    ntk_status st = NtkCreateProcess(process, &thread, image, strlen(image), cmdline,
                                     cmdline ? strlen(cmdline) : 0);
    if (st >= 0)
        NtClose(thread);
    return st;
}

int32_t rt_exit_status(HANDLE_T process)
{
    struct ntk_process_basic_information info;
    NtWaitForSingleObject(process, 0, 0);
    NtQueryInformationProcess(process, NTK_PROCESS_BASIC_INFORMATION, &info, sizeof info, 0);
    NtClose(process);
    return info.exit_status;
}

ntk_status rt_run(const char *image, int32_t *exit_status)
{
    HANDLE_T p;
    ntk_status st = rt_spawn(image, 0, &p);
    if (st >= 0)
        *exit_status = rt_exit_status(p);
    return st;
}
