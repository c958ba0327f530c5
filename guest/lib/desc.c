/*
 * desc.c - the GDT and IDT gates of every kernel here (see desc.h).
 */
#include "guest/lib/desc.h"
#include "guest/lib/lib.h"
#include "guest/lib/x86.h"

void desc_load_gdt(uint64_t gdt[GDT_ENTRIES], struct tss64 *tss)
{
    gdt[0] = 0;
    gdt[1] = 0x00209b0000000000ull; /* 0x08 kernel code, 64-bit */
    gdt[2] = 0x00cf93000000ffffull; /* 0x10 kernel data */
    gdt[3] = 0x00cff3000000ffffull; /* 0x18 user data (DPL 3) */
    gdt[4] = 0x0020fb0000000000ull; /* 0x20 user code, 64-bit (DPL 3) */
    gdt[5] = 0x00cffb000000ffffull; /* 0x28 user code, 32-bit (DPL 3) */
    uint64_t base = (uint64_t)tss, limit = sizeof *tss - 1;
    gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             ((limit >> 16) << 48) | (((base >> 24) & 0xff) << 56); /* available 64-bit TSS */
    gdt[7] = base >> 32;
    struct desc_ptr g = { GDT_ENTRIES * 8 - 1, (uint64_t)gdt };
    lgdt(&g);
    /* Reload CS with a far return, then the data segments and TR. */
    __asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     ::"i"(KCODE) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" ::"r"((uint64_t)KDATA));
    ltr(TSS_SEL);
}

void desc_set_gate(uint8_t *idt, unsigned v, uint64_t target, unsigned dpl, unsigned ist,
                   bool trap)
{
    uint8_t *g = idt + 16 * v;
    memset(g, 0, 16);
    g[0] = (uint8_t)target, g[1] = (uint8_t)(target >> 8);
    g[2] = KCODE, g[3] = 0;
    g[4] = (uint8_t)(ist & 7);
    g[5] = (uint8_t)(0x80 | (dpl << 5) | (trap ? 0xf : 0xe));
    g[6] = (uint8_t)(target >> 16), g[7] = (uint8_t)(target >> 24);
    for (int i = 0; i < 4; i++)
        g[8 + i] = (uint8_t)(target >> (32 + 8 * i));
}
