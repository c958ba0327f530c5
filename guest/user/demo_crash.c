/*
 * demo_crash.c - no handler: writing through a null pointer ends the
 * process; the kernel reports it and the exit status is the exception code.
 */
#include "guest/user/ntk.h"

int main(void)
{
    printf("demo_crash: writing to address 0x10 ...\n");
    volatile int *volatile p = (volatile int *)0x10; /* hidden from the optimizer */
    *p = 1;
    printf("not reached\n");
    return 0;
}
