/*
 * demo_guard.c - PAGE_GUARD is a one-shot alarm: the first touch raises
 * STATUS_GUARD_PAGE_VIOLATION and clears it; a thread stack grows one page
 * at a time as its guard page is touched.
 */
#include "guest/user/ntk.h"

static ntk_status seen;

static bool note(struct ntk_exception_record *r, struct ntk_context *c)
{
    (void)c;
    seen = (ntk_status)r->exception_code;
    printf("  exception %08x at %llx, address %llx\n", r->exception_code,
           (unsigned long long)r->exception_address,
           (unsigned long long)r->exception_information[1]);
    return r->exception_code == (uint32_t)NTK_STATUS_GUARD_PAGE_VIOLATION;
}

/* The TEB's StackBase - StackLimit: what the stack has committed so far. */
static uint64_t stack_committed(void)
{
    uint64_t base, limit;
    __asm__ volatile("mov %%gs:0x8, %0; mov %%gs:0x10, %1" : "=r"(base), "=r"(limit));
    return base - limit;
}

/* Frames of about 3 KB: each new stack page is touched from above, so the
 * guard page is always hit first (Windows compilers probe larger frames
 * page by page with __chkstk for the same reason). */
__attribute__((noinline)) static uint64_t deep(unsigned n)
{
    volatile char pad[3000];
    pad[0] = (char)n;
    pad[2999] = (char)n;
    if (n == 0)
        return stack_committed();
    return deep(n - 1) + (uint64_t)(pad[0] != (char)n); /* not a tail call */
}

int main(void)
{
    set_exception_handler(note);
    volatile char *g = 0;
    uint64_t size = 0x1000;
    NtAllocateVirtualMemory(CURRENT_PROCESS, &g, 0, &size, NTK_MEM_RESERVE | NTK_MEM_COMMIT,
                            NTK_PAGE_READWRITE | NTK_PAGE_GUARD);
    printf("a PAGE_READWRITE | PAGE_GUARD page at %p; first read:\n", (void *)g);
    char v = g[0];
    printf("second read: %d, no exception (guard cleared)\n", v);
    printf("stack: %llu KB committed at start\n", (unsigned long long)(stack_committed() >> 10));
    printf("after 64 nested calls of 3 KB each: %llu KB committed\n",
           (unsigned long long)(deep(64) >> 10));
    return 0;
}
