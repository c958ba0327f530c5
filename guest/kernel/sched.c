/*
 * sched.c - the scheduler: preemptive round robin on the local APIC timer.
 *
 * Thread states: Running (current), Ready (in a ready queue), Waiting (on an
 * object, a sleep, or work: wait.c, pfn.c), Terminated.  Two ready queues:
 * priority 1 for ordinary threads, priority 0 for the zero-page thread, which
 * runs only when no ordinary thread is ready; when neither has a thread the
 * idle thread (the boot context) halts the CPU until the next interrupt.
 *
 * The kernel runs with interrupts disabled.  Threads change when one waits
 * or exits, and at kernel boundaries: sched_poll(), called before every
 * return to user mode and between the zero-page thread's pages, wakes the
 * sleepers whose time has come and, once the running thread has had its
 * quantum (1 ms of virtual time) and another is ready, sends it to the back
 * of its queue.  The idle thread arms the timer for the next sleeper's
 * deadline and halts.  The timer also ends every quantum of a thread that
 * makes no system call (timer.c; "nopreempt" on the command line turns
 * that off).
 *
 * A switch: save the user FPU/SSE state (FXSAVE) of the thread leaving,
 * point TSS.RSP0 and the SYSCALL stack at the new thread's kernel stack, load
 * its address space (CR3; kernel pages are global and stay in the TLB) and
 * its TEB (user GS base), restore its FPU state, and swtch() stacks.
 */
#include "guest/kernel/kernel.h"

struct thread *current;
static struct thread *idle_thread;
static struct thread *queue_head[2], *queue_tail[2];
static struct thread *dead; /* exited, its stack still to be freed */
static uint64_t switches;
static uint64_t slice_start;

uint64_t now_ns(void)
{
    return rdtsc(); /* the TSC counts virtual nanoseconds (shared/devices.h) */
}

uint64_t sched_switches(void)
{
    return switches;
}

void sched_ready(struct thread *t)
{
    KASSERT(t != idle_thread && t->state != TS_TERMINATED);
    int q = t->priority > 0;
    t->state = TS_READY;
    t->run_next = NULL;
    if (queue_tail[q])
        queue_tail[q]->run_next = t;
    else
        queue_head[q] = t;
    queue_tail[q] = t;
}

static struct thread *pick(void)
{
    for (int q = 1; q >= 0; q--) {
        struct thread *t = queue_head[q];
        if (t) {
            queue_head[q] = t->run_next;
            if (!queue_head[q])
                queue_tail[q] = NULL;
            t->run_next = NULL;
            return t;
        }
    }
    return idle_thread;
}

/* Work the thread now running does for the one that left: free the stack of
 * a thread that exited (it could not free the stack it was running on). */
static void after_switch(void)
{
    if (dead && dead != current) {
        struct thread *t = dead;
        dead = NULL;
        thread_reap(t);
    }
}

void sched_new_thread_begins(void);
void sched_new_thread_begins(void)
{
    after_switch();
}

static void fxsave(uint8_t *area)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
}

static void fxrstor(const uint8_t *area)
{
    __asm__ volatile("fxrstor64 %0" ::"m"(*(const uint8_t(*)[512])area));
}

static void switch_to(struct thread *next)
{
    struct thread *prev = current;
    if (next == prev) {
        prev->state = TS_RUNNING;
        return;
    }
    if (prev->user && prev->state != TS_TERMINATED)
        fxsave(prev->fpu);
    if (prev->state == TS_TERMINATED)
        dead = prev;
    current = next;
    next->state = TS_RUNNING;
    cpu_set_kernel_stack(next->kstack_top);
    pmap_switch(next->proc->pml4);
    if (next->user) {
        wrmsr(X86_MSR_GS_BASE, next->teb);
        fxrstor(next->fpu);
    }
    switches++;
    slice_start = now_ns();
    swtch(&prev->ksp, next->ksp);
    after_switch();
}

void sched_yield(void)
{
    if (current != idle_thread)
        sched_ready(current);
    switch_to(pick());
}

void sched_block(void)
{
    KASSERT(current->state == TS_WAITING || current->state == TS_TERMINATED);
    switch_to(pick());
}

void sched_poll(void)
{
    uint64_t wake = wait_next_wake();
    if (!wake && !queue_head[1] && (current->priority > 0 || !queue_head[0]))
        return; /* the common case: nothing to wake, nobody to give the CPU to */
    uint64_t now = now_ns();
    if (wake && wake <= now)
        wait_timer_check(now);
    if (current == idle_thread)
        return;
    bool others = queue_head[1] || (current->priority == 1 && queue_head[0]);
    if (queue_head[1] && current->priority == 0)
        sched_yield(); /* the zero-page thread gives way at once */
    else if (others && now - slice_start >= TIMER_QUANTUM_NS)
        sched_yield();
}

/* The timer interrupt: from user mode (preempt mode), end the quantum;
 * in the idle loop, just wake it up. */
void sched_timer_tick(bool from_user)
{
    stats_publish();
    if (timer_preempt)
        timer_arm_at(now_ns() + TIMER_QUANTUM_NS);
    if (from_user)
        sched_poll();
}

/* The boot context becomes the idle thread. */
void sched_init(void)
{
    static struct thread idle;
    idle.obj.type = OBJ_THREAD;
    idle.obj.refs = 1;
    idle.proc = system_process;
    idle.state = TS_RUNNING;
    idle.priority = -1;
    idle.tid = cid_alloc(&idle);
    idle_thread = current = &idle;
}

void sched_start(void)
{
    for (;;) {
        if (queue_head[0] || queue_head[1]) {
            switch_to(pick());
            continue;
        }
        /* Nothing to run: sleep until the next deadline (or for ever). */
        uint64_t wake = wait_next_wake();
        if (wake && !timer_preempt)
            timer_arm_at(wake);
        sti_hlt(); /* the timer's interrupt returns here */
        cli();
        wait_timer_check(now_ns());
    }
}
