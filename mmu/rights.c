/*
 * rights.c - access rights of a translation (SDM Vol. 3A §4.6).
 *
 * The architecture states these rules as a table, so they are one: the
 * rights for each combination of page attributes and processor controls are
 * computed at compile time from the rule below, written once as the SDM
 * words it, and a translation looks its answer up with one load.
 */
#include "mmu/mmu.h"
#include "mmu/mmu_internal.h"

/*
 * Index bits:
 *   0  W     R/W = 1 in every paging-structure entry of the translation
 *   1  X     XD = 0 in every entry (always, when EFER.NXE = 0)
 *   2  U     U/S = 1 in every entry: a user-mode address
 *   3  UA    user-mode access (CPL = 3 and not an implicit supervisor access)
 *   4  WP    CR0.WP
 *   5  SMEP  CR4.SMEP
 *   6  SMAP  CR4.SMAP = 1 and the supervisor access is implicit or EFLAGS.AC = 0
 */
#define B(i, n) (((i) >> (n)) & 1)

/* Supervisor-mode writes honour R/W only when CR0.WP = 1 (§4.6.1). */
#define SUP_W(i) ((B(i, 0) || !B(i, 4)) ? MMU_W : 0)

#define RIGHTS(i)                                                                  \
    (B(i, 3)                                                                       \
         /* User-mode access: only user-mode addresses; R/W and XD apply. */       \
         ? (B(i, 2) ? (MMU_R | (B(i, 0) ? MMU_W : 0) | (B(i, 1) ? MMU_X : 0)) : 0) \
     : B(i, 2)                                                                     \
         /* Supervisor access to a user-mode address: SMAP may forbid data         \
          * accesses, SMEP forbids fetches. */                                     \
         ? ((B(i, 6) ? 0 : (MMU_R | SUP_W(i))) | ((B(i, 1) && !B(i, 5)) ? MMU_X : 0)) \
         /* Supervisor access to a supervisor-mode address. */                     \
         : (MMU_R | SUP_W(i) | (B(i, 1) ? MMU_X : 0)))

#define R4(i) RIGHTS(i), RIGHTS((i) + 1), RIGHTS((i) + 2), RIGHTS((i) + 3)
#define R16(i) R4(i), R4((i) + 4), R4((i) + 8), R4((i) + 12)
#define R64(i) R16(i), R16((i) + 16), R16((i) + 32), R16((i) + 48)

static const uint8_t rights_table[128] = { R64(0), R64(64) };

uint8_t mmu_rights(const struct mmu_paging *p, bool page_w, bool page_x, bool page_u,
                   bool user_access, bool smap_blocks)
{
    unsigned i = (unsigned)page_w | (unsigned)page_x << 1 | (unsigned)page_u << 2 |
                 (unsigned)user_access << 3 | (unsigned)p->wp << 4 |
                 (unsigned)p->smep << 5 | (unsigned)smap_blocks << 6;
    return rights_table[i];
}

/*
 * Protection keys (§4.6.2): for data accesses to user-mode addresses, PKRU
 * bit 2i (AD) forbids reads and writes, bit 2i+1 (WD) forbids writes by
 * user-mode accesses, and by supervisor-mode accesses when CR0.WP = 1.
 * Instruction fetches are never affected.  Index: AD | WD << 1 | WD-applies << 2.
 */
static const uint8_t pkey_table[8] = {
    [0] = MMU_R | MMU_W | MMU_X, /* no restriction */
    [1] = MMU_X,                 /* AD */
    [2] = MMU_R | MMU_W | MMU_X, /* WD, but it does not apply */
    [3] = MMU_X,                 /* AD (and WD) */
    [4] = MMU_R | MMU_W | MMU_X,
    [5] = MMU_X,
    [6] = MMU_R | MMU_X,         /* WD applies: read-only */
    [7] = MMU_X,
};

uint8_t mmu_pkey_rights(uint32_t pkru, unsigned key, bool user_access, bool wp)
{
    unsigned ad = (pkru >> (2 * key)) & 1, wd = (pkru >> (2 * key + 1)) & 1;
    return pkey_table[ad | wd << 1 | (unsigned)(user_access || wp) << 2];
}
