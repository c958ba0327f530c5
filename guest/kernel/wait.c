/*
 * wait.c - waiting: for an object to be signaled (a process or thread that
 * has ended), with an optional timeout, and sleeping, both in virtual time.
 *
 * A waiting thread is on its object's waiter list and, if it has a deadline,
 * on the sleep list, which the timer tick (every millisecond of virtual
 * time) scans.  Whoever ends the wait - the object being signaled, the
 * deadline, or the thread being terminated - takes the thread off both lists,
 * sets the status its wait returns, and makes it ready.
 */
#include "guest/kernel/kernel.h"

static struct thread *sleepers;

static void unlink_waiter(struct thread *t)
{
    if (t->waiting_on) {
        for (struct thread **l = &t->waiting_on->waiters; *l; l = &(*l)->wait_next)
            if (*l == t) {
                *l = t->wait_next;
                break;
            }
        t->waiting_on = NULL;
        t->wait_next = NULL;
    }
    if (t->wake_time) {
        for (struct thread **l = &sleepers; *l; l = &(*l)->sleep_next)
            if (*l == t) {
                *l = t->sleep_next;
                break;
            }
        t->wake_time = 0;
        t->sleep_next = NULL;
    }
}

static void end_wait(struct thread *t, ntk_status status)
{
    unlink_waiter(t);
    t->wait_status = status;
    sched_ready(t);
}

static ntk_status block(struct object *o, uint64_t timeout_ns)
{
    struct thread *t = current;
    if (t->terminate_pending)
        return NTK_STATUS_PROCESS_IS_TERMINATING;
    t->waiting_on = o;
    if (o) {
        t->wait_next = o->waiters;
        o->waiters = t;
    }
    if (timeout_ns != UINT64_MAX) {
        uint64_t now = now_ns();
        t->wake_time = timeout_ns > UINT64_MAX - now - 1 ? UINT64_MAX - 1 : now + timeout_ns;
        t->sleep_next = sleepers;
        sleepers = t;
    }
    t->wait_status = NTK_STATUS_PENDING;
    t->state = TS_WAITING;
    sched_block();
    return t->wait_status;
}

ntk_status wait_object(struct object *o, uint64_t timeout_ns)
{
    if (o->signaled)
        return NTK_STATUS_WAIT_0;
    if (timeout_ns == 0)
        return NTK_STATUS_TIMEOUT;
    return block(o, timeout_ns);
}

ntk_status wait_sleep(uint64_t ns)
{
    if (ns == 0) {
        sched_yield();
        return NTK_STATUS_SUCCESS;
    }
    ntk_status st = block(NULL, ns);
    return st == NTK_STATUS_TIMEOUT ? NTK_STATUS_SUCCESS : st;
}

void wait_wake_all(struct object *o)
{
    while (o->waiters)
        end_wait(o->waiters, NTK_STATUS_WAIT_0);
}

void wait_abort(struct thread *t, ntk_status status)
{
    if (t->state == TS_WAITING && (t->waiting_on || t->wake_time))
        end_wait(t, status);
}

uint64_t wait_next_wake(void)
{
    uint64_t t = 0;
    for (struct thread *s = sleepers; s; s = s->sleep_next)
        if (!t || s->wake_time < t)
            t = s->wake_time;
    return t;
}

void wait_timer_check(uint64_t now)
{
    for (struct thread *t = sleepers, *next; t; t = next) {
        next = t->sleep_next;
        if (t->wake_time <= now)
            end_wait(t, NTK_STATUS_TIMEOUT);
    }
}
