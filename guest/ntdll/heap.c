/*
 * heap.c - heaps (RtlCreateHeap, RtlAllocateHeap, ...): kernel32's HeapAlloc
 * family and the process heap are these, as in Windows.  A simple design
 * on NtAllocateVirtualMemory (docs/programs.md, "The heap"):
 *
 * - A heap is one or more segments: reservations (the first of the size
 *   RtlCreateHeap was given, default 1 MB; each further one twice the last,
 *   if the heap is growable) whose pages are committed as blocks are carved
 *   from the segment's top.  The heap's own header sits in its first
 *   segment, so the heap handle is that segment's base, as on Windows.
 * - A block is a 16-byte header and a payload, 16-byte aligned (as Windows
 *   x64 aligns HeapAlloc); headers hold the block's size and its
 *   predecessor's, so a freed block merges with free neighbours at once.
 *   Free blocks are on one list (first fit; the remainder of a split block
 *   goes back on it).
 * - Requests of HEAP_BIG_THRESHOLD (508 KB, Windows x64's virtual memory
 *   threshold) or more get a reservation of their own, released on free.
 * - Freed memory stays committed (no decommit), like a heap that has not
 *   yet reached its decommit threshold.
 *
 * Every entry point checks the heap's signature and, on free, that the
 * block is one of its busy blocks; a bad pointer is refused (FALSE), not
 * followed.  Threads are serialised by an SRW lock unless HEAP_NO_SERIALIZE.
 */
#include "guest/ntdll/ntdll.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

#define HEAP_SIGNATURE 0x70616548u       /* "Heap" */
#define BLOCK_TAG 0xB10Cu
#define BLOCK_BUSY 0x1u
#define BLOCK_BIG 0x2u
#define UNIT 16u                         /* block granularity and alignment */
#define MIN_BLOCK (2 * UNIT)             /* a header and two free-list links */
#define HEAP_BIG_THRESHOLD 0x7F000u
#define DEFAULT_RESERVE 0x100000u
#define COMMIT_STEP 0x4000u              /* commit at least this much at a time */
#define MAX_REQUEST ((SIZE_T)1 << 47)    /* larger than user space: refuse */

struct block {
    ULONG units;       /* this block's size in UNITs, header included */
    ULONG prev_units;  /* the previous block's, 0 for a segment's first */
    ULONG unused;      /* payload bytes past the requested size */
    USHORT flags;
    USHORT tag;
};
_Static_assert(sizeof(struct block) == UNIT, "block header");

struct free_block {
    struct block hdr;
    struct free_block *next, *prev;
};

struct segment {
    struct segment *next;
    BYTE *first;       /* the first block */
    BYTE *top;         /* blocks end here; the block ending here is busy */
    BYTE *committed;   /* committed up to here */
    BYTE *end;         /* reserved up to here */
    ULONG last_units;  /* the size of the block ending at top (0: none) */
};

struct big {           /* header of a block with a reservation of its own */
    struct big *next, *prev;
    SIZE_T size;       /* the requested size */
    SIZE_T reserved;
};
_Static_assert(sizeof(struct big) % UNIT == 0, "big block header");

struct heap {
    ULONG signature;
    ULONG flags;
    RTL_SRWLOCK lock;
    struct segment *segments;
    struct free_block free_list;   /* sentinel */
    struct big bigs;               /* sentinel */
    SIZE_T next_reserve;
};

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~(SIZE_T)((a) - 1))
#define HEADER_BYTES ALIGN_UP(sizeof(struct segment), UNIT)

static struct block *next_block(struct block *b)
{
    return (struct block *)((BYTE *)b + (SIZE_T)b->units * UNIT);
}

static struct block *prev_block(struct block *b)
{
    return (struct block *)((BYTE *)b - (SIZE_T)b->prev_units * UNIT);
}

/* ---- virtual memory ---- */

static PVOID reserve(SIZE_T size)
{
    PVOID base = NULL;
    return NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_RESERVE,
                                              PAGE_READWRITE)) ? base : NULL;
}

static BOOL commit(PVOID base, SIZE_T size)
{
    return NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_COMMIT,
                                              PAGE_READWRITE));
}

static void release(PVOID base)
{
    SIZE_T size = 0;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
}

/* ---- free list ---- */

static void free_list_insert(struct heap *h, struct free_block *f)
{
    f->next = h->free_list.next;
    f->prev = &h->free_list;
    h->free_list.next->prev = f;
    h->free_list.next = f;
}

static void free_list_remove(struct free_block *f)
{
    f->prev->next = f->next;
    f->next->prev = f->prev;
}

/* ---- segments ---- */

/* A new segment of at least `size` bytes, its segment header carved out. */
static struct segment *segment_new(SIZE_T size, SIZE_T first_commit)
{
    size = ALIGN_UP(size, NTK_ALLOCATION_GRANULARITY);
    BYTE *base = reserve(size);
    if (!base)
        return NULL;
    first_commit = ALIGN_UP(first_commit < NTK_PAGE_SIZE ? NTK_PAGE_SIZE : first_commit,
                            NTK_PAGE_SIZE);
    if (first_commit > size)
        first_commit = size;
    if (!commit(base, first_commit)) {
        release(base);
        return NULL;
    }
    struct segment *s = (struct segment *)base;
    s->next = NULL;
    s->first = s->top = base + HEADER_BYTES;
    s->committed = base + first_commit;
    s->end = base + size;
    s->last_units = 0;
    return s;
}

/* Carve a block of `units` from the top of segment s, committing pages as
 * needed; NULL if the segment's reservation is too small. */
static struct block *carve(struct segment *s, ULONG units)
{
    SIZE_T bytes = (SIZE_T)units * UNIT;
    if (bytes > (SIZE_T)(s->end - s->top))
        return NULL;
    if (s->top + bytes > s->committed) {
        SIZE_T need = ALIGN_UP((SIZE_T)(s->top + bytes - s->committed), COMMIT_STEP);
        if (need > (SIZE_T)(s->end - s->committed))
            need = (SIZE_T)(s->end - s->committed);
        if (!commit(s->committed, need))
            return NULL;
        s->committed += need;
    }
    struct block *b = (struct block *)s->top;
    b->units = units;
    b->prev_units = s->last_units;
    s->last_units = units;
    s->top += bytes;
    return b;
}

static struct segment *segment_of(struct heap *h, const BYTE *p)
{
    for (struct segment *s = h->segments; s; s = s->next)
        if (p >= s->first && p < s->top)
            return s;
    return NULL;
}

/* ---- blocks ---- */

static ULONG units_for(SIZE_T size)
{
    SIZE_T bytes = ALIGN_UP(size + sizeof(struct block), UNIT);
    return (ULONG)((bytes < MIN_BLOCK ? MIN_BLOCK : bytes) / UNIT);
}

/* Take `units` from free block f (busy now); the rest, if big enough, stays free. */
static struct block *take_free(struct heap *h, struct free_block *f, ULONG units)
{
    free_list_remove(f);
    struct block *b = &f->hdr;
    if (b->units - units >= MIN_BLOCK / UNIT) {
        struct block *rest = (struct block *)((BYTE *)b + (SIZE_T)units * UNIT);
        struct segment *s = segment_of(h, (BYTE *)b);
        rest->units = b->units - units;
        rest->prev_units = units;
        rest->flags = 0;
        rest->tag = BLOCK_TAG;
        rest->unused = 0;
        if ((BYTE *)next_block(rest) < s->top)
            next_block(rest)->prev_units = rest->units;
        b->units = units;
        free_list_insert(h, (struct free_block *)rest);
    }
    return b;
}

static struct block *alloc_small(struct heap *h, ULONG units)
{
    for (struct free_block *f = h->free_list.next; f != &h->free_list; f = f->next)
        if (f->hdr.units >= units)
            return take_free(h, f, units);
    for (struct segment *s = h->segments; s; s = s->next) {
        struct block *b = carve(s, units);
        if (b)
            return b;
    }
    if (!(h->flags & HEAP_GROWABLE))
        return NULL;
    SIZE_T want = (SIZE_T)units * UNIT + HEADER_BYTES;
    while (h->next_reserve < want)
        h->next_reserve *= 2;
    struct segment *s = segment_new(h->next_reserve, 0);
    if (!s)
        return NULL;
    h->next_reserve *= 2;
    s->next = h->segments;
    h->segments = s;
    return carve(s, units);
}

static struct block *alloc_big(struct heap *h, SIZE_T size)
{
    if (!(h->flags & HEAP_GROWABLE))
        return NULL;
    SIZE_T bytes = sizeof(struct big) + sizeof(struct block) + size;
    if (bytes < size)
        return NULL;
    BYTE *base = reserve(bytes);
    if (!base)
        return NULL;
    if (!commit(base, bytes)) {
        release(base);
        return NULL;
    }
    struct big *g = (struct big *)base;
    g->size = size;
    g->next = h->bigs.next;
    g->prev = &h->bigs;
    h->bigs.next->prev = g;
    h->bigs.next = g;
    struct block *b = (struct block *)(g + 1);
    b->units = 0;
    b->prev_units = 0;
    return b;
}

/*
 * The block whose payload is p, if p is one of h's busy blocks: a big
 * block on the list, or a block inside a segment whose header is
 * consistent with both neighbours' (only memory inside the segment is read).
 */
static struct block *find_busy(struct heap *h, const BYTE *p)
{
    if (!p || ((ULONG_PTR)p & (UNIT - 1)))
        return NULL;
    struct block *b = (struct block *)(p - sizeof(struct block));
    for (struct big *g = h->bigs.next; g != &h->bigs; g = g->next)
        if ((struct block *)(g + 1) == b)
            return b;
    struct segment *s = segment_of(h, p);
    if (!s || (BYTE *)b < s->first || b->tag != BLOCK_TAG || !(b->flags & BLOCK_BUSY) ||
        b->units < MIN_BLOCK / UNIT || (SIZE_T)b->units * UNIT > (SIZE_T)(s->top - (BYTE *)b) ||
        (SIZE_T)b->prev_units * UNIT > (SIZE_T)((BYTE *)b - s->first))
        return NULL;
    if (b->prev_units ? next_block(prev_block(b)) != b : (BYTE *)b != s->first)
        return NULL;
    struct block *n = next_block(b);
    if ((BYTE *)n < s->top ? n->prev_units != b->units : s->last_units != b->units)
        return NULL;
    return b;
}

/* Free a small block, merging it with free neighbours. */
static void free_small(struct heap *h, struct block *b)
{
    struct segment *s = segment_of(h, (BYTE *)b);
    b->flags = 0;
    b->unused = 0;
    struct block *n = next_block(b);
    if ((BYTE *)n < s->top && !(n->flags & BLOCK_BUSY)) {
        free_list_remove((struct free_block *)n);
        b->units += n->units;
    }
    if (b->prev_units && !(prev_block(b)->flags & BLOCK_BUSY)) {
        struct block *p = prev_block(b);
        free_list_remove((struct free_block *)p);
        p->units += b->units;
        b = p;
    }
    n = next_block(b);
    if ((BYTE *)n < s->top) {
        n->prev_units = b->units;
        free_list_insert(h, (struct free_block *)b);
    } else {
        s->top = (BYTE *)b; /* the block was the last: give it back to the top */
        s->last_units = b->prev_units;
    }
}

static void free_big(struct block *b)
{
    struct big *g = (struct big *)b - 1;
    g->prev->next = g->next;
    g->next->prev = g->prev;
    release(g);
}

/* ---- the API ---- */

static struct heap *heap_of(PVOID handle)
{
    struct heap *h = handle ? (struct heap *)((BYTE *)handle + HEADER_BYTES) : NULL;
    return h && h->signature == HEAP_SIGNATURE ? h : NULL;
}

static void lock(struct heap *h, ULONG flags)
{
    if (!((flags | h->flags) & HEAP_NO_SERIALIZE))
        RtlAcquireSRWLockExclusive(&h->lock);
}

static void unlock(struct heap *h, ULONG flags)
{
    if (!((flags | h->flags) & HEAP_NO_SERIALIZE))
        RtlReleaseSRWLockExclusive(&h->lock);
}

static void raise_no_memory(SIZE_T size)
{
    EXCEPTION_RECORD r = { 0 };
    r.ExceptionCode = STATUS_NO_MEMORY;
    r.NumberParameters = 1;
    r.ExceptionInformation[0] = size;
    RtlRaiseException(&r);
}

PVOID NTAPI RtlCreateHeap(ULONG Flags, PVOID Base, SIZE_T ReserveSize, SIZE_T CommitSize,
                          PVOID Lock, PVOID Parameters)
{
    if (Base || Lock || Parameters)
        return NULL; /* caller-supplied memory and locks are not supported */
    if (!ReserveSize)
        ReserveSize = DEFAULT_RESERVE;
    if (CommitSize > ReserveSize)
        ReserveSize = CommitSize;
    SIZE_T first = ALIGN_UP(sizeof(struct heap), UNIT);
    struct segment *s = segment_new(ReserveSize, CommitSize + HEADER_BYTES + first);
    if (!s)
        return NULL;
    struct heap *h = (struct heap *)s->first;
    s->first = s->top = s->first + first;
    h->signature = HEAP_SIGNATURE;
    h->flags = Flags;
    RtlInitializeSRWLock(&h->lock);
    h->segments = s;
    h->free_list.next = h->free_list.prev = &h->free_list;
    h->bigs.next = h->bigs.prev = &h->bigs;
    h->next_reserve = (SIZE_T)(s->end - (BYTE *)s) * 2;
    return s;
}

PVOID NTAPI RtlDestroyHeap(PVOID Heap)
{
    struct heap *h = heap_of(Heap);
    if (!h || Heap == *(PVOID *)(ntk_peb() + NTK_PEB_PROCESS_HEAP))
        return Heap; /* not a heap, or the process heap: Windows refuses both */
    while (h->bigs.next != &h->bigs)
        free_big((struct block *)(h->bigs.next + 1));
    h->signature = 0;
    for (struct segment *s = h->segments, *next; s; s = next) {
        next = s->next;
        release(s);
    }
    return NULL;
}

PVOID NTAPI RtlAllocateHeap(PVOID Heap, ULONG Flags, SIZE_T Size)
{
    struct heap *h = heap_of(Heap);
    if (!h)
        return NULL;
    struct block *b = NULL;
    if (Size < MAX_REQUEST) {
        lock(h, Flags);
        b = Size >= HEAP_BIG_THRESHOLD ? alloc_big(h, Size) : alloc_small(h, units_for(Size));
        unlock(h, Flags);
    }
    if (!b) {
        if ((Flags | h->flags) & HEAP_GENERATE_EXCEPTIONS)
            raise_no_memory(Size);
        return NULL;
    }
    b->flags = BLOCK_BUSY | (b->units ? 0 : BLOCK_BIG);
    b->tag = BLOCK_TAG;
    b->unused = b->units ? (ULONG)((SIZE_T)b->units * UNIT - sizeof *b - Size) : 0;
    PVOID p = b + 1;
    if ((Flags | h->flags) & HEAP_ZERO_MEMORY)
        memset(p, 0, Size);
    return p;
}

BOOLEAN NTAPI RtlFreeHeap(PVOID Heap, ULONG Flags, PVOID Block)
{
    struct heap *h = heap_of(Heap);
    if (!h)
        return FALSE;
    if (!Block)
        return TRUE; /* as Windows: freeing NULL succeeds */
    lock(h, Flags);
    struct block *b = find_busy(h, Block);
    if (b && (b->flags & BLOCK_BIG))
        free_big(b);
    else if (b)
        free_small(h, b);
    unlock(h, Flags);
    return b != NULL;
}

SIZE_T NTAPI RtlSizeHeap(PVOID Heap, ULONG Flags, PVOID Block)
{
    struct heap *h = heap_of(Heap);
    if (!h)
        return (SIZE_T)-1;
    lock(h, Flags);
    struct block *b = find_busy(h, Block);
    SIZE_T size = (SIZE_T)-1;
    if (b && (b->flags & BLOCK_BIG))
        size = ((struct big *)b - 1)->size;
    else if (b)
        size = (SIZE_T)b->units * UNIT - sizeof *b - b->unused;
    unlock(h, Flags);
    return size;
}

PVOID NTAPI RtlReAllocateHeap(PVOID Heap, ULONG Flags, PVOID Block, SIZE_T Size)
{
    SIZE_T old = RtlSizeHeap(Heap, Flags, Block);
    if (old == (SIZE_T)-1)
        return NULL;
    struct block *b = (struct block *)Block - 1;
    if (!(b->flags & BLOCK_BIG) && units_for(Size) <= b->units) {
        b->unused = (ULONG)((SIZE_T)b->units * UNIT - sizeof *b - Size); /* fits in place */
        if (Size > old && (Flags & HEAP_ZERO_MEMORY))
            memset((BYTE *)Block + old, 0, Size - old);
        return Block;
    }
    if (Flags & HEAP_REALLOC_IN_PLACE_ONLY)
        return NULL;
    PVOID p = RtlAllocateHeap(Heap, Flags, Size);
    if (!p)
        return NULL;
    memcpy(p, Block, old < Size ? old : Size);
    RtlFreeHeap(Heap, Flags, Block);
    return p;
}

/* The EXE's SizeOfHeapReserve and SizeOfHeapCommit (optional header). */
static void image_heap_sizes(SIZE_T *reserve_size, SIZE_T *commit_size)
{
    BYTE *base = *(BYTE **)(ntk_peb() + NTK_PEB_IMAGE_BASE_ADDRESS);
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    *reserve_size = nt->OptionalHeader.SizeOfHeapReserve;
    *commit_size = nt->OptionalHeader.SizeOfHeapCommit;
}

PVOID NTAPI RtlkProcessHeap(void)
{
    PVOID *slot = (PVOID *)(ntk_peb() + NTK_PEB_PROCESS_HEAP);
    PVOID heap = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (heap)
        return heap;
    SIZE_T reserve_size, commit_size;
    image_heap_sizes(&reserve_size, &commit_size);
    PVOID mine = RtlCreateHeap(HEAP_GROWABLE, NULL, reserve_size, commit_size, NULL, NULL);
    if (!mine)
        return NULL;
    if (__atomic_compare_exchange_n(slot, &heap, mine, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return mine;
    /* Another thread made it first: use that one. */
    struct heap *h = heap_of(mine);
    h->signature = 0;
    release(mine);
    return heap;
}
