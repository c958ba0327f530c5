/*
 * nullptr - a write through a null pointer (docs/programs.md, "nullptr").
 * The first 64 KB of every address space are never allocated, so the write
 * to address 0 is an access violation; no handler takes it, so ntdll's
 * dispatcher gives it back to the kernel (NtRaiseException, FirstChance =
 * FALSE), which ends the process with the exception code: the exit status
 * is 0xC0000005 (STATUS_ACCESS_VIOLATION), and the kernel's one-line
 * report names the faulting instruction and the address written, 0x0.
 */
#include <windows.h>

#include <stdio.h>

int main(void)
{
    /* Volatile both ways: the compiler may neither assume the pointer is null
     * nor drop the store. */
    volatile int *volatile p = NULL;
    printf("nullptr: writing 1 to address %p...\n", (void *)p);
    *p = 1;
    printf("nullptr: still running?\n");
    return 0;
}
