/*
 * main.c - boot: bring the pieces up in order, then start what the command
 * line asks for.
 *
 *   (nothing)        the demonstration (demo.c): a few processes using the
 *                    memory services, from the system volume - disk 0, or
 *                    the archive built into the kernel when there is none
 *   selftest         the kernel's self-tests (TAP on the console)
 *   run=PROGRAM ARGS start PROGRAM from the system volume, wait for it, and
 *                    stop the machine with its exit status (0-119; 1 for any
 *                    other non-zero status).  run= comes last: the rest of
 *                    the line, "PROGRAM ARGS", is the program's command line
 *   quiet            no boot banner
 *   nopreempt        no time slicing on the timer (timer.c): threads change
 *                    only at kernel boundaries
 *   crash            a deliberate kernel bug (a write to an unmapped kernel
 *                    address), to test the panic report and exit status 120
 *   pageinfail=FILE:RVA, pagefilefail=IMAGE:VA
 *                    tests: a page-in from an image file, or from the paging
 *                    file, fails as a disk error would (section.c, pagefile.c)
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"
#include "shared/nt/process.h"

const struct boot_info *boot_info;
char boot_cmdline[BOOT_CMDLINE_MAX];

/* The archive of demonstration programs (built by guest/meson.build). */
extern const unsigned char builtin_volume[];
extern const unsigned long builtin_volume_size;

void kmain(const struct boot_info *bi);

/* "key" or "key=value" among the space-separated words of the command line. */
bool cmdline_get(const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    for (const char *s = boot_cmdline; *s;) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if ((size_t)(s - w) >= klen && !memcmp(w, key, klen) &&
            (w + klen == s || w[klen] == '=')) {
            size_t n = 0;
            for (const char *v = w + klen + (w + klen < s); v < s && out && n + 1 < outlen; v++)
                out[n++] = *v;
            if (out && outlen)
                out[n] = 0;
            return true;
        }
    }
    return false;
}

void kernel_finish(int status)
{
    view_flush_all(); /* what views wrote reaches the data volume before the machine stops */
    stats_publish();
    machine_exit((uint32_t)status);
}

static char run_name[128];
static char run_cmdline[NTK_COMMAND_LINE_MAX + 1];

/* "run=" takes the rest of the line: cut it off the kernel's options, keep
 * it as the program's command line and its first word as the program. */
static bool split_run(void)
{
    char *s = boot_cmdline;
    while (*s && !(memcmp(s, "run=", 4) == 0 && (s == boot_cmdline || s[-1] == ' ')))
        s++;
    if (!*s)
        return false;
    size_t n = strlen(s + 4);
    n = n < NTK_COMMAND_LINE_MAX ? n : NTK_COMMAND_LINE_MAX;
    memcpy(run_cmdline, s + 4, n);
    run_cmdline[n] = 0;
    size_t k = 0;
    while (k + 1 < sizeof run_name && run_cmdline[k] && run_cmdline[k] != ' ')
        run_name[k] = run_cmdline[k], k++;
    run_name[k] = 0;
    *s = 0;
    return true;
}

static void run_program(void *arg)
{
    (void)arg;
    struct process *p;
    struct thread *t;
    ntk_status st = process_create_from_image(run_name, run_cmdline, system_process->pid, &p, &t);
    if (!NTK_SUCCESS(st)) {
        kprintf("run: cannot start %s: status 0x%08x\n", run_name, (uint32_t)st);
        kernel_finish(1);
    }
    wait_object(&p->obj, UINT64_MAX);
    int32_t status = p->exit_status;
    object_deref(&p->obj);
    if (status != 0)
        kprintf("run: %s exited with status 0x%08x\n", run_name, (uint32_t)status);
    kernel_finish(status == 0 ? 0 : status > 0 && status < EXIT_KERNEL_PANIC ? status : 1);
}

static void crash_run(void *arg)
{
    (void)arg;
    *(volatile uint64_t *)0xffffff7fdead0000ull = 1; /* nothing is mapped there */
    kernel_finish(0);
}

void kmain(const struct boot_info *bi)
{
    if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION)
        panic("bad boot information (magic %llx)", (unsigned long long)bi->magic);
    boot_info = bi;
    memcpy(boot_cmdline, bi->cmdline, sizeof boot_cmdline);
    boot_cmdline[sizeof boot_cmdline - 1] = 0;
    bool run = split_run();

    cpu_init();
    pfn_early_init(bi);
    pmap_init(bi);
    pfn_init(bi);
    pmap_pfn_ready();
    syscall_init();
    process_init();
    sched_init();
    volume_init(bi);
    if (!volume_present())
        volume_use_builtin(builtin_volume, builtin_volume_size);
    if (!thread_create_kernel(system_process, zero_page_thread, NULL, 0))
        panic("cannot create the zero-page thread");
    pagefile_init(bi);
    pfn_set_pagefile_pages(pagefile_pages());
    pfn_set_commit_limit();
    balance_init();
    if (!thread_create_kernel(system_process, modified_page_writer, NULL, 1) ||
        !thread_create_kernel(system_process, balance_set_manager, NULL, 1))
        panic("cannot create the memory manager's threads");
    stats_init();

    struct ntk_system_memory m;
    pfn_counts(&m);
    if (!cmdline_get("quiet", NULL, 0))
        kprintf("mmulab NT-like kernel: %llu MiB RAM, %llu pages free, commit limit %llu "
                "pages\n",
                (unsigned long long)(bi->ram_size >> 20),
                (unsigned long long)(m.free_pages + m.zeroed_pages),
                (unsigned long long)m.commit_limit);
    void (*body)(void *) = demo_run;
    if (cmdline_get("selftest", NULL, 0))
        body = selftest_run;
    else if (run)
        body = run_program;
    else if (cmdline_get("crash", NULL, 0))
        body = crash_run;
    if (!thread_create_kernel(system_process, body, NULL, 1))
        panic("cannot create the first thread");
    if (!cmdline_get("notimer", NULL, 0))
        timer_init(bi);
    sched_start();
}
