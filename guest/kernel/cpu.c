/*
 * cpu.c - the processor's descriptor tables and control registers.
 *
 * GDT (built by guest/lib/desc.c): the boot hand-off's layout (kernel code
 * 0x08, kernel data 0x10, user data 0x1b, user code 0x23, 32-bit user code
 * 0x2b) plus a 64-bit TSS at 0x30.  In long mode the TSS holds only stack pointers: RSP0, loaded when
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

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t idt[256 * 16] __attribute__((aligned(16)));
extern const uint8_t isr_table[];

#define IST_STACK 8192
static uint8_t df_stack[IST_STACK] __attribute__((aligned(16)));
static uint8_t nmi_stack[IST_STACK] __attribute__((aligned(16)));
static uint8_t boot_rsp0[IST_STACK] __attribute__((aligned(16)));

uint64_t cpu_syscall_stack;

void cpu_set_kernel_stack(uint64_t top)
{
    tss.rsp[0] = top;
    cpu_syscall_stack = top;
}

static void load_gdt(void)
{
    tss.ist[0] = (uint64_t)(df_stack + IST_STACK);
    tss.ist[1] = (uint64_t)(nmi_stack + IST_STACK);
    tss.iomap = sizeof tss; /* no I/O permission bitmap: user mode has no ports */
    cpu_set_kernel_stack((uint64_t)(boot_rsp0 + IST_STACK));
    desc_load_gdt(gdt, &tss);
}

static void load_idt(void)
{
    for (unsigned v = 0; v < 256; v++)
        desc_set_gate(idt, v, (uint64_t)(isr_table + 16 * v), v == X86_VEC_BP ? 3 : 0,
                      v == X86_VEC_DF ? 1 : v == X86_VEC_NMI ? 2 : 0, false);
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
