/*
 * process.c - processes: an address space (PML4 + VAD tree), a handle
 * table, threads, an exit status, and a PID.
 *
 * PIDs and TIDs come from one table of client IDs (NT's PspCidTable): the
 * lowest free slot, times four, so they are multiples of four, unique among
 * live objects, and reused once an object is destroyed.  The System process
 * (PID 4 at boot... the first ID handed out) owns the kernel threads and
 * the kernel's address space.
 *
 * Every new address space starts with:
 *   - the machine's range [RAISE_VA32, 4 GB) (shared/bootinfo.h) reserved
 *     by the system, so nothing is ever mapped there;
 *   - the PEB, one page, placed by the system top-down on a page boundary
 *     (not a 64 KB one), as Windows places PEB and TEBs.
 * The image (loader.c) and the first thread's TEB and stack (thread.c) come
 * next.
 */
#include "guest/kernel/kernel.h"

#define MAX_CIDS 1024
static void *cid_table[MAX_CIDS];
struct process *system_process;

uint32_t cid_alloc(void *obj)
{
    for (uint32_t i = 1; i < MAX_CIDS; i++)
        if (!cid_table[i]) {
            cid_table[i] = obj;
            return i * 4;
        }
    return 0;
}

void cid_free(uint32_t id)
{
    KASSERT(id && id / 4 < MAX_CIDS && cid_table[id / 4]);
    cid_table[id / 4] = NULL;
}

void *cid_lookup(uint32_t id)
{
    return (id & 3) || id / 4 >= MAX_CIDS ? NULL : cid_table[id / 4];
}

/* The next user process with an address space, in PID order (the balance
 * set manager and view_flush_all walk them). */
struct process *process_next(uint32_t *cursor)
{
    while (++*cursor < MAX_CIDS) {
        struct object *o = cid_table[*cursor];
        if (o && o->type == OBJ_PROCESS && o != &system_process->obj &&
            ((struct process *)o)->vads)
            return (struct process *)o;
    }
    return NULL;
}

void process_init(void)
{
    static struct process sys;
    sys.obj.type = OBJ_PROCESS;
    sys.obj.refs = 1;
    sys.pid = cid_alloc(&sys);
    sys.pml4 = kernel_pml4;
    sys.exit_status = NTK_STATUS_PENDING;
    memcpy(sys.name, "System", 7);
    system_process = &sys;
}

static void copy_name(char *dst, const char *src, size_t n)
{
    const char *base = src;
    for (const char *s = src; *s; s++)
        if (*s == '/')
            base = s + 1;
    size_t i = 0;
    for (; i + 1 < n && base[i]; i++)
        dst[i] = base[i];
    dst[i] = 0;
}

struct process *process_create(const char *name, uint32_t parent_pid, uint64_t alloc_limit)
{
    struct process *p = kalloc(sizeof *p);
    if (!p)
        return NULL;
    p->obj.type = OBJ_PROCESS;
    p->obj.refs = 1; /* the creator's, until it makes a handle or lets go */
    p->exit_status = NTK_STATUS_PENDING;
    p->parent_pid = parent_pid;
    p->alloc_limit = alloc_limit;
    copy_name(p->name, name, sizeof p->name);
    ws_init(p);
    token_init_process(p);
    p->pml4 = pmap_create();
    p->pid = cid_alloc(p);
    if (!p->pml4 || !p->pid) {
        if (p->pml4)
            pfn_free(p->pml4);
        if (p->pid)
            cid_free(p->pid);
        kfree(p);
        return NULL;
    }
    uint64_t base = RAISE_VA32, size = RAISE_PAGES * PAGE_SIZE;
    ntk_status st = vm_allocate(p, &base, &size, NTK_MEM_RESERVE, NTK_PAGE_NOACCESS, VAD_SYSTEM);
    uint64_t peb = 0, psize = NTK_PEB_SIZE;
    if (NTK_SUCCESS(st))
        st = vm_allocate(p, &peb, &psize, NTK_MEM_RESERVE | NTK_MEM_COMMIT | NTK_MEM_TOP_DOWN,
                         NTK_PAGE_READWRITE, VAD_SYSTEM);
    if (!NTK_SUCCESS(st)) {
        process_destroy(p);
        return NULL;
    }
    p->peb = peb;
    return p;
}

ntk_status process_start(struct process *p, uint64_t stack_commit, uint64_t stack_reserve,
                         struct thread **tp)
{
    ntk_status st = vm_write_process(p, p->peb + NTK_PEB_IMAGE_BASE, &p->image_base, 8);
    if (NTK_SUCCESS(st))
        st = thread_create_user(p, p->entry, p->peb, stack_commit, stack_reserve, 0, tp);
    return st;
}

/* A process that never started: undo it. */
void process_abandon(struct process *p)
{
    p->terminating = true;
    vm_release_all(p);
    object_deref(&p->obj);
}

/* An ELF image (the test and demonstration programs) or a PE one
 * (image.c). */
ntk_status process_create_from_image(const char *image, const char *cmdline,
                                     uint32_t parent_pid, struct process **pp,
                                     struct thread **tp)
{
    struct volume_file f;
    if (!volume_find(image, &f))
        return NTK_STATUS_OBJECT_NAME_NOT_FOUND;
    if (!loader_is_elf(&f)) {
        struct process_args a = { image, cmdline };
        return image_create_process(&a, parent_pid, pp, tp);
    }
    struct process *p = process_create(image, parent_pid, 0);
    if (!p)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    ntk_status st = loader_load(p, &f);
    if (NTK_SUCCESS(st))
        st = process_start(p, 0, 0, tp);
    if (!NTK_SUCCESS(st)) {
        process_abandon(p);
        return st;
    }
    *pp = p;
    return NTK_STATUS_SUCCESS;
}

/* End every thread of p; the current thread, if it is one, exits now. */
void process_terminate(struct process *p, int32_t status)
{
    if (!p->terminating) {
        p->terminating = true;
        p->exit_status = status;
        for (struct thread *t = p->threads; t; t = t->proc_next)
            if (t != current)
                thread_terminate(t, status);
    }
    if (current->proc == p)
        thread_exit(status);
}

/* The last thread has ended: the process is over.  Its address space is
 * emptied now (the PML4 and page tables go when the object does), its
 * handles closed, and waiters woken. */
void process_thread_ended(struct process *p)
{
    if (!p->terminating) {
        p->terminating = true;
        p->exit_status = current->exit_status; /* the last thread's status */
    }
    vm_release_all(p);
    handle_close_all(p);
    object_signal(&p->obj);
}

void process_destroy(struct process *p)
{
    KASSERT(!p->vads || p->nthreads == 0);
    if (p->vads)
        vm_release_all(p);
    pmap_destroy(p->pml4);
    cid_free(p->pid);
    kfree(p);
}
