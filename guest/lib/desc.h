/*
 * desc.h - the descriptor tables of every kernel here (the NT-like kernel
 * and the bare test kernels): one GDT layout, the 64-bit TSS, IDT gates.
 */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include <stdbool.h>
#include <stdint.h>

/* Segment selectors: the GDT desc_load_gdt builds. */
#define KCODE 0x08      /* kernel code, 64-bit */
#define KDATA 0x10      /* kernel data */
#define UDATA 0x1b      /* user data (DPL 3, RPL 3) */
#define UCODE 0x23      /* user code, 64-bit */
#define UCODE32 0x2b    /* user code, 32-bit (compatibility mode) */
#define TSS_SEL 0x30    /* the TSS (a 16-byte descriptor: entries 6 and 7) */
#define GDT_ENTRIES 8

/* The 64-bit task-state segment (SDM vol. 3, 8.7): the stacks the CPU
 * switches to - RSP0 on entry from CPL 3, IST1-7 for gates that name one. */
struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap;
};

/* Fill gdt with the layout above (its TSS descriptor pointing at tss), load
 * it, reload CS, DS, ES, SS with the kernel's selectors, and load TR. */
void desc_load_gdt(uint64_t gdt[GDT_ENTRIES], struct tss64 *tss);

/* IDT entry v of idt (16 bytes each, SDM vol. 3, 6.14.1): a present
 * interrupt gate (trap gate if trap) to target in KCODE, with dpl and ist. */
void desc_set_gate(uint8_t *idt, unsigned v, uint64_t target, unsigned dpl, unsigned ist,
                   bool trap);

#endif
