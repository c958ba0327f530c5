/*
 * pool.c - the kernel heap (NT's nonpaged pool): small blocks in power-of-
 * two size classes, 32 bytes to a page, carved from whole pages taken from the
 * PFN database and reached through the direct map.  A freed block goes back
 * to its class's free list; pages are never returned (simple, and the pool's
 * high-water mark is small).  Blocks are at most a page, header included:
 * the kernel has no larger objects.
 */
#include "guest/kernel/kernel.h"

#define MIN_SHIFT 5
#define MAX_SHIFT 12
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)

struct block { struct block *next; };
/* Each block is preceded by 16 bytes that remember its class. */
struct header { uint64_t class, magic; };
#define POOL_MAGIC 0x6c6f6f704b544e00ull /* "\0NTKpool" */

static struct block *free_list[NCLASSES];
static uint64_t in_use;

static unsigned class_of(size_t n)
{
    unsigned c = 0;
    while (((size_t)1 << (c + MIN_SHIFT)) < n)
        c++;
    return c;
}

static bool refill(unsigned c)
{
    uint64_t pa = pfn_alloc(USE_POOL, false);
    if (!pa)
        return false;
    size_t sz = (size_t)1 << (c + MIN_SHIFT);
    uint8_t *page = P2V(pa);
    for (size_t off = 0; off + sz <= PAGE_SIZE; off += sz) {
        struct block *b = (struct block *)(page + off);
        b->next = free_list[c];
        free_list[c] = b;
    }
    return true;
}

void *kalloc(size_t n)
{
    size_t total = n + sizeof(struct header);
    if (total > PAGE_SIZE)
        panic("kalloc(%zu): larger than a page", n);
    unsigned c = class_of(total);
    if (!free_list[c] && !refill(c))
        return NULL;
    struct block *b = free_list[c];
    free_list[c] = b->next;
    size_t sz = (size_t)1 << (c + MIN_SHIFT);
    memset(b, 0, sz);
    struct header *h = (struct header *)b;
    h->class = c;
    h->magic = POOL_MAGIC;
    in_use += sz;
    return h + 1;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct header *h = (struct header *)p - 1;
    if (h->magic != POOL_MAGIC || h->class >= NCLASSES)
        panic("kfree(%p): not a pool block", p);
    unsigned c = (unsigned)h->class;
    h->magic = 0;
    in_use -= (size_t)1 << (c + MIN_SHIFT);
    struct block *b = (struct block *)h;
    b->next = free_list[c];
    free_list[c] = b;
}

uint64_t pool_bytes_in_use(void)
{
    return in_use;
}
