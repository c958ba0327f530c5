/*
 * ktest.h - scaffolding for small bare-metal kernels: the machine's test
 * kernels and the benchmark kernels.  Each defines ktest_main(); the
 * scaffolding boots (own GDT with a TSS, RSP0 and two IST stacks, an IDT
 * whose every vector lands in ktest_dispatch), offers user mode and page
 * mapping, reports TAP lines on the UART, and exits through the exit port:
 * 0 if every check passed.
 */
#ifndef KTEST_H
#define KTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/lib/desc.h"
#include "guest/lib/lib.h"
#include "guest/lib/x86.h"
#include "shared/bootinfo.h"


/* The state saved by the interrupt stubs: GPRs, then what the CPU pushed. */
struct frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code; /* error_code is 0 when the CPU pushes none */
    uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*ktest_handler)(struct frame *f);

extern const struct boot_info *ktest_boot;

/* Set by the stubs for each event: the handler's RSP at entry (frame base). */
extern uint64_t ktest_frame_rsp;

void ktest_main(void);

/* Install a handler for a vector; with a gate DPL and an IST index. */
void ktest_on(unsigned vector, ktest_handler h);
void ktest_gate(unsigned vector, unsigned dpl, unsigned ist, bool trap);

/* TAP (guest/lib/tap.h): the exit status is tap_done()'s when ktest_main returns. */
#include "guest/lib/tap.h"

/* Memory: a physical page from a simple allocator; map va -> pa in the boot
 * tables (user-accessible at every level if flags has US). */
uint64_t ktest_alloc_page(void);
void ktest_map(uint64_t va, uint64_t pa, uint64_t flags);
uint64_t *ktest_pte(uint64_t va);   /* the PTE of a 4 KB mapping made by ktest_map */
uint64_t *ktest_map_2m(uint64_t va, uint64_t pa, uint64_t flags); /* returns the PDE */
void *phys_to_virt(uint64_t pa);

/* Stacks in the TSS. */
extern uint8_t ktest_rsp0_stack[], ktest_ist1_stack[], ktest_ist2_stack[];
#define KTEST_STACK_SIZE 8192

/* Enter CPL 3 at rip with rsp (iretq); RFLAGS as given. */
__attribute__((noreturn)) void ktest_enter_user(uint64_t rip, uint64_t rsp, uint64_t cs,
                                               uint64_t rflags);
/* Run at CPL 3 from rip with rsp (and RBX = rbx); returns when a handler
 * calls ktest_user_return(f) (which makes the handler's IRETQ resume the
 * kernel). */
void ktest_run_user(uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t cs, uint64_t rbx);
void ktest_user_return(struct frame *f);
extern const char ktest_user_resume[];
extern uint64_t ktest_saved_rsp;

/* Copy code to a fresh user page at va (mapped U, RX) and a stack page below
 * stack_top (U, RW, NX). */
void ktest_user_code(uint64_t va, const void *code, unsigned len);
void ktest_user_stack(uint64_t stack_top);

/* The label-capturing helper: where an instruction is, as seen by asm. */
#define KTEST_LABEL(name) extern const char name[]

#endif /* KTEST_H */
