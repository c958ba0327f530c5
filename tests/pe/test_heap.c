/*
 * test_heap.c - the Heap functions against Microsoft's documentation
 * (GetProcessHeap, HeapAlloc, HeapFree, HeapReAlloc, HeapSize, HeapCreate,
 * HeapDestroy), and the heap's integrity under a few thousand mixed
 * allocations and frees from two threads.
 */
#include <windows.h>

#include <string.h>

#include "tests/pe/tap.h"

static volatile LONG no_memory_raised;

static LONG WINAPI on_no_memory(EXCEPTION_POINTERS *ep)
{
    if (ep->ExceptionRecord->ExceptionCode != STATUS_NO_MEMORY)
        return EXCEPTION_CONTINUE_SEARCH;
    no_memory_raised++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void basics(void)
{
    HANDLE heap = GetProcessHeap();
    BYTE *peb = (BYTE *)__readgsqword(0x60);
    /* GetProcessHeap: "a handle to the default heap of the calling process",
     * which the PEB records (ProcessHeap, +0x30). */
    tap_ok(heap && heap == GetProcessHeap() && heap == *(HANDLE *)(peb + 0x30),
           "GetProcessHeap is stable and is PEB.ProcessHeap (%p)", heap);
    /* HeapAlloc: "The alignment of memory returned by HeapAlloc is
     * MEMORY_ALLOCATION_ALIGNMENT" (16 on x64); HeapSize returns "the
     * requested size of the allocated memory block". */
    BYTE *p = HeapAlloc(heap, 0, 100);
    tap_ok(p && (ULONG_PTR)p % 16 == 0, "HeapAlloc(100) is 16-byte aligned (%p)", (void *)p);
    tap_eq(HeapSize(heap, 0, p), 100, "HeapSize");
    /* HEAP_ZERO_MEMORY: "The allocated memory will be initialized to zero." */
    memset(p, 0xAB, 100);
    HeapFree(heap, 0, p);
    BYTE *z = HeapAlloc(heap, HEAP_ZERO_MEMORY, 100);
    BOOL zero = z != NULL;
    for (int i = 0; z && i < 100; i++)
        zero &= z[i] == 0;
    tap_ok(zero, "HEAP_ZERO_MEMORY: 100 zero bytes (the block reuses freed memory: %s)",
           z == p ? "yes" : "no");
    /* HeapFree(NULL) succeeds, as on Windows; a pointer that is not a block
     * fails with ERROR_INVALID_PARAMETER. */
    tap_ok(HeapFree(heap, 0, NULL), "HeapFree(NULL) succeeds");
    SetLastError(0);
    tap_error(HeapFree(heap, 0, z + 16), ERROR_INVALID_PARAMETER, "HeapFree inside a block");
    tap_ok(HeapFree(heap, 0, z), "HeapFree of the block");
    SetLastError(0);
    tap_error(HeapFree(heap, 0, z), ERROR_INVALID_PARAMETER, "HeapFree twice");
    /* HeapAlloc of 0 bytes returns a valid, distinct pointer. */
    void *e1 = HeapAlloc(heap, 0, 0), *e2 = HeapAlloc(heap, 0, 0);
    tap_ok(e1 && e2 && e1 != e2 && HeapSize(heap, 0, e1) == 0, "two 0-byte blocks");
    HeapFree(heap, 0, e1);
    HeapFree(heap, 0, e2);
}

static void big_and_failing(void)
{
    HANDLE heap = GetProcessHeap();
    /* A block larger than the heap's threshold (508 KB on x64) gets its own
     * region: committed private memory. */
    BYTE *big = HeapAlloc(heap, 0, 1 << 20);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(big, &m, sizeof m);
    tap_ok(big && HeapSize(heap, 0, big) == 1u << 20 && m.State == MEM_COMMIT &&
           m.Type == MEM_PRIVATE, "a 1 MB block: its size, committed private memory");
    big[(1 << 20) - 1] = 1;
    tap_ok(HeapFree(heap, 0, big) && VirtualQuery(big, &m, sizeof m) && m.State == MEM_FREE,
           "freeing it releases its region");
    /* "If the function fails, it does not call SetLastError" and returns
     * NULL... */
    SetLastError(777);
    tap_ok(HeapAlloc(heap, 0, (SIZE_T)1 << 40) == NULL && GetLastError() == 777,
           "HeapAlloc(1 TB): NULL, last error untouched");
    /* ... unless HEAP_GENERATE_EXCEPTIONS: then it raises STATUS_NO_MEMORY. */
    PVOID h = AddVectoredExceptionHandler(1, on_no_memory);
    void *r = HeapAlloc(heap, HEAP_GENERATE_EXCEPTIONS, (SIZE_T)1 << 40);
    RemoveVectoredExceptionHandler(h);
    tap_ok(r == NULL && no_memory_raised == 1,
           "HEAP_GENERATE_EXCEPTIONS: STATUS_NO_MEMORY raised (%ld), NULL after continuing",
           (long)no_memory_raised);
}

static void realloc_rules(void)
{
    HANDLE heap = GetProcessHeap();
    BYTE *p = HeapAlloc(heap, 0, 40);
    for (int i = 0; i < 40; i++)
        p[i] = (BYTE)i;
    /* HeapReAlloc keeps the contents up to the smaller size; with
     * HEAP_ZERO_MEMORY the new bytes are zero. */
    BYTE *q = HeapReAlloc(heap, HEAP_ZERO_MEMORY, p, 5000);
    BOOL same = q != NULL;
    for (int i = 0; q && i < 40; i++)
        same &= q[i] == (BYTE)i;
    for (int i = 40; q && i < 5000; i++)
        same &= q[i] == 0;
    tap_ok(same && HeapSize(heap, 0, q) == 5000, "HeapReAlloc to 5000 keeps 40 bytes, zeroes "
           "the rest");
    /* HEAP_REALLOC_IN_PLACE_ONLY: "There can be no movement when reallocating
     * a memory block": growing far fails, and the block stays. */
    tap_ok(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, q, 100000) == NULL &&
           HeapSize(heap, 0, q) == 5000, "in place only: cannot grow to 100000");
    tap_ok(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, q, 10) == q && HeapSize(heap, 0, q) == 10,
           "in place only: shrinking stays put");
    HeapFree(heap, 0, q);
}

static void private_heaps(void)
{
    /* HeapCreate with dwMaximumSize 0 makes a growable heap; HeapDestroy
     * frees all of it; the process heap cannot be destroyed. */
    HANDLE h = HeapCreate(0, 0, 0);
    BYTE *a = h ? HeapAlloc(h, 0, 3000000) : NULL, *b = h ? HeapAlloc(h, 0, 100) : NULL;
    tap_ok(h && a && b && h != GetProcessHeap(), "HeapCreate: a heap of its own");
    tap_ok(HeapDestroy(h), "HeapDestroy");
    MEMORY_BASIC_INFORMATION m;
    tap_ok(VirtualQuery(b, &m, sizeof m) && m.State == MEM_FREE, "its memory is released");
    tap_ok(!HeapDestroy(GetProcessHeap()), "the process heap cannot be destroyed");
    /* A fixed-size heap (dwMaximumSize given) does not grow. */
    h = HeapCreate(0, 0, 64 << 10);
    int n = 0;
    while (h && HeapAlloc(h, 0, 4096) && n < 1000)
        n++;
    tap_ok(h && n > 0 && n < 16, "a 64 KB heap holds %d blocks of 4 KB, then refuses", n);
    HeapDestroy(h);
}

/* ---- integrity under load ---- */

#define SLOTS 400
#define ROUNDS 3000

struct slot {
    BYTE *p;
    SIZE_T size;
    BYTE fill;
};

static unsigned next_random(unsigned *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static BOOL intact(const struct slot *s)
{
    for (SIZE_T i = 0; i < s->size; i++)
        if (s->p[i] != s->fill)
            return FALSE;
    return TRUE;
}

/* Random allocations and frees with every live block filled with its own
 * byte; all must stay intact. */
static DWORD WINAPI churn(LPVOID seed)
{
    static struct slot slots[2][SLOTS];
    unsigned x = (unsigned)(ULONG_PTR)seed;
    struct slot *s = slots[x & 1];
    HANDLE heap = GetProcessHeap();
    DWORD bad = 0;
    for (int round = 0; round < ROUNDS; round++) {
        struct slot *t = &s[next_random(&x) % SLOTS];
        if (t->p) {
            bad += !intact(t) + !HeapFree(heap, 0, t->p);
            t->p = NULL;
            continue;
        }
        t->size = next_random(&x) % (next_random(&x) % 8 ? 200 : 20000);
        t->fill = (BYTE)next_random(&x);
        t->p = HeapAlloc(heap, 0, t->size);
        if (!t->p) {
            bad++;
            continue;
        }
        memset(t->p, t->fill, t->size);
    }
    for (int i = 0; i < SLOTS; i++)
        if (s[i].p) {
            bad += !intact(&s[i]) + !HeapFree(heap, 0, s[i].p);
            s[i].p = NULL;
        }
    return bad;
}

static void load(void)
{
    HANDLE t = CreateThread(NULL, 0, churn, (LPVOID)7, 0, NULL);
    DWORD mine = churn((LPVOID)4), theirs = 1;
    WaitForSingleObject(t, INFINITE);
    GetExitCodeThread(t, &theirs);
    CloseHandle(t);
    tap_ok(mine == 0 && theirs == 0, "two threads, %d rounds each: every block intact and "
           "freed (%lu, %lu problems)", ROUNDS, mine, theirs);
}

int main(void)
{
    tap_plan(22);
    basics();
    big_and_failing();
    realloc_rules();
    private_heaps();
    load();
    return tap_done();
}
