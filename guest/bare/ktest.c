/*
 * ktest.c - the test-kernel framework (see ktest.h).
 */
#include <stdarg.h>
#include <stddef.h>

#include "guest/bare/ktest.h"

const struct boot_info *ktest_boot;
uint64_t ktest_frame_rsp;

/* GDT: null, kernel code/data, user data/code, 32-bit user code, TSS (16 bytes). */
static uint64_t gdt[8] __attribute__((aligned(16)));
struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap;
};
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t idt[256 * 16] __attribute__((aligned(16)));
static ktest_handler handlers[256];
extern const uint8_t isr_table[];

uint8_t ktest_rsp0_stack[KTEST_STACK_SIZE] __attribute__((aligned(16)));
uint8_t ktest_ist1_stack[KTEST_STACK_SIZE] __attribute__((aligned(16)));
uint8_t ktest_ist2_stack[KTEST_STACK_SIZE] __attribute__((aligned(16)));


void *phys_to_virt(uint64_t pa)
{
    return (void *)(ktest_boot->direct_map + pa);
}

void ktest_gate(unsigned v, unsigned dpl, unsigned ist, bool trap)
{
    uint64_t target = (uint64_t)(isr_table + 16 * v);
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

void ktest_on(unsigned vector, ktest_handler h)
{
    handlers[vector] = h;
}

void ktest_dispatch(struct frame *f);
void ktest_dispatch(struct frame *f)
{
    bool ec = f->vector == 8 || (f->vector >= 10 && f->vector <= 14) || f->vector == 17;
    ktest_frame_rsp = (uint64_t)(ec ? &f->error_code : &f->rip);
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    kprintf("not ok - unexpected vector %llu, error code 0x%llx, RIP 0x%llx, CR2 0x%llx\n",
            (unsigned long long)f->vector, (unsigned long long)f->error_code,
            (unsigned long long)f->rip, (unsigned long long)read_cr2());
    machine_exit(99);
}

static void setup_descriptors(void)
{
    gdt[1] = 0x00209b0000000000ull; /* 0x08 kernel code 64-bit */
    gdt[2] = 0x00cf93000000ffffull; /* 0x10 kernel data */
    gdt[3] = 0x00cff3000000ffffull; /* 0x18 user data */
    gdt[4] = 0x0020fb0000000000ull; /* 0x20 user code 64-bit */
    gdt[5] = 0x00cffb000000ffffull; /* 0x28 user code 32-bit */
    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             ((limit >> 16) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[7] = base >> 32;
    tss.rsp[0] = (uint64_t)(ktest_rsp0_stack + KTEST_STACK_SIZE);
    tss.ist[0] = (uint64_t)(ktest_ist1_stack + KTEST_STACK_SIZE);
    tss.ist[1] = (uint64_t)(ktest_ist2_stack + KTEST_STACK_SIZE);
    tss.iomap = sizeof tss;
    struct desc_ptr g = { sizeof gdt - 1, (uint64_t)gdt };
    lgdt(&g);
    /* Reload CS with a far return, then the data segments and TR. */
    __asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     ::"i"(KCODE) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" ::"r"(KDATA));
    ltr(TSS_SEL);
    for (unsigned v = 0; v < 256; v++)
        ktest_gate(v, 0, 0, false);
    struct desc_ptr i = { sizeof idt - 1, (uint64_t)idt };
    lidt(&i);
}

/* ---- TAP (guest/lib/tap.c prints with printf) ---- */

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    return 0;
}

/* ---- memory ---- */

static uint64_t next_free;

uint64_t ktest_alloc_page(void)
{
    if (!next_free)
        next_free = (ktest_boot->kernel_phys_end + 0xfff) & ~0xfffull;
    uint64_t pa = next_free;
    next_free += 0x1000;
    memset(phys_to_virt(pa), 0, 0x1000);
    return pa;
}

/* Walk the live tables (CR3) down to the entry of va at `last` (1: PTE,
 * 2: PDE), creating tables; every table entry on the way gets the US bit if
 * the mapping is a user one. */
static uint64_t *entry_for(uint64_t va, bool user, bool create, int last)
{
    uint64_t table = read_cr3() & X86_PTE_ADDR_MASK;
    for (int level = 4; level > last; level--) {
        uint64_t *e = (uint64_t *)phys_to_virt(table) + ((va >> (12 + 9 * (level - 1))) & 511);
        if (!(*e & X86_PTE_P)) {
            if (!create)
                return 0;
            *e = ktest_alloc_page() | X86_PTE_P | X86_PTE_RW;
        }
        if (user)
            *e |= X86_PTE_US;
        table = *e & X86_PTE_ADDR_MASK;
    }
    return (uint64_t *)phys_to_virt(table) + ((va >> (12 + 9 * (last - 1))) & 511);
}

static uint64_t *pte_for(uint64_t va, bool user, bool create)
{
    return entry_for(va, user, create, 1);
}

uint64_t *ktest_map_2m(uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pde = entry_for(va, flags & X86_PTE_US, true, 2);
    *pde = pa | flags | X86_PTE_P | X86_PTE_PS;
    invlpg(va);
    return pde;
}

void ktest_map(uint64_t va, uint64_t pa, uint64_t flags)
{
    *pte_for(va, flags & X86_PTE_US, true) = pa | flags | X86_PTE_P;
    invlpg(va);
}

uint64_t *ktest_pte(uint64_t va)
{
    return pte_for(va, false, false);
}

void ktest_user_code(uint64_t va, const void *code, unsigned len)
{
    uint64_t pa = ktest_alloc_page();
    memcpy(phys_to_virt(pa), code, len);
    ktest_map(va, pa, X86_PTE_US);
}

void ktest_user_stack(uint64_t top)
{
    ktest_map(top - 0x1000, ktest_alloc_page(), X86_PTE_US | X86_PTE_RW | X86_PTE_XD);
}

void ktest_user_return(struct frame *f)
{
    f->rip = (uint64_t)ktest_user_resume;
    f->cs = KCODE;
    f->ss = KDATA;
    f->rsp = ktest_saved_rsp;
    f->rflags = X86_RFLAGS_FIXED;
}

void ktest_start(const struct boot_info *bi);
void ktest_start(const struct boot_info *bi)
{
    ktest_boot = bi;
    setup_descriptors();
    ktest_main();
    machine_exit((uint32_t)tap_done());
}
