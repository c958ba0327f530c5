/*
 * oracle.c - an independent translator written from the SDM's text, for the
 * walker differential test.  QEMU does not expose the page-fault error
 * code; this oracle does, and it shares no code with mmu/: each paging
 * mode is transcribed literally from its section (Vol. 3A §4.3, §4.4,
 * §4.5), and the access-rights and error-code rules (§4.6, §4.7) are written
 * as the if/else sentences the SDM uses, where mmu/ uses a table.
 *
 * Memory outside the low image reads as zero, which is what QEMU's walker
 * sees for memory nothing backs.
 */
#include <string.h>

#include "emu/selftest/walkcase.h"
#include "shared/x86.h"

struct ox {
    const struct walk_case *c;
    bool implicit;
    uint8_t *img;
    struct oracle_result *r;
    /* What the mode-specific walk found. */
    uint64_t leaf_pa;   /* where the entry that maps the page lives */
    unsigned leaf_width;
    uint64_t leaf;      /* its value */
    uint64_t frame;     /* physical address of the page */
    uint64_t size;
    bool u, w, xd;      /* U/S and R/W in all entries; XD in any (with NXE) */
};

static uint64_t rd(const struct ox *o, uint64_t pa, unsigned width)
{
    uint64_t v = 0;
    if (pa + width <= WC_LOW_SIZE)
        memcpy(&v, o->img + pa, width);
    return v;
}

static void set_bits(struct ox *o, uint64_t pa, unsigned width, uint64_t bits)
{
    uint64_t v = rd(o, pa, width);
    if (pa + width <= WC_LOW_SIZE && (v | bits) != v) {
        v |= bits;
        memcpy(o->img + pa, &v, width);
    }
}

static bool bit(uint64_t v, unsigned n)
{
    return (v >> n) & 1;
}

static bool nxe(const struct ox *o)
{
    return o->c->regs.efer & X86_EFER_NXE;
}

static bool user_mode_access(const struct ox *o)
{
    return o->c->cpl == 3 && !o->implicit;
}

static bool fail_pf(struct ox *o, bool present, bool rsvd, bool pk)
{
    const struct walk_case *c = o->c;
    uint32_t ec = 0;
    if (present)
        ec |= 1;                                  /* P */
    if (c->access == MMU_WRITE)
        ec |= 2;                                  /* W/R */
    if (user_mode_access(o))
        ec |= 4;                                  /* U/S */
    if (rsvd)
        ec |= 8;                                  /* RSVD */
    if (c->access == MMU_FETCH &&
        ((c->regs.cr4 & X86_CR4_SMEP) || ((c->regs.cr4 & X86_CR4_PAE) && nxe(o))))
        ec |= 16;                                 /* I/D */
    if (pk)
        ec |= 32;                                 /* PK */
    o->r->kind = ORACLE_PF;
    o->r->error_code = ec;
    return false;
}

/* Bits hi..lo set. */
static uint64_t range(unsigned hi, unsigned lo)
{
    uint64_t m = 0;
    for (unsigned b = lo; b <= hi; b++)
        m |= 1ull << b;
    return m;
}

/* ---- 32-bit paging, §4.3 ---- */
static bool walk_legacy(struct ox *o)
{
    uint64_t va = o->c->va & 0xffffffffull, cr3 = o->c->regs.cr3;
    uint64_t pde_pa = (cr3 & 0xfffff000ull) | ((va >> 22) << 2);
    uint64_t pde = rd(o, pde_pa, 4);
    if (!bit(pde, 0))
        return fail_pf(o, false, false, false);
    if ((o->c->regs.cr4 & X86_CR4_PSE) && bit(pde, 7)) {
        /* 4-MByte page.  MAXPHYADDR = 40, so bits 20:13 are all address
         * bits (39:32) and only bit 21 is reserved (Table 4-5). */
        if (bit(pde, 21))
            return fail_pf(o, true, true, false);
        o->frame = (pde & 0xffc00000ull) | (((pde >> 13) & 0xff) << 32);
        o->size = 4u << 20;
        o->leaf_pa = pde_pa;
        o->leaf = pde;
        o->leaf_width = 4;
        o->u = bit(pde, 2);
        o->w = bit(pde, 1);
        o->xd = false;
        return true;
    }
    set_bits(o, pde_pa, 4, 1u << 5);
    uint64_t pte_pa = (pde & 0xfffff000ull) | (((va >> 12) & 0x3ff) << 2);
    uint64_t pte = rd(o, pte_pa, 4);
    if (!bit(pte, 0))
        return fail_pf(o, false, false, false);
    o->frame = pte & 0xfffff000ull;
    o->size = 4096;
    o->leaf_pa = pte_pa;
    o->leaf = pte;
    o->leaf_width = 4;
    o->u = bit(pde, 2) && bit(pte, 2);
    o->w = bit(pde, 1) && bit(pte, 1);
    o->xd = false;
    return true;
}

/* ---- PAE paging, §4.4 ---- */
static bool load_pdptes(struct ox *o, uint64_t pdpte[4])
{
    uint64_t base = o->c->regs.cr3 & 0xffffffe0ull;
    for (unsigned i = 0; i < 4; i++) {
        pdpte[i] = rd(o, base + 8 * i, 8);
        /* Bits 2:1, 8:5 and 63:MAXPHYADDR are reserved (Table 4-8). */
        if (bit(pdpte[i], 0) && (pdpte[i] & (range(2, 1) | range(8, 5) | range(63, 40)))) {
            o->r->kind = ORACLE_GP_PDPTE;
            return false;
        }
    }
    return true;
}

static bool walk_pae(struct ox *o)
{
    uint64_t va = o->c->va & 0xffffffffull, pdpte[4];
    if (!load_pdptes(o, pdpte))
        return false;
    uint64_t e3 = pdpte[va >> 30];
    if (!bit(e3, 0))
        return fail_pf(o, false, false, false);
    /* Bits 62:MAXPHYADDR reserved; bit 63 too unless IA32_EFER.NXE = 1. */
    uint64_t rsvd = range(62, 40) | (nxe(o) ? 0 : range(63, 63));
    uint64_t pde_pa = (e3 & range(39, 12)) | (((va >> 21) & 0x1ff) << 3);
    uint64_t pde = rd(o, pde_pa, 8);
    if (!bit(pde, 0))
        return fail_pf(o, false, false, false);
    if (pde & rsvd)
        return fail_pf(o, true, true, false);
    if (bit(pde, 7)) {
        if (pde & range(20, 13))
            return fail_pf(o, true, true, false);
        o->frame = pde & range(39, 21);
        o->size = 2u << 20;
        o->leaf_pa = pde_pa;
        o->leaf = pde;
        o->leaf_width = 8;
        o->u = bit(pde, 2);
        o->w = bit(pde, 1);
        o->xd = nxe(o) && bit(pde, 63);
        return true;
    }
    set_bits(o, pde_pa, 8, 1u << 5);
    uint64_t pte_pa = (pde & range(39, 12)) | (((va >> 12) & 0x1ff) << 3);
    uint64_t pte = rd(o, pte_pa, 8);
    if (!bit(pte, 0))
        return fail_pf(o, false, false, false);
    if (pte & rsvd)
        return fail_pf(o, true, true, false);
    o->frame = pte & range(39, 12);
    o->size = 4096;
    o->leaf_pa = pte_pa;
    o->leaf = pte;
    o->leaf_width = 8;
    o->u = bit(pde, 2) && bit(pte, 2);
    o->w = bit(pde, 1) && bit(pte, 1);
    o->xd = nxe(o) && (bit(pde, 63) || bit(pte, 63));
    return true;
}

/* ---- 4-level and 5-level paging, §4.5 ---- */
static bool walk_ia32e(struct ox *o, bool five)
{
    uint64_t va = o->c->va;
    unsigned bits = five ? 57 : 48;
    /* Canonical: bits 63:bits-1 all equal. */
    uint64_t upper = va >> (bits - 1);
    if (upper != 0 && upper != (~0ull >> (bits - 1))) {
        o->r->kind = ORACLE_GP_CANONICAL;
        return false;
    }
    /* Bits 51:MAXPHYADDR reserved everywhere; bit 63 unless NXE. */
    uint64_t rsvd = range(51, 40) | (nxe(o) ? 0 : range(63, 63));
    uint64_t table = o->c->regs.cr3 & range(39, 12);
    bool u = true, w = true, xd = false;
    for (int level = five ? 5 : 4; level >= 1; level--) {
        uint64_t pa = table | (((va >> (12 + 9 * (level - 1))) & 0x1ff) << 3);
        uint64_t e = rd(o, pa, 8);
        if (!bit(e, 0))
            return fail_pf(o, false, false, false);
        if (e & rsvd)
            return fail_pf(o, true, true, false);
        /* PS is reserved in PML5Es and PML4Es. */
        if (level >= 4 && bit(e, 7))
            return fail_pf(o, true, true, false);
        u = u && bit(e, 2);
        w = w && bit(e, 1);
        xd = xd || (nxe(o) && bit(e, 63));
        bool maps_page = level == 1 || ((level == 2 || level == 3) && bit(e, 7));
        if (maps_page) {
            unsigned shift = 12 + 9 * (level - 1);
            /* Bits shift-1:13 of a large-page entry are reserved. */
            if (level > 1 && (e & range(shift - 1, 13)))
                return fail_pf(o, true, true, false);
            o->frame = e & range(39, shift);
            o->size = 1ull << shift;
            o->leaf_pa = pa;
            o->leaf = e;
            o->leaf_width = 8;
            o->u = u;
            o->w = w;
            o->xd = xd;
            return true;
        }
        set_bits(o, pa, 8, 1u << 5);
        table = e & range(39, 12);
    }
    return false; /* not reached: level 1 always maps a page */
}

/*
 * §4.6.1 and §4.6.2, sentence by sentence.  Returns whether the access is
 * allowed; *pk says whether protection keys forbid it.
 */
static bool allowed(const struct ox *o, bool *pk)
{
    const struct walk_case *c = o->c;
    bool wp = c->regs.cr0 & X86_CR0_WP, smep = c->regs.cr4 & X86_CR4_SMEP;
    bool smap = c->regs.cr4 & X86_CR4_SMAP;
    bool user_address = o->u;
    bool ok;

    *pk = false;
    if ((c->regs.efer & X86_EFER_LMA) && (c->regs.cr4 & X86_CR4_PKE) && user_address &&
        c->access != MMU_FETCH) {
        unsigned key = (unsigned)(o->leaf >> 59) & 15;
        bool ad = bit(c->pkru, 2 * key), wd = bit(c->pkru, 2 * key + 1);
        if (ad)
            *pk = true;
        else if (wd && c->access == MMU_WRITE && (user_mode_access(o) || wp))
            *pk = true;
    }

    if (user_mode_access(o)) {
        if (!user_address)
            return false;
        if (c->access == MMU_READ)
            ok = true;
        else if (c->access == MMU_WRITE)
            ok = o->w;
        else
            ok = !o->xd;
        return ok && !*pk;
    }
    /* Supervisor-mode access. */
    if (c->access == MMU_FETCH) {
        if (user_address && smep)
            return false;
        return !o->xd;
    }
    if (user_address && smap && (o->implicit || !c->ac))
        return false;
    if (c->access == MMU_READ)
        ok = true;
    else
        ok = !wp || o->w;
    return ok && !*pk;
}

void oracle_translate(const struct walk_case *c, bool implicit, uint8_t *image,
                      struct oracle_result *r)
{
    struct ox o = { .c = c, .implicit = implicit, .img = image, .r = r };
    memset(r, 0, sizeof *r);
    bool translated;
    switch (c->mode) {
    case MMU_MODE_LEGACY: translated = walk_legacy(&o); break;
    case MMU_MODE_PAE: translated = walk_pae(&o); break;
    case MMU_MODE_4LEVEL: translated = walk_ia32e(&o, false); break;
    default: translated = walk_ia32e(&o, true); break;
    }
    if (!translated)
        return;
    bool pk;
    if (!allowed(&o, &pk)) {
        fail_pf(&o, true, false, pk);
        return;
    }
    /* §4.8: the leaf is accessed, and dirty on a write. */
    set_bits(&o, o.leaf_pa, o.leaf_width, (1u << 5) | (c->access == MMU_WRITE ? 1u << 6 : 0));
    uint64_t mask = c->mode >= MMU_MODE_4LEVEL ? ~0ull : 0xffffffffull;
    r->kind = ORACLE_OK;
    r->pa = o.frame + ((c->va & mask) & (o.size - 1));
}
