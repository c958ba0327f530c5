/*
 * test_except.c - vectored exception handling (ntdll's RtlDispatchException
 * behind KiUserExceptionDispatcher) against Microsoft's documentation of
 * AddVectoredExceptionHandler, RemoveVectoredExceptionHandler,
 * RaiseException and "Vectored Exception Handling": call order, return
 * values, the records and contexts handlers see, continuing with a changed
 * context, noncontinuable exceptions, and what no handler takes.
 */
#include <windows.h>

#include <string.h>

#include "shared/nt/images.h"
#include "tests/pe/tap.h"

#define CODE 0xE0000042u

static char order[16];
static volatile int calls;
static LONG verdict_of_last = EXCEPTION_CONTINUE_EXECUTION;
static EXCEPTION_RECORD seen;

static LONG record(char who, EXCEPTION_POINTERS *ep, LONG verdict)
{
    if (ep->ExceptionRecord->ExceptionCode != CODE)
        return EXCEPTION_CONTINUE_SEARCH;
    order[calls++] = who;
    seen = *ep->ExceptionRecord;
    return verdict;
}

static LONG WINAPI handler_a(EXCEPTION_POINTERS *ep) { return record('A', ep, EXCEPTION_CONTINUE_SEARCH); }
static LONG WINAPI handler_b(EXCEPTION_POINTERS *ep) { return record('B', ep, verdict_of_last); }
static LONG WINAPI handler_c(EXCEPTION_POINTERS *ep) { return record('C', ep, EXCEPTION_CONTINUE_SEARCH); }

static void raise_and_count(void)
{
    memset(order, 0, sizeof order);
    calls = 0;
    ULONG_PTR args[3] = { 11, 22, 33 };
    RaiseException(CODE, 0, 3, args);
}

static void order_and_records(void)
{
    /* "First: If this parameter is CALL_FIRST or TRUE, the handler is the
     * first handler to be called. If this parameter is CALL_LAST or FALSE,
     * the handler is the last handler to be called." */
    PVOID a = AddVectoredExceptionHandler(0, handler_a);
    PVOID b = AddVectoredExceptionHandler(0, handler_b);
    PVOID c = AddVectoredExceptionHandler(1, handler_c);
    tap_ok(a && b && c && a != b && b != c, "AddVectoredExceptionHandler returns handles");
    raise_and_count();
    /* EXCEPTION_CONTINUE_SEARCH goes on to the next handler;
     * EXCEPTION_CONTINUE_EXECUTION ends the search and execution continues
     * (after RaiseException, for a software exception). */
    tap_ok(!strcmp(order, "CAB"), "call order C (first), A, B (last): %s", order);
    /* RaiseException: the record carries the code, the arguments, and
     * NumberParameters; the flags are 0 (continuable). */
    tap_ok(seen.ExceptionCode == CODE && seen.ExceptionFlags == 0 && seen.NumberParameters == 3 &&
           seen.ExceptionInformation[0] == 11 && seen.ExceptionInformation[2] == 33,
           "the record: code 0x%lx, flags %lu, %lu parameters", seen.ExceptionCode,
           seen.ExceptionFlags, seen.NumberParameters);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(seen.ExceptionAddress, &m, sizeof m);
    tap_eq((ULONG_PTR)m.AllocationBase, NTK_KERNEL32_BASE,
           "ExceptionAddress lies in kernel32 (RaiseException), as on Windows");
    /* "RemoveVectoredExceptionHandler: If the function succeeds, the return
     * value is nonzero. If the function fails, the return value is zero." */
    tap_ok(RemoveVectoredExceptionHandler(c) != 0, "removing C succeeds");
    tap_ok(RemoveVectoredExceptionHandler(c) == 0, "removing C again fails");
    raise_and_count();
    tap_ok(!strcmp(order, "AB"), "without C: %s", order);
    RemoveVectoredExceptionHandler(a);
    RemoveVectoredExceptionHandler(b);
}

/* ---- continuing with a changed context ---- */

static BYTE *readonly_page;
static volatile int fixes; /* volatile: changed by the handler, behind the compiler's back */

static LONG WINAPI make_writable(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    DWORD old;
    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || r->ExceptionInformation[0] != 1 ||
        (BYTE *)r->ExceptionInformation[1] != readonly_page)
        return EXCEPTION_CONTINUE_SEARCH;
    fixes++;
    VirtualProtect(readonly_page, 4096, PAGE_READWRITE, &old);
    return EXCEPTION_CONTINUE_EXECUTION; /* the faulting write runs again */
}

static LONG WINAPI skip_int3(EXCEPTION_POINTERS *ep)
{
    if (ep->ExceptionRecord->ExceptionCode != EXCEPTION_BREAKPOINT)
        return EXCEPTION_CONTINUE_SEARCH;
    ep->ContextRecord->Rip += 1;    /* past the int3 */
    ep->ContextRecord->Rax = 0x1234; /* the handler may change any register */
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void continuing(void)
{
    readonly_page = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
    PVOID h = AddVectoredExceptionHandler(1, make_writable);
    *(volatile BYTE *)readonly_page = 9;
    tap_ok(fixes == 1 && readonly_page[0] == 9,
           "a handler makes the page writable; the write is retried and lands (%d, %u)", fixes,
           readonly_page[0]);
    RemoveVectoredExceptionHandler(h);
    VirtualFree(readonly_page, 0, MEM_RELEASE);

    h = AddVectoredExceptionHandler(1, skip_int3);
    ULONG_PTR rax;
    __asm__ volatile("xor %%eax, %%eax\n\tint3\n\tmov %%rax, %0" : "=r"(rax) : : "rax", "memory");
    tap_eq(rax, 0x1234, "int3: the handler moved RIP past it and set RAX");
    RemoveVectoredExceptionHandler(h);
}

/* ---- noncontinuable exceptions ---- */

static EXCEPTION_RECORD nested;
static DWORD chained_code; /* the record nested points to dies with the thread's stack */
static volatile LONG nested_seen;

static LONG WINAPI insists(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    if (r->ExceptionCode == CODE)
        return EXCEPTION_CONTINUE_EXECUTION; /* not allowed: it is noncontinuable */
    if (r->ExceptionCode == STATUS_NONCONTINUABLE_EXCEPTION) {
        nested = *r;
        chained_code = r->ExceptionRecord ? r->ExceptionRecord->ExceptionCode : 0;
        nested_seen = 1;
        ExitThread(0xAB);
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

static DWORD WINAPI raise_noncontinuable(LPVOID unused)
{
    (void)unused;
    RaiseException(CODE, EXCEPTION_NONCONTINUABLE, 0, NULL);
    return 1; /* not reached */
}

static void noncontinuable(void)
{
    /* "If the exception is noncontinuable ... any attempt to continue
     * execution after the exception is processed generates a second
     * exception" (RaiseException, dwExceptionFlags): the handlers see
     * STATUS_NONCONTINUABLE_EXCEPTION, chained to the first record. */
    PVOID h = AddVectoredExceptionHandler(1, insists);
    HANDLE t = CreateThread(NULL, 0, raise_noncontinuable, NULL, 0, NULL);
    DWORD code = 0;
    WaitForSingleObject(t, INFINITE);
    GetExitCodeThread(t, &code);
    CloseHandle(t);
    RemoveVectoredExceptionHandler(h);
    tap_ok(nested_seen && code == 0xAB && chained_code == CODE &&
           (nested.ExceptionFlags & EXCEPTION_NONCONTINUABLE),
           "continuing a noncontinuable exception raises STATUS_NONCONTINUABLE_EXCEPTION");
}

/* ---- handlers added and removed while exceptions are dispatched ---- */

static PVOID self_handle;
static volatile int self_calls;

static LONG WINAPI removes_itself(EXCEPTION_POINTERS *ep)
{
    if (ep->ExceptionRecord->ExceptionCode != CODE)
        return EXCEPTION_CONTINUE_SEARCH;
    self_calls++;
    RemoveVectoredExceptionHandler(self_handle); /* while it runs */
    return EXCEPTION_CONTINUE_SEARCH;
}

static void removal_during_dispatch(void)
{
    self_handle = AddVectoredExceptionHandler(1, removes_itself);
    PVOID b = AddVectoredExceptionHandler(0, handler_b);
    raise_and_count();
    raise_and_count();
    tap_ok(self_calls == 1 && !strcmp(order, "B"),
           "a handler that removes itself runs once; the walk goes on to the next (%d, %s)",
           self_calls, order);
    RemoveVectoredExceptionHandler(b);
}

int main(void)
{
    tap_plan(11);
    order_and_records();
    continuing();
    noncontinuable();
    removal_during_dispatch();
    return tap_done();
}
