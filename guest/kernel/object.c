/*
 * object.c - kernel objects and handles.
 *
 * Processes and threads are objects: they start with a dispatcher header
 * (struct object: reference count, signaled state, waiters).  An object lives
 * while something references it - a handle, a thread's reference to its
 * process, a live thread's reference to itself - and is destroyed when the
 * last reference goes; only then is its PID or TID free for reuse.
 *
 * Files, sections and tokens are objects too (file.c, mapped.c, token.c),
 * without waiters.
 *
 * A handle is an index into the process's handle table, times four, from 4
 * (NT's handles are multiples of four; 0 is never a handle).  The
 * pseudo-handles -1 and -2 name the current process and thread.  Each
 * handle grants an access mask: what it was opened for (sections, tokens),
 * or everything (ACCESS_ALL: processes and threads, whose rights are not
 * checked yet; files check the rights of the file object itself).
 */
#include "guest/kernel/kernel.h"

void object_ref(struct object *o)
{
    o->refs++;
}

void object_deref(struct object *o)
{
    KASSERT(o->refs > 0);
    if (--o->refs)
        return;
    switch (o->type) {
    case OBJ_THREAD: thread_destroy((struct thread *)o); break;
    case OBJ_PROCESS: process_destroy((struct process *)o); break;
    case OBJ_FILE: file_destroy((struct file *)o); break;
    case OBJ_SECTION: section_object_destroy((struct section_object *)o); break;
    case OBJ_TOKEN: token_destroy((struct token *)o); break;
    case OBJ_EVENT: panic("kernel event %p dereferenced to 0: they are static", (void *)o);
    }
}

void object_signal(struct object *o)
{
    o->signaled = true;
    wait_wake_all(o);
}

/* GENERIC_READ, _WRITE, _EXECUTE, _ALL of each type (NT's GENERIC_MAPPING). */
static const uint32_t generic_mapping[][4] = {
    [OBJ_FILE] = { 0x00120089, 0x00120116, 0x001200A0, NTK_FILE_ALL_ACCESS },
    [OBJ_SECTION] = { 0x00020005, 0x00020002, 0x00020008, NTK_SECTION_ALL_ACCESS },
    [OBJ_TOKEN] = { 0x00020008, 0x000200E0, 0x00020000, NTK_TOKEN_ALL_ACCESS },
};

uint32_t access_map_generic(enum object_type type, uint32_t access)
{
    static const uint32_t generic[4] = { NTK_GENERIC_READ, NTK_GENERIC_WRITE,
                                         NTK_GENERIC_EXECUTE, NTK_GENERIC_ALL };
    if ((unsigned)type >= sizeof generic_mapping / sizeof generic_mapping[0])
        return access;
    if (access & NTK_MAXIMUM_ALLOWED) /* no security descriptors: all is allowed */
        access = (access & ~NTK_MAXIMUM_ALLOWED) | NTK_GENERIC_ALL;
    for (unsigned i = 0; i < 4; i++)
        if (access & generic[i])
            access = (access & ~generic[i]) | generic_mapping[type][i];
    return access;
}

ntk_status handle_create(struct process *p, struct object *o, uint64_t *h)
{
    return handle_create_access(p, o, ACCESS_ALL, h);
}

ntk_status handle_create_access(struct process *p, struct object *o, uint32_t access,
                                uint64_t *h)
{
    for (unsigned i = 0; i < MAX_HANDLES; i++)
        if (!p->handles[i]) {
            p->handles[i] = o;
            p->access[i] = access;
            object_ref(o);
            *h = (uint64_t)(i + 1) * 4;
            return NTK_STATUS_SUCCESS;
        }
    return NTK_STATUS_INSUFFICIENT_RESOURCES;
}

static struct object **slot(struct process *p, uint64_t h)
{
    if (h == 0 || (h & 3) || h / 4 > MAX_HANDLES)
        return NULL;
    struct object **s = &p->handles[h / 4 - 1];
    return *s ? s : NULL;
}

ntk_status handle_close(struct process *p, uint64_t h)
{
    if (h == NTK_CURRENT_PROCESS || h == NTK_CURRENT_THREAD)
        return NTK_STATUS_SUCCESS; /* closing a pseudo-handle does nothing */
    struct object **s = slot(p, h);
    if (!s)
        return NTK_STATUS_INVALID_HANDLE;
    struct object *o = *s;
    *s = NULL;
    object_deref(o);
    return NTK_STATUS_SUCCESS;
}

void handle_close_all(struct process *p)
{
    for (unsigned i = 0; i < MAX_HANDLES; i++)
        if (p->handles[i])
            handle_close(p, (uint64_t)(i + 1) * 4);
}

ntk_status handle_reference(struct process *p, uint64_t h, enum object_type type,
                            uint32_t access, struct object **out)
{
    struct object *o = handle_get(p, h, 0);
    if (!o)
        return NTK_STATUS_INVALID_HANDLE;
    ntk_status st = NTK_STATUS_SUCCESS;
    struct object **s = h == NTK_CURRENT_PROCESS || h == NTK_CURRENT_THREAD ? NULL : slot(p, h);
    if (type && o->type != type)
        st = NTK_STATUS_OBJECT_TYPE_MISMATCH;
    else if (s && (access & ~p->access[s - p->handles]))
        st = NTK_STATUS_ACCESS_DENIED;
    if (!NTK_SUCCESS(st)) {
        object_deref(o);
        return st;
    }
    *out = o;
    return NTK_STATUS_SUCCESS;
}

/* The object behind h, with a reference the caller drops; type 0: any. */
struct object *handle_get(struct process *p, uint64_t h, enum object_type type)
{
    struct object *o;
    if (h == NTK_CURRENT_PROCESS)
        o = &current->proc->obj;
    else if (h == NTK_CURRENT_THREAD)
        o = &current->obj;
    else {
        struct object **s = slot(p, h);
        o = s ? *s : NULL;
    }
    if (!o || (type && o->type != type))
        return NULL;
    object_ref(o);
    return o;
}
