/*
 * mmu.h - x86 linear-address translation as the Intel SDM describes it
 * (Vol. 3A, chapter 4 "Paging").
 *
 * A pure library: it knows nothing about Unicorn.  It reads and writes
 * guest-physical memory only through struct mmu_pmem, so tests drive it with
 * synthetic page tables and the emulator drives it from its TLB-fill hook.
 *
 * One translation ("walk") produces a complete record, struct mmu_walk: every
 * paging-structure entry read (where, what, and what the walk wrote back), the
 * effective access rights, the page size and physical address, or the fault
 * with its vector, error code and CR2 value.  Traces, the gdb stub and the
 * teaching views all print from that record.
 */
#ifndef MMU_MMU_H
#define MMU_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The paging mode in use (SDM Vol. 3A §4.1.1, Table 4-1). */
enum mmu_mode {
    MMU_MODE_OFF,    /* CR0.PG = 0: linear = physical */
    MMU_MODE_LEGACY, /* 32-bit paging: CR4.PAE = 0 */
    MMU_MODE_PAE,    /* PAE paging: CR4.PAE = 1, EFER.LME = 0 */
    MMU_MODE_4LEVEL, /* 4-level paging: EFER.LME = 1, CR4.LA57 = 0 */
    MMU_MODE_5LEVEL, /* 5-level paging: EFER.LME = 1, CR4.LA57 = 1 */
    MMU_MODE_COUNT
};

/* Paging-structure levels, numbered as the SDM's tables are nested. */
enum mmu_level {
    MMU_PTE = 1,
    MMU_PDE = 2,
    MMU_PDPTE = 3,
    MMU_PML4E = 4,
    MMU_PML5E = 5,
};
#define MMU_MAX_LEVELS 5

enum mmu_access { MMU_READ = 0, MMU_WRITE = 1, MMU_FETCH = 2 };

/* Rights a translation grants (bit n = access n of enum mmu_access is allowed). */
#define MMU_R (1u << MMU_READ)
#define MMU_W (1u << MMU_WRITE)
#define MMU_X (1u << MMU_FETCH)

/* Flags for mmu_translate(). */
#define MMU_IMPLICIT 0x1u /* implicit supervisor-mode access (GDT/IDT/TSS reads) */
#define MMU_NO_AD    0x2u /* inspect only: do not set accessed/dirty flags */
#define MMU_DEBUG    0x4u /* debugger view: supervisor access, no rights check,
                             implies MMU_NO_AD */

enum mmu_fault {
    MMU_FAULT_NONE,
    MMU_FAULT_PF,  /* page fault (#PF, vector 14) */
    MMU_FAULT_GP,  /* non-canonical address or bad PDPTE load (#GP(0), vector 13) */
    MMU_FAULT_BUS, /* a paging-structure entry lies outside guest-physical memory */
};

/* Why a translation failed; the error code alone does not say it all. */
enum mmu_why {
    MMU_WHY_NONE,
    MMU_WHY_NOT_PRESENT,   /* P = 0 in an entry */
    MMU_WHY_RESERVED,      /* a reserved bit is set in an entry */
    MMU_WHY_USER,          /* user-mode access to a supervisor-mode address */
    MMU_WHY_READ_ONLY,     /* write with R/W = 0 somewhere (and CR0.WP or CPL 3) */
    MMU_WHY_NX,            /* fetch with XD = 1 somewhere (EFER.NXE = 1) */
    MMU_WHY_SMEP,          /* supervisor fetch from a user-mode address */
    MMU_WHY_SMAP,          /* supervisor data access to a user-mode address */
    MMU_WHY_PKEY,          /* PKRU forbids the access for the page's key */
    MMU_WHY_NON_CANONICAL, /* #GP: address not canonical */
    MMU_WHY_PDPTE,         /* #GP: a PAE PDPTE has a reserved bit set */
    MMU_WHY_BUS,           /* entry outside guest-physical memory */
    MMU_WHY_COUNT
};

/* Guest-physical memory as the walker sees it. */
struct mmu_pmem {
    uint8_t *ram;      /* guest-physical [0, ram_size) as host memory, or NULL */
    uint64_t ram_size;
    /* Optional, for addresses outside ram: return false if nothing is there. */
    bool (*read)(void *ctx, uint64_t pa, void *buf, unsigned len);
    bool (*write)(void *ctx, uint64_t pa, const void *buf, unsigned len);
    void *ctx;
};

/* What the modelled processor supports (CPUID), fixed for a machine's life. */
struct mmu_features {
    uint8_t maxphyaddr; /* MAXPHYADDR, 32..52 (CPUID.80000008H:EAX[7:0]) */
    bool pse36;         /* 4 MB pages may map above 4 GB (CPUID.1:EDX.PSE-36) */
    bool gbpages;       /* 1 GB pages (CPUID.80000001H:EDX.Page1GB) */
};

/* The registers paging depends on. */
struct mmu_regs {
    uint64_t cr0, cr3, cr4, efer;
};

/* One paging-structure entry used by a walk. */
struct mmu_step {
    uint8_t level;      /* enum mmu_level */
    uint8_t width;      /* 4 (32-bit paging) or 8 bytes */
    bool from_register; /* PAE PDPTE: taken from a PDPTE register */
    uint16_t index;     /* index of the entry in its table */
    uint64_t entry_pa;  /* physical address of the entry */
    uint64_t value;     /* the entry as read */
    uint64_t written;   /* the entry after the walk (A/D set); == value if unchanged */
};

/* Everything one translation did and decided. */
struct mmu_walk {
    uint64_t va;        /* the linear address (truncated to 32 bits outside IA-32e) */
    uint8_t access;     /* enum mmu_access */
    uint8_t flags;      /* MMU_IMPLICIT, ... */
    uint8_t mode;       /* enum mmu_mode */
    uint8_t cpl;
    uint8_t nsteps;
    struct mmu_step step[MMU_MAX_LEVELS];

    uint8_t fault;      /* enum mmu_fault */
    uint8_t why;        /* enum mmu_why */
    uint8_t vector;     /* 14 (#PF) or 13 (#GP) when fault != NONE */
    uint32_t error_code;
    uint64_t cr2;       /* value for CR2 (#PF only) */

    /* The translation (valid when fault == NONE). */
    uint64_t pa;
    uint64_t page_base; /* physical base of the page */
    uint64_t page_size; /* 4 KB, 2 MB, 4 MB or 1 GB */
    uint8_t rights;     /* MMU_R|MMU_W|MMU_X this context may do on the page */
    bool dirty;         /* the leaf's D flag after the walk */
    bool global;        /* the leaf's G flag (meaningful with CR4.PGE) */
    uint8_t pkey;       /* protection key (IA-32e with CR4.PKE) */
    uint8_t memtype;    /* PAT index: PAT<<2 | PCD<<1 | PWT */
    /* The controls accumulated over the entries (AND of U/S, AND of R/W, OR
     * of XD): what a TLB keeps, since rights depend on the access context. */
    bool leaf_u, leaf_w, leaf_xd;

    /* Set by mmu_access() when a TLB model is attached (mmu/tlb.h). */
    int8_t tlb_hit;     /* structure that supplied the translation; -1: none */
    uint8_t psc_level;  /* the walk began below a paging-structure-cache entry
                           for this level (enum mmu_level); 0: began at CR3 */
};

/* Counters; exact in every mode. */
struct mmu_stats {
    uint64_t walks;
    uint64_t entry_reads;  /* paging-structure entries read from memory */
    uint64_t ad_writes;    /* entries written back to set A or D */
    uint64_t faults[MMU_WHY_COUNT];
};

/* The derived description of the current paging mode (see paging.c). */
struct mmu_level_desc {
    uint8_t shift;        /* lowest linear-address bit this level indexes */
    uint8_t index_bits;   /* 10 (32-bit paging), 9, or 2 (PAE PDPTE) */
    bool page_ok;         /* PS = 1 maps a page here (given CR4 and features) */
    uint64_t rsvd_table;  /* reserved bits when the entry references a table */
    uint64_t rsvd_page;   /* reserved bits when the entry maps a page */
};

struct mmu_paging {
    uint8_t mode;         /* enum mmu_mode */
    uint8_t top;          /* level of the first entry a walk uses */
    uint8_t width;        /* entry width in bytes */
    uint8_t va_bits;      /* 32, 48 or 57 */
    bool nxe, wp, smep, smap, pke, pge, pcide, pae_or_long;
    uint64_t addr_mask;   /* entry bits holding a physical address */
    struct mmu_level_desc lv[MMU_MAX_LEVELS + 1]; /* [1..5] */
};

struct tlb; /* the TLB model, mmu/tlb.h */

struct mmu {
    struct mmu_features feat;
    struct mmu_pmem pmem;
    struct mmu_regs regs;
    struct mmu_paging paging;   /* derived from regs by mmu_set_regs() */
    uint64_t pdpte[4];          /* PAE PDPTE registers (SDM §4.4.1) */
    /* Per-access context, cheap to change before each translation. */
    uint8_t cpl;
    bool ac;                    /* RFLAGS.AC */
    uint32_t pkru;
    struct mmu_stats stats;
    struct tlb *tlb;            /* TLB model consulted by mmu_access(), or NULL */
};

/* Default features: MAXPHYADDR 40 (as QEMU's TCG reports), PSE-36, 1 GB pages. */
void mmu_features_default(struct mmu_features *f);

void mmu_init(struct mmu *m, const struct mmu_features *f, const struct mmu_pmem *pmem);

/*
 * Load CR0, CR3, CR4 and EFER as MOV to CR / WRMSR would, and derive the
 * paging mode.  With PAE paging the PDPTE registers are loaded from CR3; if a
 * present PDPTE sets a reserved bit the load fails as on hardware (#GP(0),
 * SDM §4.4.1): the function returns false, fills *gp if non-NULL, and the
 * previous PDPTE registers are kept.
 */
bool mmu_set_regs(struct mmu *m, const struct mmu_regs *r, struct mmu_walk *gp);

/* The privilege context of the accesses that follow. */
static inline void mmu_set_privilege(struct mmu *m, unsigned cpl, bool ac, uint32_t pkru)
{
    m->cpl = (uint8_t)cpl;
    m->ac = ac;
    m->pkru = pkru;
}

/*
 * Translate va for one access.  Returns true when the access may proceed
 * (w->pa is valid); false with w->fault, w->vector, w->error_code, w->cr2
 * and w->why describing the fault.  Sets accessed and dirty flags in guest
 * memory as the SDM says unless flags has MMU_NO_AD.
 */
bool mmu_translate(struct mmu *m, uint64_t va, enum mmu_access access,
                   unsigned flags, struct mmu_walk *w);

/*
 * The entry point for every access the emulated CPU makes.  Without a TLB
 * model attached (m->tlb == NULL) it is exactly mmu_translate().  With one,
 * it answers from the TLBs when they hold the translation (possibly stale,
 * as a real CPU would use it), with the rights re-derived for the current
 * privilege context; otherwise it walks, starting below the deepest
 * paging-structure-cache entry that matches, and fills the TLBs.
 * w->tlb_hit and w->psc_level say which.  MMU_NO_AD and MMU_DEBUG
 * translations bypass the model: they neither consult nor change it.
 */
bool mmu_access(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                struct mmu_walk *w);

/* Attach a TLB model (or NULL to detach).  mmu_init() detaches. */
static inline void mmu_attach_tlb(struct mmu *m, struct tlb *t)
{
    m->tlb = t;
}

/* Names, for printing. */
const char *mmu_mode_name(enum mmu_mode mode);
const char *mmu_level_name(enum mmu_mode mode, unsigned level);
const char *mmu_access_name(enum mmu_access access);
const char *mmu_why_text(enum mmu_why why);

/* Error code as text, e.g. "P W U" (buf of at least 32 bytes). */
const char *mmu_error_code_text(uint32_t ec, char *buf, size_t len);

/* Print a walk level by level, as the pagewalk demo and monitor views show it. */
void mmu_walk_print(FILE *out, const struct mmu_walk *w);

/* The flags of an entry as text, e.g. "P RW US A D PS G XD PK=3". */
const char *mmu_entry_flags_text(enum mmu_mode mode, unsigned level, bool leaf, uint64_t entry,
                                 char *buf, size_t len);

#endif /* MMU_MMU_H */
