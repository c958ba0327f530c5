/*
 * exception.c - the user-mode side of exceptions: vectored exception
 * handlers and RtlDispatchException, which KiUserExceptionDispatcher
 * (dispatch.S) calls for every exception the kernel hands to user mode, and
 * RtlRaiseException for exceptions software raises.
 *
 * Vectored handlers run in list order (AddVectoredExceptionHandler puts a
 * handler first when First is nonzero, else last).  Each gets
 * EXCEPTION_POINTERS; EXCEPTION_CONTINUE_EXECUTION (-1) ends the search and
 * resumes the thread with the (possibly changed) context,
 * EXCEPTION_CONTINUE_SEARCH (0) goes on to the next one.  There are no
 * frame-based (SEH) handlers: programs are built without unwind tables
 * (docs/programs.md), so when no vectored handler takes an exception it is
 * unhandled and the dispatcher ends the process through
 * NtRaiseException(FirstChance = FALSE).
 *
 * The list is shared by the process's threads.  As in Windows, a handler
 * runs without the list's lock held (it may add or remove handlers, or
 * raise an exception itself): each entry has a reference count, a walk
 * holds a reference on the entry whose handler runs, and a removed entry is
 * unlinked and freed by whoever drops its last reference.
 */
#include "guest/ntdll/ntdll.h"

struct vectored_handler {
    struct vectored_handler *next, *prev;
    PVECTORED_EXCEPTION_HANDLER handler;
    LONG refs;         /* 1 for being in the list, +1 per running walk */
    BOOL removed;
};

/* The process's list: a circular list with a sentinel. */
static struct {
    RTL_SRWLOCK lock;
    struct vectored_handler head;
} vectored = { { NULL }, { &vectored.head, &vectored.head, NULL, 0, FALSE } };

PVOID NTAPI RtlAddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler)
{
    struct vectored_handler *v = RtlAllocateHeap(RtlkProcessHeap(), 0, sizeof *v);
    if (!v)
        return NULL;
    v->handler = Handler;
    v->refs = 1;
    v->removed = FALSE;
    RtlAcquireSRWLockExclusive(&vectored.lock);
    struct vectored_handler *before = First ? vectored.head.next : &vectored.head;
    v->next = before;
    v->prev = before->prev;
    before->prev->next = v;
    before->prev = v;
    RtlReleaseSRWLockExclusive(&vectored.lock);
    return v;
}

/*
 * Drop a reference taken by a walk or held by the list.  The last one
 * unlinks the entry and frees it: until then a removed entry stays linked
 * (walks skip it), so the entry a walk stands on always has a valid next.
 */
static void release(struct vectored_handler *v)
{
    RtlAcquireSRWLockExclusive(&vectored.lock);
    BOOL last = --v->refs == 0;
    if (last) {
        v->prev->next = v->next;
        v->next->prev = v->prev;
    }
    RtlReleaseSRWLockExclusive(&vectored.lock);
    if (last)
        RtlFreeHeap(RtlkProcessHeap(), 0, v);
}

ULONG NTAPI RtlRemoveVectoredExceptionHandler(PVOID Handle)
{
    struct vectored_handler *found = NULL;
    RtlAcquireSRWLockExclusive(&vectored.lock);
    for (struct vectored_handler *v = vectored.head.next; v != &vectored.head; v = v->next) {
        if (v == Handle && !v->removed) {
            v->removed = TRUE;
            found = v;
            break;
        }
    }
    RtlReleaseSRWLockExclusive(&vectored.lock);
    if (found)
        release(found); /* the list's reference */
    return found != NULL;
}

/* The entry after v (or the first, for v = NULL) that is not removed, with a
 * reference taken; v's reference is dropped. */
static struct vectored_handler *next_handler(struct vectored_handler *v)
{
    RtlAcquireSRWLockExclusive(&vectored.lock);
    struct vectored_handler *n = v ? v->next : vectored.head.next;
    while (n != &vectored.head && n->removed)
        n = n->next;
    if (n != &vectored.head)
        n->refs++;
    else
        n = NULL;
    RtlReleaseSRWLockExclusive(&vectored.lock);
    if (v)
        release(v);
    return n;
}

BOOLEAN NTAPI RtlDispatchException(PEXCEPTION_RECORD Record, PCONTEXT Context)
{
    EXCEPTION_POINTERS pointers = { Record, Context };
    for (struct vectored_handler *v = next_handler(NULL); v; v = next_handler(v)) {
        if (v->handler(&pointers) != EXCEPTION_CONTINUE_EXECUTION)
            continue;
        release(v);
        if (Record->ExceptionFlags & EXCEPTION_NONCONTINUABLE) {
            /* Windows: continuing a noncontinuable exception raises one. */
            EXCEPTION_RECORD nested = { 0 };
            nested.ExceptionCode = STATUS_NONCONTINUABLE_EXCEPTION;
            nested.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
            nested.ExceptionRecord = Record;
            RtlRaiseException(&nested);
        }
        return TRUE;
    }
    return FALSE;
}
