/*
 * view.c - views of data and paging-file sections (MEM_MAPPED regions):
 * NtMapViewOfSection, NtUnmapViewOfSection, NtFlushVirtualMemory, and the
 * way a view's dirty pages go back to their file.
 *
 * A view is a VAD of type MEM_MAPPED over whole pages from a 64 KB-aligned
 * base, naming its section (a reference), the first section page it shows
 * and the section object's protection; its PTEs are those of image views
 * (vm.c): "ask the section" until touched, then the section's shared frame
 * - every view of the section, in any process, maps the same frame - or,
 * after a write to a PAGE_WRITECOPY page, a private copy.
 *
 * A write through a PAGE_READWRITE view sets its PTE's dirty bit.  Before a
 * page goes back to its file the dirty bits of the views being flushed are
 * moved to the section (vm_take_dirty clears one and invalidates the TLB
 * entry, so the next write sets it again; section_note_dirty marks the
 * prototype entry PROTO_MODIFIED), then every modified page of the range
 * is written to the file (section_write_back).  That happens on
 * NtFlushVirtualMemory (FlushViewOfFile), when a view is unmapped (also at
 * process exit, which unmaps them all), and before the machine stops
 * (view_flush_all).  Pages dirtied through another process's view go back
 * when that view is flushed or unmapped, as on Windows, where a flush
 * writes what the flushing process's view has modified and what the
 * section already knows is modified.
 */
#include "guest/kernel/kernel.h"

#define GRANULE NTK_ALLOCATION_GRANULARITY

/* The rights a view of each protection needs on its section handle (NT's
 * MmMakeSectionAccess: a read-write view needs SECTION_MAP_WRITE only). */
static const struct {
    uint32_t protect, access;
} view_access[] = {
    { NTK_PAGE_NOACCESS, NTK_SECTION_MAP_READ },
    { NTK_PAGE_READONLY, NTK_SECTION_MAP_READ },
    { NTK_PAGE_EXECUTE, NTK_SECTION_MAP_EXECUTE },
    { NTK_PAGE_EXECUTE_READ, NTK_SECTION_MAP_EXECUTE | NTK_SECTION_MAP_READ },
    { NTK_PAGE_READWRITE, NTK_SECTION_MAP_WRITE },
    { NTK_PAGE_WRITECOPY, NTK_SECTION_MAP_READ },
    { NTK_PAGE_EXECUTE_READWRITE, NTK_SECTION_MAP_EXECUTE | NTK_SECTION_MAP_WRITE },
    { NTK_PAGE_EXECUTE_WRITECOPY, NTK_SECTION_MAP_EXECUTE | NTK_SECTION_MAP_READ },
};

/* The handle rights Win32Protect needs, or 0 if it is not one protection. */
static uint32_t access_for(uint32_t protect)
{
    for (unsigned i = 0; i < sizeof view_access / sizeof view_access[0]; i++)
        if (view_access[i].protect == protect)
            return view_access[i].access;
    return 0;
}

/* Move the dirty bits of [start, end) of view v to its section. */
static void collect_dirty(struct process *p, struct vad *v, uint64_t start, uint64_t end)
{
    for (uint64_t va = start; va < end; va += PAGE_SIZE)
        if (vm_take_dirty(p, va))
            section_note_dirty(v->section, vm_view_page(v, va));
}

/* Write the modified pages behind [start, end) of a data view to its file. */
static ntk_status write_back(struct process *p, struct vad *v, uint64_t start, uint64_t end)
{
    collect_dirty(p, v, start, end);
    return section_write_back(v->section, vm_view_page(v, start),
                              (uint32_t)((end - start) / PAGE_SIZE));
}

void view_release(struct process *p, struct vad *v)
{
    if (v->section->kind == SECTION_DATA)
        write_back(p, v, v->start, v->end); /* a disk error leaves them modified */
    vm_unmap_view(p, v);
}

static void flush_process(struct process *p)
{
    for (struct vad *v = vad_first(p->vads); v; v = vad_successor(v))
        if (v->type == NTK_MEM_MAPPED && v->section->kind == SECTION_DATA)
            write_back(p, v, v->start, v->end);
}

void view_flush_all(void)
{
    uint32_t cursor = 0;
    for (struct process *p; (p = process_next(&cursor));)
        flush_process(p);
}

/* ---- NtMapViewOfSection ---------------------------------------------------- */

struct map_args {
    uint64_t base, offset, size, commit;
    uint32_t protect;
};

/* The view's offset and size against the section object: offsets are
 * multiples of 64 KB; a size of 0 maps to the end of the section. */
static ntk_status place_in_section(const struct section_object *so, struct map_args *m)
{
    if ((int64_t)m->offset < 0 || m->offset % GRANULE)
        return NTK_STATUS_MAPPED_ALIGNMENT;
    if (m->offset >= so->size)
        return NTK_STATUS_INVALID_VIEW_SIZE;
    if (!m->size)
        m->size = so->size - m->offset;
    else if (m->size > so->size - m->offset)
        return NTK_STATUS_INVALID_VIEW_SIZE;
    if (so->s->kind == SECTION_DATA ? m->commit != 0 : m->commit > so->size)
        return NTK_STATUS_INVALID_PARAMETER_5; /* SEC_COMMIT: nothing more to commit */
    if (!section_protection_compatible(so->protect, m->protect))
        return NTK_STATUS_SECTION_PROTECTION;
    return NTK_STATUS_SUCCESS;
}

static ntk_status map_into(struct section_object *so, uint64_t process, struct map_args *m)
{
    ntk_status st = place_in_section(so, m);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(process);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    uint64_t pages = PAGE_ROUND_UP(m->size) / PAGE_SIZE;
    st = p->terminating ? NTK_STATUS_PROCESS_IS_TERMINATING
                        : vm_map_view(p, so->s, m->offset / PAGE_SIZE, pages, m->protect,
                                      so->protect, &m->base);
    object_deref(&p->obj);
    m->size = pages * PAGE_SIZE;
    return st;
}

/* NtMapViewOfSection(Section, Process, *Base, ZeroBits, CommitSize,
 *                    *SectionOffset, *ViewSize, InheritDisposition,
 *                    AllocationType, Win32Protect) */
ntk_status svc_map_view(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct map_args m = { .commit = a[4], .protect = (uint32_t)a[9] };
    ntk_status st = get_u64(a[2], &m.base);
    if (NTK_SUCCESS(st))
        st = get_u64(a[6], &m.size);
    if (NTK_SUCCESS(st) && a[5])
        st = get_u64(a[5], &m.offset);
    if (!NTK_SUCCESS(st))
        return st;
    /* InheritDisposition and AllocationType are ULONGs on the user stack:
     * only their low halves are the caller's. */
    if ((uint32_t)a[7] != NTK_VIEW_SHARE && (uint32_t)a[7] != NTK_VIEW_UNMAP)
        return NTK_STATUS_INVALID_PARAMETER_8;
    if ((uint32_t)a[8] & ~(uint32_t)NTK_MEM_TOP_DOWN)
        return NTK_STATUS_INVALID_PARAMETER_9;
    uint32_t access = access_for(m.protect);
    if (!access)
        return NTK_STATUS_INVALID_PAGE_PROTECTION;
    if (a[3])
        return NTK_STATUS_INVALID_PARAMETER_4; /* ZeroBits: not supported */
    if (m.base >= USER_TOP || m.size > USER_TOP)
        return NTK_STATUS_INVALID_PARAMETER_3;
    if (m.base % GRANULE)
        return NTK_STATUS_MAPPED_ALIGNMENT;
    struct object *o;
    if (!NTK_SUCCESS(st = handle_reference(current->proc, a[0], OBJ_SECTION, access, &o)))
        return st;
    st = map_into((struct section_object *)o, a[1], &m);
    object_deref(o);
    if (NTK_SUCCESS(st) && NTK_SUCCESS(st = put_u64(a[2], m.base)))
        st = put_u64(a[6], m.size);
    return st;
}

/* ---- NtUnmapViewOfSection, NtFlushVirtualMemory ------------------------------- */

/* The MEM_MAPPED view of p holding va, or NULL. */
static struct vad *view_at(struct process *p, uint64_t va)
{
    struct vad *v = va < USER_TOP ? vad_find(p->vads, PAGE_ROUND_DOWN(va)) : NULL;
    return v && v->type == NTK_MEM_MAPPED ? v : NULL;
}

/* NtUnmapViewOfSection(Process, Base): Base anywhere in the view, as NT
 * takes it.  Image views stay until their process ends. */
ntk_status svc_unmap_view(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    struct vad *v = view_at(p, a[1]);
    ntk_status st = NTK_STATUS_NOT_MAPPED_VIEW;
    if (v) {
        view_release(p, v);
        vad_remove(&p->vads, v);
        kfree(v);
        st = NTK_STATUS_SUCCESS;
    }
    object_deref(&p->obj);
    return st;
}

/* Flush [*base, *base + *size) of p (size 0: to the end of the view). */
static ntk_status flush_range(struct process *p, uint64_t *base, uint64_t *size)
{
    uint64_t start = PAGE_ROUND_DOWN(*base);
    struct vad *v = *base < USER_TOP ? vad_find(p->vads, start) : NULL;
    if (v && v->type == NTK_MEM_IMAGE)
        return NTK_STATUS_NOT_MAPPED_DATA;
    if (!v || v->type != NTK_MEM_MAPPED || *size > v->end - *base)
        return NTK_STATUS_NOT_MAPPED_VIEW;
    uint64_t end = *size ? PAGE_ROUND_UP(*base + *size) : v->end;
    *base = start;
    *size = end - start;
    if (v->section->kind != SECTION_DATA)
        return NTK_STATUS_NOT_MAPPED_DATA; /* paging-file backed: nothing to write */
    return write_back(p, v, start, end);
}

/* NtFlushVirtualMemory(Process, *Base, *Size, *IoStatus) */
ntk_status svc_flush_virtual_memory(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t base, size;
    struct ntk_io_status_block io = { 0 };
    ntk_status st = get_u64(a[1], &base);
    if (NTK_SUCCESS(st))
        st = get_u64(a[2], &size);
    if (NTK_SUCCESS(st))
        st = copy_to_user(a[3], &io, sizeof io);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    st = flush_range(p, &base, &size);
    object_deref(&p->obj);
    if (st == NTK_STATUS_NOT_MAPPED_VIEW)
        return st;
    io.status = st;
    ntk_status put = put_u64(a[1], base);
    if (NTK_SUCCESS(put))
        put = put_u64(a[2], size);
    if (NTK_SUCCESS(put))
        put = copy_to_user(a[3], &io, sizeof io);
    return NTK_SUCCESS(put) ? st : put;
}
