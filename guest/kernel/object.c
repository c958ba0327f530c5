/*
 * object.c - kernel objects and handles.
 *
 * Processes and threads are objects: they start with a dispatcher header
 * (struct object: reference count, signaled state, waiters).  An object lives
 * while something references it - a handle, a thread's reference to its
 * process, a live thread's reference to itself - and is destroyed when the
 * last reference goes; only then is its PID or TID free for reuse.
 *
 * A handle is an index into the process's handle table, times four, from 4
 * (NT's handles are multiples of four; 0 is never a handle).  The
 * pseudo-handles -1 and -2 name the current process and thread.
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
    if (o->type == OBJ_THREAD)
        thread_destroy((struct thread *)o);
    else
        process_destroy((struct process *)o);
}

void object_signal(struct object *o)
{
    o->signaled = true;
    wait_wake_all(o);
}

ntk_status handle_create(struct process *p, struct object *o, uint64_t *h)
{
    for (unsigned i = 0; i < MAX_HANDLES; i++)
        if (!p->handles[i]) {
            p->handles[i] = o;
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
