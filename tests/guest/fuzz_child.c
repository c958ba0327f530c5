/*
 * fuzz_child.c - calls system services with random arguments: numbers from
 * a pool of interesting values (0, -1, page and 64 KB boundaries, the ends
 * of user space, kernel addresses, the machine's reserved range, flag
 * combinations) and pointers into a scratch arena whose contents are
 * random too.  The seed is the virtual time at start (deterministic: the
 * machine is).  The process may well kill itself (it may decommit its own
 * stack); the kernel must not mind.  test_fuzz.c runs many of these.
 */
#include "guest/user/ntk.h"

#define CALLS 2000
static uint64_t state;
static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint64_t arena; /* 64 KB of read-write scratch */

static const uint64_t pool[] = {
    0, 1, 2, 4, 8, 0x10, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000, 0x10001, 0x20000, 0x100000,
    0x7fffffff, 0x80000000, 0xffffffff, 0xffffd000, 0x100000000ull, 0x7ffffffeffffull,
    0x7fffffff0000ull, 0x7ffffffff000ull, 0x800000000000ull, 0xffff800000000000ull,
    0xffffffff80100000ull, 0xfffffffffffff000ull, ~0ull, ~1ull, 0x8000000000000000ull,
    0x400000, 0x401000, 0x1000000000ull,
    /* allocation and free types, protections */
    0x1000, 0x2000, 0x3000, 0x4000, 0x8000, 0xc000, 0x100000, 0x102000, 0x80000, 0x20000000,
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x104, 0x204, 0x404, 0x101, 0x7ff,
    0xc0000005, 0x80000001,
};
#define NPOOL (sizeof pool / sizeof pool[0])

static uint64_t value(void)
{
    switch (rnd() % 8) {
    case 0: return rnd();
    case 1: case 2: return arena + (rnd() % 0x10000 & ~7ull);
    case 3: return arena + 0x10000 - 8 * (rnd() % 4);           /* straddling the end */
    default: return pool[rnd() % NPOOL];
    }
}

static void NTAPI thread_exits(void *arg)
{
    NtTerminateThread(CURRENT_THREAD, (ntk_status)(uint64_t)arg);
}

int main(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    state = ((uint64_t)hi << 32 | lo) * 0x9e3779b97f4a7c15ull | 1;
    uint64_t size = 0x10000;
    NtAllocateVirtualMemory(CURRENT_PROCESS, &arena, 0, &size, NTK_MEM_RESERVE | NTK_MEM_COMMIT,
                            NTK_PAGE_READWRITE);
    for (unsigned call = 0; call < CALLS; call++) {
        /* random contents in the arena: the pointed-to in/out values */
        uint64_t *w = (uint64_t *)arena;
        for (unsigned i = 0; i < 64; i++)
            w[rnd() % (0x10000 / 8)] = value();
        uint64_t a[11];
        for (unsigned i = 0; i < 11; i++)
            a[i] = value();
        uint64_t n = rnd() % (NTK_SVC_COUNT + 2);
        switch (n) {
        case NTK_SVC_TERMINATE_PROCESS:
        case NTK_SVC_CONTINUE:
        case NTK_SVC_RAISE_EXCEPTION:
            if (a[0] == CURRENT_PROCESS || n != NTK_SVC_TERMINATE_PROCESS)
                continue; /* these end or redirect this thread: tested elsewhere */
            break;
        case NTK_SVC_TERMINATE_THREAD:
            if (a[0] == CURRENT_THREAD)
                continue;
            break;
        case NTK_SVC_WRITE_CONSOLE:
            /* keep the TAP stream clean: only bad pointers or nothing */
            if (a[1])
                a[0] = rnd() % 2 ? 0xffff800000000000ull : rnd() % 0x10000;
            break;
        case NTK_SVC_CREATE_THREAD:
            a[4] = (uint64_t)thread_exits; /* the start must be code */
            break;
        case NTK_SVC_WAIT_FOR_SINGLE_OBJECT:
        case NTK_SVC_DELAY_EXECUTION: {
            /* never wait long: a small relative timeout, or a bad pointer */
            uint64_t slot = n == NTK_SVC_WAIT_FOR_SINGLE_OBJECT ? 2 : 1;
            int64_t *t = (int64_t *)(arena + 0x8000);
            *t = -(int64_t)(rnd() % 1000);
            a[slot] = rnd() % 4 ? (uint64_t)t : 0xffff800000000000ull;
            if (n == NTK_SVC_WAIT_FOR_SINGLE_OBJECT && (rnd() % 2))
                a[0] = CURRENT_PROCESS; /* a timeout on ourselves */
            break;
        }
        default:
            break;
        }
        /* arguments 5-7 on the stack; the number as the 7th of the stub */
        ntk_raw_syscall(a[0], a[1], a[2], a[3], a[4], a[5], n);
    }
    return 0;
}
