/*
 * mark.c - the mark port: a guest writes a number, the machine records the
 * host CPU time its thread has used and the virtual time.  Benchmarks time
 * their phases this way, from inside the guest, with no effect on the
 * guest's own run; with a TLB model the mark also takes its counters, and
 * --stats shows them phase by phase (emu/tlbphase.c).  CPU time rather than wall-clock time: on a shared,
 * noisy machine, time spent descheduled is not the emulator's cost.
 */
#include <time.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"
#include "emu/tlbmodel.h"

uint32_t mark_in(struct machine *m, unsigned offset, int size)
{
    (void)m, (void)offset, (void)size;
    return 0;
}

void mark_out(struct machine *m, unsigned offset, int size, uint32_t value)
{
    struct timespec t;
    (void)offset, (void)size;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    if (m->nmarks < MAX_MARKS) {
        struct mark *k = &m->marks[m->nmarks++];
        *k = (struct mark){ value, (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec,
                            vtime_io_time(m), { 0 } };
        tlbphase_mark(m, k);
    }
}
