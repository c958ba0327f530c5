/*
 * demo.c - the built-in demonstration (no command line): run the
 * demonstration programs one after the other, each in its own process, and
 * say how each ended.  Their source is guest/user/demo_*.c.
 */
#include "guest/kernel/kernel.h"

static const char *const programs[] = {
    "demo_vm.elf",     /* reserve, commit, touch, query, protect, free */
    "demo_sparse.elf", /* a sparse 40000 x 40000 matrix committed on demand */
    "demo_guard.elf",  /* guard pages and a growing stack */
    "demo_crash.elf",  /* an unhandled access violation ends the process */
};

void demo_run(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        struct process *p;
        struct thread *t;
        kprintf("\n== %s\n", programs[i]);
        ntk_status st = process_create_from_image(programs[i], NULL, system_process->pid, &p, &t);
        if (!NTK_SUCCESS(st)) {
            kprintf("demo: cannot start %s: status 0x%08x\n", programs[i], (uint32_t)st);
            kernel_finish(1);
        }
        uint32_t pid = p->pid;
        wait_object(&p->obj, UINT64_MAX);
        kprintf("== process %u (%s) exited with status 0x%08x\n", pid, programs[i],
                (uint32_t)p->exit_status);
        object_deref(&p->obj);
    }
    struct ntk_system_memory m;
    pfn_counts(&m);
    kprintf("\ndemo: done; commit charge back to %llu pages, %llu demand-zero faults, "
            "%llu pages zeroed by the zero-page thread\n",
            (unsigned long long)m.commit_charge, (unsigned long long)m.demand_zero_faults,
            (unsigned long long)m.zeroed_by_thread);
    kernel_finish(0);
}
