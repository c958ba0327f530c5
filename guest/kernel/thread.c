/*
 * thread.c - threads: creation (kernel threads, and user threads with a TEB
 * and a stack), exit, termination by another thread, and freeing.
 *
 * Every thread has a 16 KB kernel stack in the kernel-stack area, with four
 * unmapped pages below it: an overflow faults (and, with no stack left to
 * push the frame on, becomes a double fault, which has its own IST stack and
 * panics) instead of overwriting the neighbour.
 *
 * A user thread's kernel stack holds, at its very top, the trapframe of its
 * user context (syscall.S and the interrupt stubs build it there, since
 * RSP0 and the SYSCALL stack are the stack's top).  A new user thread starts
 * in kernel mode in thread_start_user, which "returns" to user mode through
 * that frame.
 *
 * User stacks, as Windows makes them: a reservation (1 MB by default), the
 * top pages committed, and one PAGE_GUARD page below them.  Touching the
 * guard page commits the next one down as the new guard (vm.c, grow_stack)
 * and moves the TEB's StackLimit; the reservation's last page is never
 * committed, so running off the end raises STATUS_STACK_OVERFLOW.
 */
#include "guest/kernel/kernel.h"

#define DEFAULT_STACK_RESERVE 0x100000ull
#define DEFAULT_STACK_COMMIT PAGE_SIZE

static uint8_t slot_used[KSTACK_SLOTS];

static bool kstack_alloc(struct thread *t)
{
    unsigned s = 0;
    while (s < KSTACK_SLOTS && slot_used[s])
        s++;
    if (s == KSTACK_SLOTS)
        return false;
    uint64_t top = KSTACK_AREA + (uint64_t)(s + 1) * KSTACK_SLOT;
    for (unsigned i = 1; i <= KSTACK_PAGES; i++) {
        uint64_t pa = pfn_alloc(USE_STACK, false);
        if (!pa) {
            for (unsigned j = 1; j < i; j++) {
                uint64_t *pte = pmap_pte(kernel_pml4, top - j * PAGE_SIZE, false);
                pfn_free(*pte & X86_PTE_ADDR_MASK);
                pmap_kunmap(top - j * PAGE_SIZE);
            }
            return false;
        }
        pmap_kmap(top - i * PAGE_SIZE, pa, X86_PTE_RW | X86_PTE_XD);
    }
    slot_used[s] = 1;
    t->kstack_slot = s;
    t->kstack_top = top;
    return true;
}

static void kstack_free(struct thread *t)
{
    for (unsigned i = 1; i <= KSTACK_PAGES; i++) {
        uint64_t va = t->kstack_top - i * PAGE_SIZE;
        uint64_t *pte = pmap_pte(kernel_pml4, va, false);
        pfn_free(*pte & X86_PTE_ADDR_MASK);
        pmap_kunmap(va);
    }
    slot_used[t->kstack_slot] = 0;
}

static struct thread *thread_alloc(struct process *p, int prio)
{
    struct thread *t = kalloc(sizeof *t);
    if (!t)
        return NULL;
    if (!kstack_alloc(t)) {
        kfree(t);
        return NULL;
    }
    t->tid = cid_alloc(t);
    if (!t->tid) {
        kstack_free(t);
        kfree(t);
        return NULL;
    }
    t->obj.type = OBJ_THREAD;
    t->obj.refs = 1; /* alive: dropped when its stack is freed */
    t->state = TS_INIT;
    t->priority = prio;
    t->proc = p;
    object_ref(&p->obj);
    t->exit_status = NTK_STATUS_PENDING;
    t->proc_next = p->threads;
    p->threads = t;
    p->nthreads++;
    return t;
}

/* Make t's stack look as if t had called swtch() from thread_trampoline,
 * which calls fn(arg); the stack pointer must stay 16-byte aligned for the
 * calls it makes.  `below` is where the stack may start (under a frame). */
static void prime_stack(struct thread *t, uint64_t below, void (*fn)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)(below - 16);
    *--sp = (uint64_t)thread_trampoline; /* swtch's RET */
    *--sp = 0;                           /* rbp */
    *--sp = 0;                           /* rbx */
    *--sp = (uint64_t)fn;                /* r12 */
    *--sp = (uint64_t)arg;               /* r13 */
    *--sp = 0;                           /* r14 */
    *--sp = 0;                           /* r15 */
    t->ksp = (uint64_t)sp;
    t->kfunc = fn;
    t->karg = arg;
}

struct thread *thread_create_kernel(struct process *p, void (*fn)(void *), void *arg, int prio)
{
    struct thread *t = thread_alloc(p, prio);
    if (!t)
        return NULL;
    prime_stack(t, t->kstack_top, fn, arg);
    sched_ready(t);
    return t;
}

static struct trapframe *user_frame(struct thread *t)
{
    return (struct trapframe *)(t->kstack_top - sizeof(struct trapframe));
}

/* A new user thread's first steps: into user mode through its frame. */
void thread_start_user(void *arg)
{
    struct trapframe *tf = arg;
    trap_return_to_user(tf);
    __asm__ volatile("mov %0, %%rsp; jmp trap_return" ::"r"(tf) : "memory");
    __builtin_unreachable();
}

/* The TEB and the stack of a new user thread of p. */
static ntk_status make_teb_and_stack(struct process *p, struct thread *t, uint64_t commit,
                                     uint64_t reserve)
{
    uint64_t teb = 0, size = NTK_TEB_SIZE;
    ntk_status st = vm_allocate(p, &teb, &size, NTK_MEM_RESERVE | NTK_MEM_COMMIT | NTK_MEM_TOP_DOWN,
                                NTK_PAGE_READWRITE, VAD_SYSTEM);
    if (!NTK_SUCCESS(st))
        return st;
    reserve = (reserve ? reserve : DEFAULT_STACK_RESERVE);
    reserve = (reserve + NTK_ALLOCATION_GRANULARITY - 1) & ~(NTK_ALLOCATION_GRANULARITY - 1);
    commit = PAGE_ROUND_UP(commit ? commit : DEFAULT_STACK_COMMIT);
    if (commit + 2 * PAGE_SIZE > reserve)
        reserve = (commit + 2 * PAGE_SIZE + NTK_ALLOCATION_GRANULARITY - 1) &
                  ~(NTK_ALLOCATION_GRANULARITY - 1);
    uint64_t low = 0;
    size = reserve;
    st = vm_allocate(p, &low, &size, NTK_MEM_RESERVE, NTK_PAGE_READWRITE, VAD_STACK);
    if (NTK_SUCCESS(st)) {
        uint64_t top = low + reserve, at = top - commit, n = commit;
        st = vm_allocate(p, &at, &n, NTK_MEM_COMMIT, NTK_PAGE_READWRITE, 0);
        at = top - commit - PAGE_SIZE, n = PAGE_SIZE;
        if (NTK_SUCCESS(st))
            st = vm_allocate(p, &at, &n, NTK_MEM_COMMIT, NTK_PAGE_READWRITE | NTK_PAGE_GUARD, 0);
        if (NTK_SUCCESS(st)) {
            vad_find(p->vads, low)->teb = teb;
            t->teb = teb;
            t->stack_base = top;
            t->stack_low = low;
            uint64_t fields[][2] = {
                { NTK_TEB_STACK_BASE, top },  { NTK_TEB_STACK_LIMIT, top - commit },
                { NTK_TEB_SELF, teb },        { NTK_TEB_PROCESS_ID, p->pid },
                { NTK_TEB_THREAD_ID, t->tid }, { NTK_TEB_PEB, p->peb },
                { NTK_TEB_DEALLOCATION_STACK, low },
            };
            for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++)
                vm_write_process(p, teb + fields[i][0], &fields[i][1], 8);
            return NTK_STATUS_SUCCESS;
        }
        uint64_t b = low, z = 0;
        vm_free(p, &b, &z, NTK_MEM_RELEASE, true);
    }
    uint64_t b = teb, z = 0;
    vm_free(p, &b, &z, NTK_MEM_RELEASE, true);
    return st;
}

static void free_teb_and_stack(struct thread *t)
{
    uint64_t z = 0, b = t->stack_low;
    if (b)
        vm_free(t->proc, &b, &z, NTK_MEM_RELEASE, true);
    b = t->teb, z = 0;
    if (b)
        vm_free(t->proc, &b, &z, NTK_MEM_RELEASE, true);
    t->stack_low = t->teb = 0;
}

ntk_status thread_create_user(struct process *p, uint64_t start, uint64_t arg, uint64_t commit,
                              uint64_t reserve, uint64_t rcx, struct thread **out)
{
    (void)rcx;
    if (p->terminating)
        return NTK_STATUS_PROCESS_IS_TERMINATING;
    struct thread *t = thread_alloc(p, 1);
    if (!t)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    t->user = true;
    ntk_status st = make_teb_and_stack(p, t, commit, reserve);
    if (!NTK_SUCCESS(st)) {
        /* Never ran: take it out again. */
        t->state = TS_TERMINATED;
        p->nthreads--;
        thread_reap(t);
        return st;
    }
    struct trapframe *tf = user_frame(t);
    memset(tf, 0, sizeof *tf);
    tf->rip = start;
    tf->cs = UCODE;
    tf->ss = UDATA;
    tf->rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
    tf->rsp = t->stack_base - 0x28; /* as if called: a (zero) return address, home area */
    tf->rcx = arg;
    /* A clean FPU: FCW 0x37f, MXCSR 0x1f80 (all exceptions masked). */
    memset(t->fpu, 0, sizeof t->fpu);
    t->fpu[0] = 0x7f, t->fpu[1] = 0x03;
    t->fpu[24] = 0x80, t->fpu[25] = 0x1f;
    prime_stack(t, (uint64_t)tf, thread_start_user, tf);
    sched_ready(t);
    *out = t;
    return NTK_STATUS_SUCCESS;
}

void thread_exit(int32_t status)
{
    struct thread *t = current;
    struct process *p = t->proc;
    KASSERT(t->priority >= 0);
    if (!t->terminate_pending || t->exit_status == NTK_STATUS_PENDING)
        t->exit_status = status;
    p->nthreads--;
    if (t->user && p->nthreads)
        free_teb_and_stack(t);
    t->state = TS_TERMINATED;
    object_signal(&t->obj);
    if (!p->nthreads)
        process_thread_ended(p);
    sched_block();
    panic("a terminated thread ran again");
}

/* Another thread ends t: it stops waiting, and exits the next time it is
 * about to return to user mode (trap_return_to_user, syscall_dispatch). */
void thread_terminate(struct thread *t, int32_t status)
{
    if (t->state == TS_TERMINATED || t->terminate_pending)
        return;
    t->terminate_pending = true;
    t->exit_status = status;
    if (t->state == TS_WAITING)
        wait_abort(t, NTK_STATUS_PROCESS_IS_TERMINATING);
}

/* Right after the thread's final switch (sched.c): free the kernel stack it
 * was running on, and drop the reference it held on itself while alive. */
void thread_reap(struct thread *t)
{
    kstack_free(t);
    t->kstack_top = 0;
    object_deref(&t->obj);
}

/* The last reference is gone (object.c): the TID may be reused now. */
void thread_destroy(struct thread *t)
{
    struct process *p = t->proc;
    for (struct thread **l = &p->threads; *l; l = &(*l)->proc_next)
        if (*l == t) {
            *l = t->proc_next;
            break;
        }
    cid_free(t->tid);
    kfree(t);
    object_deref(&p->obj);
}
