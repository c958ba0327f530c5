/*
 * triple.c - a triple fault stops the machine: with an empty IDT, #UD's
 * delivery faults (#GP: beyond the IDT limit), whose delivery faults too
 * (#GP + #GP = #DF), whose delivery faults again: shutdown.  Run by
 * expect_stop.sh, which checks exit status 121 and the report.
 */
#include "tests/kernels/lib/ktest.h"

void ktest_main(void)
{
    struct desc_ptr empty = { 0, 0 };
    kprintf("# loading an empty IDT, then UD2\n");
    lidt(&empty);
    __asm__ volatile("ud2");
    kprintf("not ok - still running after a triple fault\n");
    machine_exit(1);
}
