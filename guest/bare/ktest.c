/*
 * ktest.c - the test-kernel framework (see ktest.h).
 */
#include <stdarg.h>
#include <stddef.h>

#include "guest/bare/ktest.h"

const struct boot_info *ktest_boot;
uint64_t ktest_frame_rsp;

/* GDT: null, kernel code/data, user data/code, 32-bit user code, TSS (16 bytes). */
static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
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
    desc_set_gate(idt, v, (uint64_t)(isr_table + 16 * v), dpl, ist, trap);
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
    tss.rsp[0] = (uint64_t)(ktest_rsp0_stack + KTEST_STACK_SIZE);
    tss.ist[0] = (uint64_t)(ktest_ist1_stack + KTEST_STACK_SIZE);
    tss.ist[1] = (uint64_t)(ktest_ist2_stack + KTEST_STACK_SIZE);
    tss.iomap = sizeof tss;
    desc_load_gdt(gdt, &tss);
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
