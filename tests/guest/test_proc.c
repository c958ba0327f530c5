/*
 * test_proc.c - processes and threads: IDs, creation from the system
 * volume, exit statuses, waiting, sleeping in virtual time, termination,
 * handles.  TAP; exit status 0 when every check passed.
 */
#include "guest/user/ntk.h"

static uint64_t rdtsc_ns(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static struct ntk_process_basic_information pinfo(HANDLE h)
{
    struct ntk_process_basic_information i;
    memset(&i, 0xcc, sizeof i);
    NtQueryInformationProcess(h, NTK_PROCESS_BASIC_INFORMATION, &i, sizeof i, 0);
    return i;
}

static struct ntk_thread_basic_information tinfo(HANDLE h)
{
    struct ntk_thread_basic_information i;
    memset(&i, 0xcc, sizeof i);
    NtQueryInformationThread(h, NTK_THREAD_BASIC_INFORMATION, &i, sizeof i, 0);
    return i;
}

static ntk_status spawn(const char *name, HANDLE *p, HANDLE *t)
{
    return NtkCreateProcess(p, t, name, strlen(name), 0, 0);
}

static volatile uint64_t shared_counter;

static uint32_t worker(void *arg)
{
    for (unsigned i = 0; i < 1000; i++) {
        shared_counter += (uint64_t)arg;
        if (i % 100 == 0)
            NtYieldExecution();
    }
    return 7;
}

static uint32_t sleeper(void *arg)
{
    (void)arg;
    int64_t forever = INT64_MIN;
    NtDelayExecution(0, &forever);
    return 1;
}

static void identity(void)
{
    uint64_t pid, tid, peb, teb;
    __asm__("mov %%gs:0x40, %0; mov %%gs:0x48, %1; mov %%gs:0x60, %2; mov %%gs:0x30, %3"
            : "=r"(pid), "=r"(tid), "=r"(peb), "=r"(teb));
    tap_ok(pid && pid % 4 == 0 && tid && tid % 4 == 0 && pid != tid,
           "PID %llu and TID %llu: multiples of 4, different", (unsigned long long)pid,
           (unsigned long long)tid);
    struct ntk_process_basic_information pi = pinfo(CURRENT_PROCESS);
    tap_ok(pi.unique_process_id == pid && pi.peb_base_address == peb &&
               pi.exit_status == NTK_STATUS_PENDING && peb == ntk_peb,
           "ProcessBasicInformation: our PID, our PEB (the one RCX had at start), STATUS_PENDING");
    struct ntk_thread_basic_information ti = tinfo(CURRENT_THREAD);
    tap_ok(ti.unique_thread == tid && ti.unique_process == pid && ti.teb_base_address == teb,
           "ThreadBasicInformation: our TID, PID and TEB");
    uint64_t image_base = *(uint64_t *)(peb + NTK_PEB_IMAGE_BASE);
    tap_eq(image_base, 0x400000, "PEB.ImageBaseAddress");
}

static void children(void)
{
    HANDLE p, t;
    tap_status(spawn("child_exit.elf", &p, &t), 0, "create a process from child_exit.elf");
    tap_ok(p && p % 4 == 0 && t && t % 4 == 0 && p != t, "handles: multiples of 4 (%llu, %llu)",
           (unsigned long long)p, (unsigned long long)t);
    struct ntk_process_basic_information ci = pinfo(p);
    uint64_t mypid;
    __asm__("mov %%gs:0x40, %0" : "=r"(mypid));
    tap_ok(ci.exit_status == NTK_STATUS_PENDING && ci.unique_process_id % 4 == 0 &&
               ci.unique_process_id != mypid && ci.inherited_from_unique_process_id == mypid,
           "the child runs (STATUS_PENDING), has its own PID %llu, and we are its parent",
           (unsigned long long)ci.unique_process_id);
    int64_t zero = 0;
    tap_status(NtWaitForSingleObject(p, 0, &zero), NTK_STATUS_TIMEOUT,
               "a zero-timeout wait on a running process");
    uint64_t t0 = rdtsc_ns();
    tap_status(NtWaitForSingleObject(p, 0, 0), NTK_STATUS_WAIT_0, "wait for it to end");
    tap_ok(rdtsc_ns() - t0 >= 2000000, "it slept its 2 ms of virtual time first (%llu ns)",
           (unsigned long long)(rdtsc_ns() - t0));
    tap_eq((uint32_t)pinfo(p).exit_status, 0x1234, "its exit status");
    tap_eq((uint32_t)tinfo(t).exit_status, 0x1234, "its thread's exit status");
    tap_status(NtWaitForSingleObject(t, 0, 0), NTK_STATUS_WAIT_0, "its thread is signaled too");
    uint64_t old_pid = ci.unique_process_id;

    HANDLE p2, t2;
    spawn("child_exit.elf", &p2, &t2);
    tap_ok(pinfo(p2).unique_process_id != old_pid,
           "while a handle keeps the first child, a second gets another PID");
    NtWaitForSingleObject(p2, 0, 0);
    NtClose(p2);
    NtClose(t2);
    tap_status(NtClose(p), 0, "close the process handle");
    NtClose(t);
    tap_status(NtClose(p), NTK_STATUS_INVALID_HANDLE, "closing it again");
    HANDLE p3, t3;
    spawn("child_exit.elf", &p3, &t3);
    tap_eq(pinfo(p3).unique_process_id, old_pid,
           "once destroyed, its PID is reused (the lowest free)");
    NtWaitForSingleObject(p3, 0, 0);
    NtClose(p3);
    NtClose(t3);

    tap_status(spawn("child_crash.elf", &p, &t), 0, "child_crash.elf");
    NtWaitForSingleObject(p, 0, 0);
    tap_eq((uint32_t)pinfo(p).exit_status, (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "an unhandled access violation ends it with STATUS_ACCESS_VIOLATION");
    NtClose(p);
    NtClose(t);

    spawn("child_forever.elf", &p, &t);
    int64_t ms1 = -10000;
    tap_status(NtWaitForSingleObject(p, 0, &ms1), NTK_STATUS_TIMEOUT,
               "a 1 ms wait on a process that sleeps for ever times out");
    tap_status(NtTerminateProcess(p, 0x4321), 0, "NtTerminateProcess on it");
    tap_status(NtWaitForSingleObject(p, 0, 0), NTK_STATUS_WAIT_0, "it ends");
    tap_eq((uint32_t)pinfo(p).exit_status, 0x4321, "with the status we gave");
    NtClose(p);
    NtClose(t);

    spawn("child_threads.elf", &p, &t);
    NtWaitForSingleObject(p, 0, 0);
    tap_eq((uint32_t)tinfo(t).exit_status, 0x55, "a child's first thread exited with 0x55");
    tap_eq((uint32_t)pinfo(p).exit_status, 0x77,
           "the process ended with its last thread, and that thread's status");
    NtClose(p);
    NtClose(t);

    tap_status(spawn("no_such_program.elf", &p, &t), NTK_STATUS_OBJECT_NAME_NOT_FOUND,
               "an image that is not on the volume");
    tap_status(NtkCreateProcess(&p, &t, (const char *)0xffff800000000000ull, 8, 0, 0),
               NTK_STATUS_ACCESS_VIOLATION, "an image name in kernel space");
}

static void threads(void)
{
    HANDLE a, b;
    shared_counter = 0;
    tap_status(create_thread(&a, worker, (void *)1), 0, "create a thread");
    tap_status(create_thread(&b, worker, (void *)1000), 0, "and another");
    struct ntk_thread_basic_information ia = tinfo(a), ib = tinfo(b);
    uint64_t tid;
    __asm__("mov %%gs:0x48, %0" : "=r"(tid));
    tap_ok(ia.unique_thread % 4 == 0 && ib.unique_thread % 4 == 0 &&
               ia.unique_thread != ib.unique_thread && ia.unique_thread != tid &&
               ia.teb_base_address != ib.teb_base_address,
           "distinct TIDs (%llu, %llu) and TEBs", (unsigned long long)ia.unique_thread,
           (unsigned long long)ib.unique_thread);
    tap_status(NtWaitForSingleObject(a, 0, 0), 0, "wait for the first");
    tap_status(NtWaitForSingleObject(b, 0, 0), 0, "wait for the second");
    tap_eq(shared_counter, 1001000, "both ran in our address space, yielding to each other");
    tap_eq((uint32_t)tinfo(a).exit_status, 7, "a thread's exit status is its return value");
    struct ntk_memory_basic_information m;
    NtQueryVirtualMemory(CURRENT_PROCESS, ia.teb_base_address, 0, &m, sizeof m, 0);
    tap_eq(m.state, NTK_MEM_FREE, "an exited thread's TEB is freed");
    NtClose(a);
    NtClose(b);

    create_thread(&a, sleeper, 0);
    NtYieldExecution();
    tap_status(NtTerminateThread(a, 0x99), 0, "terminate a sleeping thread");
    tap_status(NtWaitForSingleObject(a, 0, 0), 0, "it ends");
    tap_eq((uint32_t)tinfo(a).exit_status, 0x99, "with the status given");
    NtClose(a);
}

static void time_and_misc(void)
{
    uint64_t t0 = rdtsc_ns();
    int64_t ms10 = -100000;
    tap_status(NtDelayExecution(0, &ms10), 0, "sleep 10 ms");
    uint64_t dt = rdtsc_ns() - t0;
    tap_ok(dt >= 10000000 && dt < 12000000, "10 ms of virtual time passed (%llu ns)",
           (unsigned long long)dt);
    int64_t abs = 5;
    tap_status(NtDelayExecution(0, &abs), NTK_STATUS_INVALID_PARAMETER,
               "absolute times are not supported");
    tap_status(NtYieldExecution(), NTK_STATUS_NO_YIELD_PERFORMED,
               "yielding with no other thread ready");
    tap_status((ntk_status)ntk_raw_syscall(0, 0, 0, 0, 0, 0, 999), NTK_STATUS_INVALID_SYSTEM_SERVICE,
               "an unknown service number");
    tap_status(NtkNullService(), 0, "the null service");
    tap_status(NtClose(0x1000), NTK_STATUS_INVALID_HANDLE, "closing a handle never made");
    tap_status(NtWaitForSingleObject(0x7, 0, 0), NTK_STATUS_INVALID_HANDLE,
               "waiting on a bad handle");
}

int main(void)
{
    tap_plan(46);
    identity();
    children();
    threads();
    time_and_misc();
    return tap_done();
}
