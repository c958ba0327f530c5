/*
 * children.c - the child processes test_proc.c starts, one program per
 * CHILD_* value (guest meson.build builds each with -DCHILD=n):
 *   1 child_exit.elf     sleeps 2 ms, exits with status 0x1234
 *   2 child_crash.elf    writes through a null pointer, no handler
 *   3 child_forever.elf  sleeps for ever (until terminated)
 *   4 child_threads.elf  its main thread exits first; a second thread
 *                        exits last, with 0x77: the process's status
 */
#include "guest/user/ntk.h"

static uint32_t last_thread(void *arg)
{
    (void)arg;
    int64_t ms5 = -50000;
    NtDelayExecution(0, &ms5);
    return 0x77;
}

int main(void)
{
    int64_t interval = -20000; /* 2 ms */
    switch (CHILD) {
    case 1:
        NtDelayExecution(0, &interval);
        return 0x1234;
    case 2: {
        volatile int *volatile p = 0;
        *p = 1;
        return 0;
    }
    case 3:
        interval = INT64_MIN;
        for (;;)
            NtDelayExecution(0, &interval);
    case 4: {
        HANDLE h;
        create_thread(&h, last_thread, 0);
        NtTerminateThread(CURRENT_THREAD, 0x55);
        return 0;
    }
    }
    return 99;
}
