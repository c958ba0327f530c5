/*
 * syscall.c - the system-service dispatcher and the services' argument
 * handling (shared/nt/services.h has the numbers and the calling convention).
 *
 * Arguments 1-4 come in R10, RDX, R8, R9; 5 and up from the user stack at
 * RSP + 0x28.  Every pointer argument is user memory: it is read and written
 * only with copy_from_user / copy_to_user, which check the range and turn a
 * bad address into STATUS_ACCESS_VIOLATION, so no argument can crash the
 * kernel.  In/out parameters are copied in, worked on in kernel memory, and
 * copied out only on success, as NT does.
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"
#include "shared/nt/process.h"

extern const char syscall_entry[];
#define IMAGE_NAME_MAX 256
static uint64_t nsyscalls;

uint64_t syscall_count(void)
{
    return nsyscalls;
}

void syscall_init(void)
{
    /* SYSCALL: CS = 0x08, SS = 0x10.  SYSRET: CS = 0x10 + 16 | 3 = 0x23,
     * SS = 0x10 + 8 | 3 = 0x1b. */
    wrmsr(X86_MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)KCODE << 32));
    wrmsr(X86_MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(X86_MSR_FMASK, X86_RFLAGS_IF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_AC |
                             X86_RFLAGS_NT);
    wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | X86_EFER_SCE);
}

typedef ntk_status (*service_fn)(struct trapframe *tf, const uint64_t *a);

/* The process a handle names (with a reference), or NULL. */
struct process *process_arg(uint64_t h)
{
    struct object *o = handle_get(current->proc, h, OBJ_PROCESS);
    return o ? (struct process *)o : NULL;
}

ntk_status get_u64(uint64_t uva, uint64_t *v)
{
    return copy_from_user(v, uva, sizeof *v);
}

ntk_status put_u64(uint64_t uva, uint64_t v)
{
    return copy_to_user(uva, &v, sizeof v);
}

/* The in/out BaseAddress and RegionSize of the memory services. */
static ntk_status get_range(uint64_t ubase, uint64_t usize, uint64_t *base, uint64_t *size)
{
    ntk_status st = get_u64(ubase, base);
    return NTK_SUCCESS(st) ? get_u64(usize, size) : st;
}

static ntk_status put_range(uint64_t ubase, uint64_t usize, uint64_t base, uint64_t size)
{
    ntk_status st = put_u64(ubase, base);
    return NTK_SUCCESS(st) ? put_u64(usize, size) : st;
}

static ntk_status svc_null(struct trapframe *tf, const uint64_t *a)
{
    (void)tf, (void)a;
    return NTK_STATUS_SUCCESS;
}

static ntk_status svc_write_console(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    char buf[256];
    uint64_t p = a[0], n = a[1];
    if (n > (1u << 20))
        return NTK_STATUS_INVALID_PARAMETER;
    while (n) {
        uint64_t k = n < sizeof buf ? n : sizeof buf;
        ntk_status st = copy_from_user(buf, p, k);
        if (!NTK_SUCCESS(st))
            return st;
        console_write(buf, k);
        p += k, n -= k;
    }
    return NTK_STATUS_SUCCESS;
}

/* NtAllocateVirtualMemory(Process, *Base, ZeroBits, *Size, Type, Protect) */
static ntk_status svc_allocate(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t base, size;
    ntk_status st = get_range(a[1], a[3], &base, &size);
    if (!NTK_SUCCESS(st))
        return st;
    if (a[2] != 0)
        return NTK_STATUS_INVALID_PARAMETER_3; /* ZeroBits: not supported yet */
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    st = p->terminating ? NTK_STATUS_PROCESS_IS_TERMINATING
                        : vm_allocate(p, &base, &size, (uint32_t)a[4], (uint32_t)a[5], 0);
    object_deref(&p->obj);
    return NTK_SUCCESS(st) ? put_range(a[1], a[3], base, size) : st;
}

/* NtFreeVirtualMemory(Process, *Base, *Size, FreeType) */
static ntk_status svc_free(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t base, size;
    ntk_status st = get_range(a[1], a[2], &base, &size);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    st = vm_free(p, &base, &size, (uint32_t)a[3], false);
    object_deref(&p->obj);
    return NTK_SUCCESS(st) ? put_range(a[1], a[2], base, size) : st;
}

/* NtProtectVirtualMemory(Process, *Base, *Size, NewProtect, *OldProtect) */
static ntk_status svc_protect(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t base, size;
    uint32_t old = 0;
    ntk_status st = get_range(a[1], a[2], &base, &size);
    if (!NTK_SUCCESS(st))
        return st;
    /* OldProtect must be writable before anything changes. */
    if (!NTK_SUCCESS(st = copy_to_user(a[4], &old, sizeof old)))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    st = vm_protect(p, &base, &size, (uint32_t)a[3], &old);
    object_deref(&p->obj);
    if (NTK_SUCCESS(st))
        st = put_range(a[1], a[2], base, size);
    return NTK_SUCCESS(st) ? copy_to_user(a[4], &old, sizeof old) : st;
}

/* NtQueryVirtualMemory(Process, Base, Class, Info, Length, *ReturnLength) */
static ntk_status svc_query(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct ntk_memory_basic_information mbi;
    if ((uint32_t)a[2] != NTK_MEMORY_BASIC_INFORMATION_CLASS)
        return NTK_STATUS_INVALID_INFO_CLASS;
    if (a[4] < sizeof mbi)
        return NTK_STATUS_INFO_LENGTH_MISMATCH;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    ntk_status st = vm_query(p, a[1], &mbi);
    object_deref(&p->obj);
    if (!NTK_SUCCESS(st) || !NTK_SUCCESS(st = copy_to_user(a[3], &mbi, sizeof mbi)))
        return st;
    if (a[5])
        st = put_u64(a[5], sizeof mbi);
    return st;
}

static ntk_status svc_terminate_process(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    if (p == system_process) {
        object_deref(&p->obj);
        return NTK_STATUS_INVALID_HANDLE;
    }
    bool self = p == current->proc;
    if (self)
        object_deref(&p->obj); /* thread_exit does not come back to drop it */
    process_terminate(p, (int32_t)a[1]);
    object_deref(&p->obj);
    return NTK_STATUS_SUCCESS;
}

static ntk_status svc_terminate_thread(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct object *o = handle_get(current->proc, a[0], OBJ_THREAD);
    if (!o)
        return NTK_STATUS_INVALID_HANDLE;
    struct thread *t = (struct thread *)o;
    object_deref(o); /* t stays alive: it is ours or referenced by the handle */
    if (t->proc == system_process)
        return NTK_STATUS_INVALID_HANDLE;
    if (t == current)
        thread_exit((int32_t)a[1]);
    thread_terminate(t, (int32_t)a[1]);
    return NTK_STATUS_SUCCESS;
}

/* NtCreateThreadEx(*Thread, Access, ObjAttr, Process, Start, Arg, Flags,
 *                  ZeroBits, StackCommit, StackReserve, AttributeList) */
static ntk_status svc_create_thread(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t h = 0;
    ntk_status st = copy_to_user(a[0], &h, sizeof h);
    if (!NTK_SUCCESS(st))
        return st;
    if ((uint32_t)a[6] != 0) /* a ULONG on the stack: the low half only */
        return NTK_STATUS_INVALID_PARAMETER; /* CreateFlags: none supported yet */
    struct process *p = process_arg(a[3]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    struct thread *t;
    st = p == system_process ? NTK_STATUS_INVALID_HANDLE
                             : thread_create_user(p, a[4], a[5], a[8], a[9], 0, &t);
    object_deref(&p->obj);
    if (!NTK_SUCCESS(st))
        return st;
    if (!NTK_SUCCESS(st = handle_create(current->proc, &t->obj, &h)))
        return st;
    if (!NTK_SUCCESS(st = put_u64(a[0], h)))
        handle_close(current->proc, h);
    return st;
}

/* A user string of len characters, NUL-terminated in buf (max characters);
 * embedded NULs are refused. */
static ntk_status get_string(uint64_t uva, uint64_t len, char *buf, uint64_t max)
{
    if (len == 0 || len > max)
        return NTK_STATUS_INVALID_PARAMETER;
    ntk_status st = copy_from_user(buf, uva, len);
    if (!NTK_SUCCESS(st))
        return st;
    buf[len] = 0;
    return strlen(buf) == len ? NTK_STATUS_SUCCESS : NTK_STATUS_INVALID_PARAMETER;
}

/* NtkCreateProcess(*Process, *Thread, ImageName, NameLength, CommandLine,
 *                  CommandLineLength) */
static ntk_status svc_create_process(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    char name[IMAGE_NAME_MAX + 1], cmdline[NTK_COMMAND_LINE_MAX + 1];
    uint64_t zero = 0;
    ntk_status st;
    if (!NTK_SUCCESS(st = copy_to_user(a[0], &zero, 8)) ||
        !NTK_SUCCESS(st = copy_to_user(a[1], &zero, 8)))
        return st;
    if (!NTK_SUCCESS(st = get_string(a[2], a[3], name, IMAGE_NAME_MAX)))
        return st;
    bool has_cmdline = a[4] || a[5];
    if (has_cmdline &&
        !NTK_SUCCESS(st = get_string(a[4], a[5], cmdline, NTK_COMMAND_LINE_MAX)))
        return st;
    struct process *p;
    struct thread *t;
    if (!NTK_SUCCESS(st = process_create_from_image(name, has_cmdline ? cmdline : NULL,
                                                    current->proc->pid, &p, &t)))
        return st;
    uint64_t hp = 0, ht = 0;
    st = handle_create(current->proc, &p->obj, &hp);
    if (NTK_SUCCESS(st))
        st = handle_create(current->proc, &t->obj, &ht);
    object_deref(&p->obj); /* the creation reference: the handle holds it now */
    if (NTK_SUCCESS(st))
        st = put_u64(a[0], hp);
    if (NTK_SUCCESS(st))
        st = put_u64(a[1], ht);
    return st;
}

/* A relative timeout in 100 ns units (negative LARGE_INTEGER), or NULL. */
static ntk_status timeout_arg(uint64_t uva, uint64_t *ns)
{
    if (!uva) {
        *ns = UINT64_MAX;
        return NTK_STATUS_SUCCESS;
    }
    int64_t v;
    ntk_status st = copy_from_user(&v, uva, sizeof v);
    if (!NTK_SUCCESS(st))
        return st;
    if (v > 0)
        return NTK_STATUS_INVALID_PARAMETER; /* absolute times: not supported */
    uint64_t units = v == INT64_MIN ? (uint64_t)INT64_MAX : (uint64_t)-v;
    *ns = units > UINT64_MAX / NTK_TIME_UNIT_NS ? UINT64_MAX - 1 : units * NTK_TIME_UNIT_NS;
    return NTK_STATUS_SUCCESS;
}

static ntk_status svc_wait(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t ns;
    ntk_status st = timeout_arg(a[2], &ns);
    if (!NTK_SUCCESS(st))
        return st;
    struct object *o = handle_get(current->proc, a[0], 0);
    if (!o)
        return NTK_STATUS_INVALID_HANDLE;
    if (o->type != OBJ_PROCESS && o->type != OBJ_THREAD) { /* no dispatcher header */
        object_deref(o);
        return NTK_STATUS_OBJECT_TYPE_MISMATCH;
    }
    st = wait_object(o, ns);
    object_deref(o);
    return st;
}

static ntk_status svc_delay(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t ns;
    ntk_status st = timeout_arg(a[1], &ns);
    if (!NTK_SUCCESS(st))
        return st;
    if (ns == UINT64_MAX)
        return NTK_STATUS_ACCESS_VIOLATION; /* the interval is not optional */
    return wait_sleep(ns);
}

static ntk_status svc_close(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    return handle_close(current->proc, a[0]);
}

static ntk_status svc_yield(struct trapframe *tf, const uint64_t *a)
{
    (void)tf, (void)a;
    uint64_t before = sched_switches();
    sched_yield();
    return sched_switches() != before ? NTK_STATUS_SUCCESS : NTK_STATUS_NO_YIELD_PERFORMED;
}

static ntk_status svc_continue(struct trapframe *tf, const uint64_t *a)
{
    return except_continue(tf, a[0]);
}

ntk_status except_raise(struct trapframe *tf, uint64_t record, uint64_t context, bool first);
static ntk_status svc_raise(struct trapframe *tf, const uint64_t *a)
{
    return except_raise(tf, a[0], a[1], (a[2] & 0xff) != 0);
}

static void basic_information(const struct process *p, struct ntk_process_basic_information *info)
{
    memset(info, 0, sizeof *info);
    info->exit_status = p->obj.signaled ? p->exit_status : NTK_STATUS_PENDING;
    info->peb_base_address = p->peb;
    info->affinity_mask = 1;
    info->base_priority = 8;
    info->unique_process_id = p->pid;
    info->inherited_from_unique_process_id = p->parent_pid;
}

/* ProcessQuotaLimits: the working-set sizes (bytes) and their flags; the
 * other quotas are not kept by this kernel and read 0. */
static void quota_limits(const struct process *p, struct ntk_quota_limits_ex *q)
{
    memset(q, 0, sizeof *q);
    q->minimum_working_set_size = (uint64_t)p->ws.min * PAGE_SIZE;
    q->maximum_working_set_size = (uint64_t)p->ws.max * PAGE_SIZE;
    q->flags = (p->ws.flags & NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE
                    ? NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE
                    : NTK_QUOTA_LIMITS_HARDWS_MIN_DISABLE) |
               (p->ws.flags & NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE
                    ? NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE
                    : NTK_QUOTA_LIMITS_HARDWS_MAX_DISABLE);
}

/* ProcessVmCounters: sizes in bytes; "page file usage" is the process's
 * commit charge, as Windows reports it. */
static void vm_counters(const struct process *p, struct ntk_vm_counters_ex *c)
{
    memset(c, 0, sizeof *c);
    c->virtual_size = p->vsize;
    c->peak_virtual_size = p->vsize_peak;
    c->page_fault_count = p->ws.faults;
    c->working_set_size = (uint64_t)p->ws.count * PAGE_SIZE;
    c->peak_working_set_size = (uint64_t)p->ws.peak * PAGE_SIZE;
    c->pagefile_usage = c->private_usage = p->commit * PAGE_SIZE;
    c->peak_pagefile_usage = p->commit_peak * PAGE_SIZE;
}

/* NtQueryInformationProcess(Process, Class, Info, Length, *ReturnLength):
 * classes 0 (basic), 1 (quota limits: QUOTA_LIMITS or _EX), 3 (VM
 * counters: VM_COUNTERS or _EX); the length must be one of the sizes. */
static ntk_status svc_query_process(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    union {
        struct ntk_process_basic_information basic;
        struct ntk_quota_limits_ex quota;
        struct ntk_vm_counters_ex vm;
    } u;
    uint32_t len = (uint32_t)a[3];
    bool len_ok;
    switch ((uint32_t)a[1]) {
    case NTK_PROCESS_BASIC_INFORMATION: len_ok = len == sizeof u.basic; break;
    case NTK_PROCESS_QUOTA_LIMITS: len_ok = len == NTK_QUOTA_LIMITS_SIZE || len == sizeof u.quota; break;
    case NTK_PROCESS_VM_COUNTERS: len_ok = len == NTK_VM_COUNTERS_SIZE || len == sizeof u.vm; break;
    default: return NTK_STATUS_INVALID_INFO_CLASS;
    }
    if (!len_ok)
        return NTK_STATUS_INFO_LENGTH_MISMATCH;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    if ((uint32_t)a[1] == NTK_PROCESS_BASIC_INFORMATION)
        basic_information(p, &u.basic);
    else if ((uint32_t)a[1] == NTK_PROCESS_QUOTA_LIMITS)
        quota_limits(p, &u.quota);
    else
        vm_counters(p, &u.vm);
    object_deref(&p->obj);
    ntk_status st = copy_to_user(a[2], &u, len);
    if (NTK_SUCCESS(st) && a[4])
        st = copy_to_user(a[4], &len, sizeof len);
    return st;
}

/* NtSetInformationProcess(Process, Class, Info, Length): ProcessQuotaLimits
 * only (QUOTA_LIMITS or QUOTA_LIMITS_EX, whose Flags set hard limits): the
 * working-set minimum and maximum (ws.c). */
static ntk_status svc_set_process(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct ntk_quota_limits_ex q;
    uint32_t len = (uint32_t)a[3];
    if ((uint32_t)a[1] != NTK_PROCESS_QUOTA_LIMITS)
        return NTK_STATUS_INVALID_INFO_CLASS;
    if (len != NTK_QUOTA_LIMITS_SIZE && len != sizeof q)
        return NTK_STATUS_INFO_LENGTH_MISMATCH;
    memset(&q, 0, sizeof q);
    ntk_status st = copy_from_user(&q, a[2], len);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    st = p == system_process || p->terminating
             ? NTK_STATUS_PROCESS_IS_TERMINATING
             : ws_set_limits(p, q.minimum_working_set_size, q.maximum_working_set_size, q.flags);
    object_deref(&p->obj);
    return st;
}

static ntk_status svc_query_thread(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct ntk_thread_basic_information info;
    if ((uint32_t)a[1] != NTK_THREAD_BASIC_INFORMATION)
        return NTK_STATUS_INVALID_INFO_CLASS;
    if ((uint32_t)a[3] != sizeof info)
        return NTK_STATUS_INFO_LENGTH_MISMATCH;
    struct object *o = handle_get(current->proc, a[0], OBJ_THREAD);
    if (!o)
        return NTK_STATUS_INVALID_HANDLE;
    struct thread *t = (struct thread *)o;
    memset(&info, 0, sizeof info);
    info.exit_status = t->state == TS_TERMINATED ? t->exit_status : NTK_STATUS_PENDING;
    info.teb_base_address = t->teb;
    info.unique_process = t->proc->pid;
    info.unique_thread = t->tid;
    info.affinity_mask = 1;
    info.priority = info.base_priority = 8;
    object_deref(o);
    ntk_status st = copy_to_user(a[2], &info, sizeof info);
    if (NTK_SUCCESS(st) && a[4]) {
        uint32_t n = sizeof info;
        st = copy_to_user(a[4], &n, sizeof n);
    }
    return st;
}

static ntk_status svc_system_memory(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct ntk_system_memory m;
    pfn_counts(&m);
    return copy_to_user(a[0], &m, sizeof m);
}

/* NtkQueryPhysicalAddress(Process, Address, *PhysicalAddress) */
static ntk_status svc_physical_address(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint64_t pa = 0;
    ntk_status st = copy_to_user(a[2], &pa, sizeof pa);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    st = vm_physical_address(p, a[1], &pa);
    object_deref(&p->obj);
    return NTK_SUCCESS(st) ? put_u64(a[2], pa) : st;
}

/* NtkMark(Id): the machine records its counters under Id (shared/devices.h,
 * DEV_MARK_PORT); --stats shows the TLB model's between marks. */
static ntk_status svc_mark(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    outl(DEV_MARK_PORT, (uint32_t)a[0]);
    return NTK_STATUS_SUCCESS;
}

static const struct {
    service_fn fn;
    unsigned nargs;
} services[NTK_SVC_COUNT] = {
    [NTK_SVC_NULL] = { svc_null, 0 },
    [NTK_SVC_WRITE_CONSOLE] = { svc_write_console, 2 },
    [NTK_SVC_ALLOCATE_VIRTUAL_MEMORY] = { svc_allocate, 6 },
    [NTK_SVC_FREE_VIRTUAL_MEMORY] = { svc_free, 4 },
    [NTK_SVC_PROTECT_VIRTUAL_MEMORY] = { svc_protect, 5 },
    [NTK_SVC_QUERY_VIRTUAL_MEMORY] = { svc_query, 6 },
    [NTK_SVC_TERMINATE_PROCESS] = { svc_terminate_process, 2 },
    [NTK_SVC_TERMINATE_THREAD] = { svc_terminate_thread, 2 },
    [NTK_SVC_CREATE_THREAD] = { svc_create_thread, 11 },
    [NTK_SVC_CREATE_PROCESS] = { svc_create_process, 6 },
    [NTK_SVC_WAIT_FOR_SINGLE_OBJECT] = { svc_wait, 3 },
    [NTK_SVC_DELAY_EXECUTION] = { svc_delay, 2 },
    [NTK_SVC_CLOSE] = { svc_close, 1 },
    [NTK_SVC_YIELD_EXECUTION] = { svc_yield, 0 },
    [NTK_SVC_CONTINUE] = { svc_continue, 2 },
    [NTK_SVC_RAISE_EXCEPTION] = { svc_raise, 3 },
    [NTK_SVC_QUERY_INFORMATION_PROCESS] = { svc_query_process, 5 },
    [NTK_SVC_QUERY_INFORMATION_THREAD] = { svc_query_thread, 5 },
    [NTK_SVC_QUERY_SYSTEM_MEMORY] = { svc_system_memory, 1 },
    [NTK_SVC_QUERY_PHYSICAL_ADDRESS] = { svc_physical_address, 3 },
    [NTK_SVC_SET_INFORMATION_PROCESS] = { svc_set_process, 4 },
    [NTK_SVC_CREATE_FILE] = { svc_create_file, 11 },
    [NTK_SVC_OPEN_FILE] = { svc_open_file, 6 },
    [NTK_SVC_READ_FILE] = { svc_read_file, 9 },
    [NTK_SVC_WRITE_FILE] = { svc_write_file, 9 },
    [NTK_SVC_QUERY_INFORMATION_FILE] = { svc_query_information_file, 5 },
    [NTK_SVC_SET_INFORMATION_FILE] = { svc_set_information_file, 5 },
    [NTK_SVC_CREATE_SECTION] = { svc_create_section, 7 },
    [NTK_SVC_OPEN_SECTION] = { svc_open_section, 3 },
    [NTK_SVC_MAP_VIEW_OF_SECTION] = { svc_map_view, 10 },
    [NTK_SVC_UNMAP_VIEW_OF_SECTION] = { svc_unmap_view, 2 },
    [NTK_SVC_FLUSH_VIRTUAL_MEMORY] = { svc_flush_virtual_memory, 4 },
    [NTK_SVC_OPEN_PROCESS_TOKEN] = { svc_open_process_token, 3 },
    [NTK_SVC_ADJUST_PRIVILEGES_TOKEN] = { svc_adjust_privileges, 6 },
    [NTK_SVC_ALLOCATE_VIRTUAL_MEMORY_EX] = { svc_allocate_ex, 7 },
    [NTK_SVC_MARK] = { svc_mark, 1 },
};

/* The arguments as NT passes them: the first four in R10, RDX, R8, R9 (the
 * stub moved RCX to R10: SYSCALL takes RCX), the rest in the caller's
 * stack slots above its 32-byte home area and the stub's return address.
 * Every slot is 64 bits, but a 32-bit parameter (ULONG, an enum, BOOLEAN)
 * leaves the upper half undefined, in a register or on the stack (the
 * Microsoft x64 calling convention): services read the low half only. */
void syscall_dispatch(struct trapframe *tf)
{
    uint64_t n = tf->rax & 0xffffffffu;
    uint64_t a[12] = { tf->r10, tf->rdx, tf->r8, tf->r9 };
    ntk_status st;
    nsyscalls++;
    if (n >= NTK_SVC_COUNT || !services[n].fn) {
        st = NTK_STATUS_INVALID_SYSTEM_SERVICE;
    } else if (services[n].nargs > 4 &&
               !NTK_SUCCESS(st = copy_from_user(a + 4, tf->rsp + 0x28,
                                                (services[n].nargs - 4) * 8))) {
        /* st: the stack could not be read */
    } else {
        st = services[n].fn(tf, a);
    }
    if (tf->vector == VEC_SYSCALL) /* not replaced by NtContinue or a dispatch */
        tf->rax = (uint32_t)st;
    trap_return_to_user(tf);
}
