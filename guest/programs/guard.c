/*
 * guard - guard pages (docs/programs.md, "guard").
 *
 * 1. A PAGE_READWRITE | PAGE_GUARD page: the first touch raises
 *    STATUS_GUARD_PAGE_VIOLATION (0x80000001, a one-shot alarm) with the
 *    access and the address; a vectored handler sees it and lets the
 *    access go again, which now succeeds: the guard is gone and the page
 *    reads PAGE_READWRITE.
 * 2. Stack growth: a thread with a 256 KB stack reservation recurses 48
 *    levels with 3 KB frames; before and after, the stack's regions show
 *    the committed part growing and the guard page moving down below it,
 *    one page at a time (the compiler's stack probe, ___chkstk_ms, touches
 *    each page of a large frame in order, as Windows's __chkstk does).
 * 3. The end of the stack: a second thread recurses until the stack is
 *    exhausted; the kernel raises STATUS_STACK_OVERFLOW (0xC00000FD) and a
 *    vectored handler ends that thread with the code.
 *
 * Exit status 0 when every observation is as expected.
 */
#include <windows.h>

#include <stdio.h>

#define PAGE 4096
#define TEB_DEALLOCATION_STACK 0x1478
#define FRAME 3072
#define DEPTH 48
#define SMALL_STACK (256 << 10)

static volatile LONG guard_hits, overflow_hits;
static volatile ULONG_PTR guard_access, guard_address;

static LONG WINAPI watch(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    if (r->ExceptionCode == STATUS_GUARD_PAGE_VIOLATION) {
        guard_hits++;
        guard_access = r->ExceptionInformation[0];
        guard_address = r->ExceptionInformation[1];
        return EXCEPTION_CONTINUE_EXECUTION; /* the guard is gone: the access now succeeds */
    }
    if (r->ExceptionCode == STATUS_STACK_OVERFLOW) {
        overflow_hits++;
        ExitThread(STATUS_STACK_OVERFLOW);
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

static DWORD protection(const void *a)
{
    MEMORY_BASIC_INFORMATION m;
    return VirtualQuery(a, &m, sizeof m) ? m.Protect : 0;
}

static BOOL one_shot_guard(void)
{
    volatile BYTE *p = VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE,
                                    PAGE_READWRITE | PAGE_GUARD);
    if (!p)
        return FALSE;
    DWORD before = protection((const void *)p);
    BYTE first = p[100];
    LONG hits1 = guard_hits;
    BYTE second = p[100];
    DWORD after = protection((const void *)p);
    printf("guard page at %p: protection 0x%lx before, 0x%lx after the first touch\n",
           (void *)p, before, after);
    printf("first read: %ld exception(s) (access %llu, address %p); second read: %ld more\n",
           hits1, (ULONGLONG)guard_access, (void *)guard_address, guard_hits - hits1);
    VirtualFree((void *)p, 0, MEM_RELEASE);
    return before == (PAGE_READWRITE | PAGE_GUARD) && after == PAGE_READWRITE && hits1 == 1 &&
           guard_hits == 1 && guard_access == 0 && guard_address == (ULONG_PTR)p + 100 &&
           first == 0 && second == 0;
}

/* ---- the stack ---- */

struct stack_state {
    ULONGLONG committed, guard_at, guard_pages;
};

/* The calling thread's stack: committed bytes at the top, and the guard page. */
static struct stack_state stack_state(void)
{
    BYTE *base = *(BYTE **)((BYTE *)NtCurrentTeb() + TEB_DEALLOCATION_STACK);
    struct stack_state s = { 0, 0, 0 };
    MEMORY_BASIC_INFORMATION m;
    for (BYTE *a = base; VirtualQuery(a, &m, sizeof m) && m.AllocationBase == base;
         a = (BYTE *)m.BaseAddress + m.RegionSize) {
        printf("    %p %8llx %s%s\n", m.BaseAddress, (ULONGLONG)m.RegionSize,
               m.State == MEM_RESERVE ? "reserved" : "committed",
               m.State == MEM_COMMIT && (m.Protect & PAGE_GUARD) ? ", guard page" : "");
        if (m.State == MEM_COMMIT && (m.Protect & PAGE_GUARD)) {
            s.guard_at = (ULONG_PTR)m.BaseAddress;
            s.guard_pages += m.RegionSize / PAGE;
        } else if (m.State == MEM_COMMIT) {
            s.committed += m.RegionSize;
        }
    }
    return s;
}

static struct stack_state deepest;

/* Each level keeps its 3 KB frame live across the call (no tail call). */
static int __attribute__((noinline)) recurse(int depth)
{
    volatile BYTE frame[FRAME];
    frame[FRAME - 1] = (BYTE)depth; /* top first, as a growing stack is touched */
    frame[0] = (BYTE)depth;
    if (depth == DEPTH) {
        printf("  at depth %d:\n", depth);
        deepest = stack_state();
        return 0;
    }
    return recurse(depth + 1) + frame[0];
}

static DWORD WINAPI grow(LPVOID unused)
{
    (void)unused;
    printf("  at the start:\n");
    struct stack_state start = stack_state();
    recurse(1);
    ULONGLONG grew = deepest.committed - start.committed;
    printf("stack: %llu KB committed at the start, %llu KB after %d frames of %d bytes; guard "
           "page %llx -> %llx\n", start.committed >> 10, deepest.committed >> 10, DEPTH, FRAME,
           start.guard_at, deepest.guard_at);
    return grew > (ULONGLONG)(DEPTH - 2) * FRAME && deepest.guard_pages == 1 &&
           start.guard_pages == 1 && deepest.guard_at == start.guard_at - grew;
}

static volatile ULONGLONG bottom = ~0ull; /* never reached */

static ULONGLONG __attribute__((noinline)) bottomless(ULONGLONG depth)
{
    volatile BYTE frame[FRAME];
    frame[FRAME - 1] = (BYTE)depth;
    frame[0] = (BYTE)depth;
    if (depth == bottom)
        return 0;
    return bottomless(depth + 1) + frame[0];
}

static DWORD WINAPI overflow(LPVOID unused)
{
    (void)unused;
    return (DWORD)bottomless(0);
}

static DWORD run_thread(LPTHREAD_START_ROUTINE fn)
{
    DWORD code = 0;
    HANDLE h = CreateThread(NULL, SMALL_STACK, fn, NULL, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (!h)
        return 0xFFFFFFFF;
    WaitForSingleObject(h, INFINITE);
    GetExitCodeThread(h, &code);
    CloseHandle(h);
    return code;
}

int main(void)
{
    PVOID handler = AddVectoredExceptionHandler(1, watch);
    BOOL guard_ok = one_shot_guard();
    printf("a thread with a %d KB stack recurses %d levels:\n", SMALL_STACK >> 10, DEPTH);
    BOOL grow_ok = run_thread(grow) == 1;
    DWORD code = run_thread(overflow);
    printf("a thread that never stops recursing: exit code 0x%lx, %ld stack overflow "
           "exception(s)\n", code, (long)overflow_hits);
    RemoveVectoredExceptionHandler(handler);
    BOOL ok = guard_ok && grow_ok && code == STATUS_STACK_OVERFLOW && overflow_hits == 1;
    printf("%s\n", ok ? "guard: as expected" : "guard: UNEXPECTED");
    return ok ? 0 : 1;
}
