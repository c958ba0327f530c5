/*
 * panic.c - the kernel found itself in a state it cannot continue from: say
 * what and where on the console, then stop the machine with exit status
 * EXIT_KERNEL_PANIC (120).  Nothing a user program passes to a system
 * service may lead here; tests/guest/fuzz.c checks that.
 */
#include <stdarg.h>

#include "guest/kernel/kernel.h"
#include "shared/devices.h"

static bool panicking;

/* The frame-pointer chain (the kernel is built with -fno-omit-frame-pointer). */
static void backtrace(uint64_t rbp)
{
    kprintf("  backtrace:");
    for (int i = 0; i < 12 && rbp >= KERNEL_VMA && (rbp & 7) == 0; i++) {
        uint64_t *f = (uint64_t *)rbp;
        kprintf(" %llx", (unsigned long long)f[1]);
        rbp = f[0];
    }
    kprintf("\n");
}

static void report_context(void)
{
    if (current)
        kprintf("  thread %u (process %u \"%s\")\n", current->tid,
                current->proc ? current->proc->pid : 0, current->proc ? current->proc->name : "");
}

void panic(const char *fmt, ...)
{
    cli();
    if (!panicking) {
        panicking = true;
        va_list ap;
        va_start(ap, fmt);
        kprintf("\n*** KERNEL PANIC: ");
        vkprintf(fmt, ap);
        va_end(ap);
        kprintf("\n");
        report_context();
        backtrace((uint64_t)__builtin_frame_address(0));
    }
    machine_exit(EXIT_KERNEL_PANIC);
}

void panic_trap(const char *why, const struct trapframe *tf)
{
    cli();
    if (!panicking) {
        panicking = true;
        kprintf("\n*** KERNEL PANIC: %s: vector %llu, error code 0x%llx\n", why,
                (unsigned long long)tf->vector, (unsigned long long)tf->error);
        kprintf("  RIP %016llx CS %llx RFLAGS %llx RSP %016llx SS %llx CR2 %016llx\n",
                (unsigned long long)tf->rip, (unsigned long long)tf->cs,
                (unsigned long long)tf->rflags, (unsigned long long)tf->rsp,
                (unsigned long long)tf->ss, (unsigned long long)read_cr2());
        kprintf("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
                (unsigned long long)tf->rax, (unsigned long long)tf->rbx,
                (unsigned long long)tf->rcx, (unsigned long long)tf->rdx);
        kprintf("  RSI %016llx RDI %016llx RBP %016llx CR3 %016llx\n",
                (unsigned long long)tf->rsi, (unsigned long long)tf->rdi,
                (unsigned long long)tf->rbp, (unsigned long long)read_cr3());
        report_context();
        backtrace(tf->rbp);
    }
    machine_exit(EXIT_KERNEL_PANIC);
}
