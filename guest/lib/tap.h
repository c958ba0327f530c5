/*
 * tap.h - TAP output for the guest's test programs, both the ELF ones
 * (guest/user's runtime) and the PE ones (tests/pe): a plan, one line per
 * check, and an exit status that says whether all passed.  It prints with
 * the program's own printf and vsnprintf.
 */
#ifndef GUEST_LIB_TAP_H
#define GUEST_LIB_TAP_H

#include <stdbool.h>
#include <stdint.h>

void tap_plan(unsigned n);
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool tap_eq(uint64_t got, uint64_t want, const char *what);
int tap_done(void); /* the exit status: 0 if every check passed and as many as planned ran */

#endif /* GUEST_LIB_TAP_H */
