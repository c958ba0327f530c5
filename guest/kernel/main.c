/*
 * main.c - the default guest kernel (a stand-in until the NT-like kernel).
 */
#include "guest/lib/lib.h"
#include "guest/lib/x86.h"
#include "shared/bootinfo.h"

void kmain(const struct boot_info *bi);

void kmain(const struct boot_info *bi)
{
    kprintf("mmulab guest kernel: %llu MiB of RAM, command line \"%s\"\n",
            (unsigned long long)(bi->ram_size >> 20), bi->cmdline);
    machine_exit(0);
}
