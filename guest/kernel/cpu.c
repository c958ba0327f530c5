/*
 * cpu.c - the processor's descriptor tables and control registers.
 *
 * GDT: the boot hand-off's layout (kernel code 0x08, kernel data 0x10, user
 * data 0x1b, user code 0x23, 32-bit user code 0x2b) plus a 64-bit TSS at
 * 0x30.  In long mode the TSS holds only stack pointers: RSP0, loaded when
 * an interrupt or exception arrives from user mode (the current thread's
 * kernel stack), and the IST stacks, loaded whatever the CPL for the gates
 * that name them: #DF and NMI get their own, so a kernel stack overflow
 * (#PF on the stack's guard page, then #DF) still reaches panic().
 *
 * IDT: 256 interrupt gates (IF cleared on entry) to trap.S's stubs, DPL 0
 * except #BP, which user mode may raise with INT3.
 *
 * Control registers: SMEP (the kernel never executes user pages), SMAP (it
 * touches user pages only inside usercopy.S), PGE (kernel pages are global,
 * so a CR3 switch keeps them), NXE (set by the boot), and IA32_PAT with
 * entry 4 = write-combining for PAGE_WRITECOMBINE.
 */
#include "guest/kernel/kernel.h"

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap;
};

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t idt[256 * 16] __attribute__((aligned(16)));
extern const uint8_t isr_table[];

#define IST_STACK 8192
static uint8_t df_stack[IST_STACK] __attribute__((aligned(16)));
static uint8_t nmi_stack[IST_STACK] __attribute__((aligned(16)));
static uint8_t boot_rsp0[IST_STACK] __attribute__((aligned(16)));

uint64_t cpu_syscall_stack;

static void set_gate(unsigned v, unsigned dpl, unsigned ist)
{
    uint64_t target = (uint64_t)(isr_table + 16 * v);
    uint8_t *g = idt + 16 * v;
    memset(g, 0, 16);
    g[0] = (uint8_t)target, g[1] = (uint8_t)(target >> 8);
    g[2] = KCODE, g[3] = 0;
    g[4] = (uint8_t)(ist & 7);
    g[5] = (uint8_t)(0x80 | (dpl << 5) | 0xe); /* present, interrupt gate */
    g[6] = (uint8_t)(target >> 16), g[7] = (uint8_t)(target >> 24);
    for (int i = 0; i < 4; i++)
        g[8 + i] = (uint8_t)(target >> (32 + 8 * i));
}

void cpu_set_kernel_stack(uint64_t top)
{
    tss.rsp[0] = top;
    cpu_syscall_stack = top;
}

static void load_gdt(void)
{
    gdt[1] = 0x00209b0000000000ull; /* 0x08 kernel code, 64-bit */
    gdt[2] = 0x00cf93000000ffffull; /* 0x10 kernel data */
    gdt[3] = 0x00cff3000000ffffull; /* 0x18 user data (DPL 3) */
    gdt[4] = 0x0020fb0000000000ull; /* 0x20 user code, 64-bit (DPL 3) */
    gdt[5] = 0x00cffb000000ffffull; /* 0x28 user code, 32-bit (DPL 3) */
    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             ((limit >> 16) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[7] = base >> 32;
    tss.ist[0] = (uint64_t)(df_stack + IST_STACK);
    tss.ist[1] = (uint64_t)(nmi_stack + IST_STACK);
    tss.iomap = sizeof tss; /* no I/O permission bitmap: user mode has no ports */
    cpu_set_kernel_stack((uint64_t)(boot_rsp0 + IST_STACK));
    struct desc_ptr g = { sizeof gdt - 1, (uint64_t)gdt };
    lgdt(&g);
    /* Reload CS with a far return, then the data segments and TR. */
    __asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     ::"i"(KCODE) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" ::"r"((uint64_t)KDATA));
    ltr(TSS_SEL);
}

static void load_idt(void)
{
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, v == X86_VEC_BP ? 3 : 0, v == X86_VEC_DF ? 1 : v == X86_VEC_NMI ? 2 : 0);
    struct desc_ptr i = { sizeof idt - 1, (uint64_t)idt };
    lidt(&i);
}

void cpu_init(void)
{
    load_gdt();
    load_idt();
    /* PAT: PA0 WB, PA1 WT, PA2 UC-, PA3 UC, PA4 WC, PA5 WT, PA6 UC-, PA7 UC. */
    wrmsr(X86_MSR_PAT, 0x0007040100070406ull);
    write_cr4(read_cr4() | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PGE);
}
