/*
 * probe.h - touching memory that may fault, from user mode: each probe
 * returns 0, or the code of the exception it raised (the handler installed
 * by probe_init records the exception and resumes after the probe).
 */
#ifndef TESTS_GUEST_PROBE_H
#define TESTS_GUEST_PROBE_H

#include "guest/user/ntk.h"

extern struct ntk_exception_record probe_last; /* the last exception caught */
extern uint64_t probe_count;                   /* exceptions caught so far */

void probe_init(void);
uint32_t probe_read(uint64_t va);
uint32_t probe_write(uint64_t va);
uint32_t probe_exec(uint64_t va);              /* call va: it must return 0 in RAX */

#endif
