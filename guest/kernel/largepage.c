/*
 * largepage.c - MEM_LARGE_PAGES: private memory mapped with 2 MB pages (a
 * page-directory entry with PS), or 1 GB pages (a PDPT entry with PS) when
 * NtAllocateVirtualMemoryEx asks for MEM_EXTENDED_PARAMETER_NONPAGED_HUGE.
 *
 * As Windows documents ("Large-Page Support"): the caller must have enabled
 * SeLockMemoryPrivilege (token.c); the memory is reserved and committed in
 * one call (MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES), its size and base
 * multiples of the page size; each page is physically contiguous, aligned
 * to its size, found by the PFN database (pfn_alloc_run) when the call is
 * made and zeroed - no run free: STATUS_INSUFFICIENT_RESOURCES, nothing
 * allocated; it is read/write and non-pageable: locked, never on a working
 * set, never trimmed or paged; it is part of the process's private bytes,
 * charged to the commit limit.  Like Windows's kernel (WRK): it cannot be
 * decommitted (STATUS_MEMORY_NOT_ALLOCATED), only released whole; its
 * protection cannot change and nothing can be committed in it
 * (STATUS_CONFLICTING_ADDRESSES).  VirtualQuery reports it as any private
 * committed region (MEM_PRIVATE, MEM_COMMIT, its protection): nothing in
 * MEMORY_BASIC_INFORMATION tells the page size.
 *
 * The VAD (VAD_LARGE, VAD_HUGE) has no PTEs: vm.c hands every path that
 * would look for one to the functions below.
 */
#include "guest/kernel/kernel.h"

#define LARGE_TYPES (NTK_MEM_COMMIT | NTK_MEM_RESERVE | NTK_MEM_TOP_DOWN | NTK_MEM_LARGE_PAGES)

static uint64_t large_pages_now; /* in 2 MB pages */

uint64_t largepage_count(void)
{
    return large_pages_now;
}

static uint64_t page_size_of(const struct vad *v)
{
    return (v->flags & VAD_HUGE) ? NTK_HUGE_PAGE_SIZE : NTK_LARGE_PAGE_SIZE;
}

static int level_of(uint64_t page_size)
{
    return page_size == NTK_HUGE_PAGE_SIZE ? 3 : 2;
}

/* The entry of the large page holding va. */
static uint64_t *entry_of(struct process *p, const struct vad *v, uint64_t va)
{
    return pmap_large_entry(p->pml4, va & ~(page_size_of(v) - 1), level_of(page_size_of(v)));
}

/* The hardware bits of a large page: user, read/write (read-only if asked),
 * no-execute unless an EXECUTE protection. */
static uint64_t entry_bits(uint32_t protect)
{
    uint64_t e = X86_PTE_US;
    if (protect != NTK_PAGE_READONLY)
        e |= X86_PTE_RW;
    if (protect != NTK_PAGE_EXECUTE_READWRITE)
        e |= X86_PTE_XD;
    return e;
}

/* Unmap and free the large pages of [start, end) (those mapped so far). */
static void free_pages(struct process *p, const struct vad *v, uint64_t start, uint64_t end)
{
    uint64_t ps = page_size_of(v);
    for (uint64_t va = start; va < end; va += ps) {
        uint64_t *e = entry_of(p, v, va);
        if (!e || !(*e & X86_PTE_P))
            continue;
        uint64_t frame = *e & X86_PTE_ADDR_MASK & ~(ps - 1);
        *e = 0;
        pmap_flush(p->pml4, va);
        pfn_free_run(frame, ps / PAGE_SIZE);
        large_pages_now -= ps / NTK_LARGE_PAGE_SIZE;
    }
}

/* The pages of v, each from a contiguous run of free frames. */
static ntk_status map_pages(struct process *p, struct vad *v)
{
    uint64_t ps = page_size_of(v);
    for (uint64_t va = v->start; va < v->end; va += ps) {
        uint64_t frame = pfn_alloc_run(ps / PAGE_SIZE, USE_LARGE);
        if (!frame) {
            free_pages(p, v, v->start, va);
            return NTK_STATUS_INSUFFICIENT_RESOURCES;
        }
        if (!pmap_map_large(p->pml4, va, frame, level_of(ps), entry_bits(v->alloc_protect))) {
            pfn_free_run(frame, ps / PAGE_SIZE);
            free_pages(p, v, v->start, va);
            return NTK_STATUS_NO_MEMORY;
        }
        large_pages_now += ps / NTK_LARGE_PAGE_SIZE;
    }
    return NTK_STATUS_SUCCESS;
}

/* Where the reservation goes: *base if given (a multiple of the page
 * size, free), else the lowest (highest) free aligned range. */
static ntk_status place(struct process *p, uint64_t b, uint64_t s, uint64_t ps, bool top_down,
                        uint64_t *start)
{
    if (b) {
        uint64_t limit = p->alloc_limit ? p->alloc_limit : USER_TOP;
        if (b % ps || b < NTK_LOWEST_USER_ADDRESS || b >= limit || s > limit - b)
            return NTK_STATUS_INVALID_PARAMETER;
        if (!vad_range_free(p->vads, b, b + s))
            return NTK_STATUS_CONFLICTING_ADDRESSES;
        *start = b;
        return NTK_STATUS_SUCCESS;
    }
    *start = vm_find_room(p, s, ps, top_down);
    return *start ? NTK_STATUS_SUCCESS : NTK_STATUS_NO_MEMORY;
}

ntk_status largepage_allocate(struct process *p, uint64_t *base, uint64_t *size,
                              uint32_t type, uint32_t protect, uint64_t ps)
{
    uint64_t b = *base, s = *size, start;
    if ((type & ~LARGE_TYPES) ||
        (type & (NTK_MEM_COMMIT | NTK_MEM_RESERVE)) != (NTK_MEM_COMMIT | NTK_MEM_RESERVE))
        return NTK_STATUS_INVALID_PARAMETER; /* reserved and committed at once */
    if (protect != NTK_PAGE_READWRITE && protect != NTK_PAGE_READONLY &&
        protect != NTK_PAGE_EXECUTE_READWRITE)
        return NTK_STATUS_INVALID_PAGE_PROTECTION;
    if (!privilege_enabled(p, NTK_SE_LOCK_MEMORY_PRIVILEGE))
        return NTK_STATUS_PRIVILEGE_NOT_HELD;
    if (!s || s % ps || s > USER_TOP)
        return NTK_STATUS_INVALID_PARAMETER;
    ntk_status st = place(p, b, s, ps, (type & NTK_MEM_TOP_DOWN) != 0, &start);
    if (!NTK_SUCCESS(st))
        return st;
    struct vad *v = kalloc(sizeof *v);
    if (!v)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    if (!commit_charge(s / PAGE_SIZE)) {
        kfree(v);
        return NTK_STATUS_COMMITMENT_LIMIT;
    }
    v->start = start;
    v->end = start + s;
    v->alloc_protect = protect;
    v->type = NTK_MEM_PRIVATE;
    v->flags = VAD_LARGE | (ps == NTK_HUGE_PAGE_SIZE ? VAD_HUGE : 0);
    if (!NTK_SUCCESS(st = map_pages(p, v))) {
        commit_release(s / PAGE_SIZE);
        kfree(v);
        return st;
    }
    v->committed = s / PAGE_SIZE;
    p->commit += v->committed;
    vad_insert(&p->vads, v);
    vm_reserved(p, v);
    *base = start;
    *size = s;
    return NTK_STATUS_SUCCESS;
}

void largepage_release(struct process *p, struct vad *v)
{
    free_pages(p, v, v->start, v->end);
    p->commit -= v->committed;
    commit_release(v->committed);
    v->committed = 0;
}

ntk_status largepage_fault(struct process *p, struct vad *v, uint64_t va, int access)
{
    uint64_t *e = entry_of(p, v, va);
    if (!e || !(*e & X86_PTE_P) || (access == FAULT_WRITE && !(*e & X86_PTE_RW)) ||
        (access == FAULT_EXECUTE && (*e & X86_PTE_XD)))
        return NTK_STATUS_ACCESS_VIOLATION;
    pmap_flush(p->pml4, va); /* present and allowed: a stale TLB entry */
    return NTK_STATUS_SUCCESS;
}

ntk_status largepage_physical(struct process *p, struct vad *v, uint64_t va, uint64_t *pa)
{
    uint64_t *e = entry_of(p, v, va), ps = page_size_of(v);
    if (!e || !(*e & X86_PTE_P))
        return NTK_STATUS_INVALID_ADDRESS;
    *pa = (*e & X86_PTE_ADDR_MASK & ~(ps - 1)) + (va & (ps - 1));
    return NTK_STATUS_SUCCESS;
}

/* The page size MEM_EXTENDED_PARAMETERs ask for: 0 none. */
static ntk_status page_size_asked(uint64_t uparams, uint64_t count, uint64_t *ps)
{
    uint64_t flags = 0;
    *ps = 0;
    if (count > NTK_MEM_EXTENDED_PARAMETERS_MAX || (count && !uparams))
        return NTK_STATUS_INVALID_PARAMETER;
    for (uint64_t i = 0; i < count; i++) {
        struct ntk_mem_extended_parameter e;
        ntk_status st = copy_from_user(&e, uparams + i * sizeof e, sizeof e);
        if (!NTK_SUCCESS(st))
            return st;
        if (e.type >> 8)
            return NTK_STATUS_INVALID_PARAMETER;
        if (e.type != NTK_MEM_EXTENDED_PARAMETER_ATTRIBUTE_FLAGS)
            return NTK_STATUS_NOT_SUPPORTED; /* address requirements, NUMA nodes, ... */
        flags |= e.value;
    }
    if (flags & ~(uint64_t)(NTK_MEM_EXTENDED_PARAMETER_NONPAGED |
                            NTK_MEM_EXTENDED_PARAMETER_NONPAGED_LARGE |
                            NTK_MEM_EXTENDED_PARAMETER_NONPAGED_HUGE))
        return NTK_STATUS_INVALID_PARAMETER;
    if (flags & NTK_MEM_EXTENDED_PARAMETER_NONPAGED_HUGE)
        *ps = NTK_HUGE_PAGE_SIZE;
    else if (flags & NTK_MEM_EXTENDED_PARAMETER_NONPAGED_LARGE)
        *ps = NTK_LARGE_PAGE_SIZE;
    else if (flags)
        return NTK_STATUS_NOT_SUPPORTED; /* non-paged 4 KB pages */
    return NTK_STATUS_SUCCESS;
}

/* NtAllocateVirtualMemoryEx(Process, *Base, *Size, Type, Protect,
 *                           *ExtendedParameters, Count): the attribute flags
 * NONPAGED_LARGE and NONPAGED_HUGE choose 2 MB or 1 GB pages (with
 * MEM_RESERVE | MEM_COMMIT, as MEM_LARGE_PAGES); without them, as
 * NtAllocateVirtualMemory. */
ntk_status svc_allocate_ex(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t base, size, ps;
    ntk_status st = get_u64(a[1], &base);
    if (NTK_SUCCESS(st))
        st = get_u64(a[2], &size);
    if (NTK_SUCCESS(st))
        st = page_size_asked(a[5], (uint32_t)a[6], &ps);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    uint32_t type = (uint32_t)a[3], protect = (uint32_t)a[4];
    if (p->terminating)
        st = NTK_STATUS_PROCESS_IS_TERMINATING;
    else if (ps)
        st = largepage_allocate(p, &base, &size, type | NTK_MEM_LARGE_PAGES, protect, ps);
    else
        st = vm_allocate(p, &base, &size, type, protect, 0);
    object_deref(&p->obj);
    if (NTK_SUCCESS(st) && NTK_SUCCESS(st = put_u64(a[1], base)))
        st = put_u64(a[2], size);
    return st;
}
