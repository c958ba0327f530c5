/*
 * walkcase.h - one case of the walker differential test: a guest-physical
 * memory image holding random paging structures, a CPU state, and one access.
 *
 * The same case runs through three translators that share no code: our
 * walker (mmu/), QEMU's walker (Unicorn in its default UC_TLB_CPU mode) and
 * an SDM rules oracle (oracle.c).
 *
 * Physical layout (see docs/mmu.md, "Differential testing"):
 *   [0, WC_LOW_SIZE)       RAM: harness code, GDT, harness tables, and the
 *                          pool of random tables
 *   [WC_LOW_SIZE, 2^40)    nothing: leaf pages point here, so QEMU's access
 *                          to the page reaches Unicorn's unmapped-memory hook,
 *                          which reports the physical address QEMU translated
 *                          to; paging structures read there read as zero
 */
#ifndef EMU_SELFTEST_WALKCASE_H
#define EMU_SELFTEST_WALKCASE_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/rng.h"
#include "mmu/mmu.h"

#define WC_LOW_SIZE        0x400000ull
#define WC_HARNESS_CODE    0x10000ull  /* supervisor harness page; user page follows */
#define WC_GDT             0x20000ull
#define WC_STACK           0x7f000ull
#define WC_HARNESS_TABLES  0x100000ull /* 8 pages: the fixed chain to the harness pages */
#define WC_POOL            0x108000ull /* random tables are allocated from here */
#define WC_POOL_PAGES      64u
#define WC_MAXPHYADDR      40u         /* what QEMU's TCG reports and checks */

/* Offsets of the harness instructions within each harness page. */
enum {
    WC_CODE_READ = 0x00,        /* mov rax/eax, [rbx/ebx] */
    WC_CODE_WRITE = 0x10,       /* mov [rbx/ebx], rax/eax */
    WC_CODE_PKRU_READ = 0x20,   /* wrpkru; mov rax, [rbx] */
    WC_CODE_PKRU_WRITE = 0x30,  /* wrpkru; mov [rbx], rax */
    WC_CODE_PKRU_FETCH = 0x40,  /* wrpkru; jmp rbx */
};

#define WC_MAX_PAGES 48

struct walk_case {
    enum mmu_mode mode;
    struct mmu_regs regs;
    uint8_t cpl;
    bool ac;
    uint32_t pkru;
    enum mmu_access access;
    uint64_t va;
    uint64_t data; /* RAX: the value a write stores */
    /* Pages of the low image the case wrote (tables); everything else is 0. */
    unsigned npages;
    uint64_t pages[WC_MAX_PAGES];
};

/* The linear address of the harness page for a mode (user page at +0x1000). */
uint64_t wc_harness_va(enum mmu_mode mode);

/*
 * Generate case number `index` of `seed` for `mode` into image (the low
 * WC_LOW_SIZE bytes of physical memory, all zero on entry except the pages
 * a previous case listed, which the caller clears with wc_clear()).
 */
void wc_generate(uint64_t seed, enum mmu_mode mode, uint64_t index, uint8_t *image,
                 struct walk_case *c);

/* Zero the pages a case wrote. */
void wc_clear(const struct walk_case *c, uint8_t *image);

/* Copy the pages a case wrote from src to dst. */
void wc_copy(const struct walk_case *c, uint8_t *dst, const uint8_t *src);

/* Print the case's CPU state and access on one line. */
void wc_print(FILE *out, const struct walk_case *c);

/* ---- oracle.c ---- */

enum oracle_kind { ORACLE_OK, ORACLE_PF, ORACLE_GP_CANONICAL, ORACLE_GP_PDPTE, ORACLE_BUS };

struct oracle_result {
    enum oracle_kind kind;
    uint32_t error_code;
    uint64_t pa;
};

/* Translate c's access by the SDM's rules, setting A/D flags in image. */
void oracle_translate(const struct walk_case *c, bool implicit, uint8_t *image,
                      struct oracle_result *r);

#endif /* EMU_SELFTEST_WALKCASE_H */
