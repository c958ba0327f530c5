/*
 * pagefile.c - the paging file: disk 1, by this kernel's convention (mmulab
 * run attaches one there: --pagefile, --pagefile-size), divided into slots
 * of one page each (8 sectors), slot n at sector 8n.  A bitmap says which
 * slots hold a page; allocation is next-fit from where the last one ended,
 * so consecutive page-outs land in consecutive slots.  The bitmap lives in
 * whole pages taken at boot (one page covers 32,768 slots, 128 MB).
 *
 * A slot belongs to exactly one page: to the PTE of a private page that is
 * out (its software form records the slot, vm.c), or to the PFN entry of a
 * frame whose contents it still copies (a standby page, or a resident one
 * read back from it and not written since).
 *
 * Fault injection for the tests: "pagefilefail=IMAGE:VA" (VA in hex) on the
 * kernel command line makes the first paging-file read of the page at VA in
 * a process of image IMAGE fail the way a bad disk does: the read is sent
 * past the end of the disk, and the device itself reports the error.
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"

#define SECTORS_PER_SLOT (PAGE_SIZE / DISK_SECTOR_SIZE)
#define BITS_PER_MAP_PAGE (PAGE_SIZE * 8)
#define WORDS_PER_MAP_PAGE (PAGE_SIZE / 8)
#define MAX_SLOTS (16ull << 30 >> PAGE_SHIFT) /* 16 GB: mmulab's largest paging file */
#define MAX_MAP_PAGES (MAX_SLOTS / BITS_PER_MAP_PAGE)

static struct {
    uint64_t slots, used, next;         /* next: where the next search starts */
    uint64_t disk_sectors;
    uint64_t *map[MAX_MAP_PAGES];       /* bitmap pages (direct-map addresses) */
    uint64_t reads, writes, read_errors, write_errors;
    char fail_image[64];                /* pagefilefail=: the image and page, */
    uint64_t fail_va;                   /* until the read it fails */
    bool fail_armed;
} pf;

static uint64_t *word_of(uint64_t slot)
{
    return &pf.map[slot / BITS_PER_MAP_PAGE][slot % BITS_PER_MAP_PAGE / 64];
}

static void parse_injection(void)
{
    char v[96];
    if (!cmdline_get("pagefilefail", v, sizeof v))
        return;
    char *colon = strrchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof pf.fail_image) {
        kprintf("pagefilefail=%s: not IMAGE:VA (IMAGE at most %u characters): ignored\n", v,
                (unsigned)sizeof pf.fail_image - 1);
        return;
    }
    uint64_t va = 0;
    const char *s = colon + 1;
    for (; *s && va < (1ull << 60); s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0'
                : (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f' ? (*s | 0x20) - 'a' + 10 : -1;
        if (d < 0)
            break;
        va = va * 16 + (uint64_t)d;
    }
    if (*s || s == colon + 1) { /* a test's typo: say so rather than test nothing */
        kprintf("pagefilefail=%s: not IMAGE:VA with VA in hex: ignored\n", v);
        return;
    }
    memcpy(pf.fail_image, v, (size_t)(colon - v));
    pf.fail_va = PAGE_ROUND_DOWN(va);
    pf.fail_armed = true;
}

void pagefile_init(const struct boot_info *bi)
{
    parse_injection();
    const struct boot_disk *d = &bi->disk[DEV_DISK_PAGEFILE];
    if (bi->ndisks <= DEV_DISK_PAGEFILE || !d->present)
        return;
    bool quiet = cmdline_get("quiet", NULL, 0);
    if (d->read_only) {
        if (!quiet)
            kprintf("paging file: disk 1 (%s) is read-only: no paging file\n", d->name);
        return;
    }
    uint64_t slots = d->sectors / SECTORS_PER_SLOT;
    if (slots > MAX_SLOTS)
        slots = MAX_SLOTS;
    /* The bitmap, a page per 32,768 slots; what memory cannot cover is not used. */
    uint64_t pages = (slots + BITS_PER_MAP_PAGE - 1) / BITS_PER_MAP_PAGE;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t pa = pfn_alloc(USE_KERNEL, true);
        if (!pa) {
            slots = i * BITS_PER_MAP_PAGE;
            break;
        }
        pf.map[i] = P2V(pa);
    }
    pf.slots = slots;
    pf.disk_sectors = d->sectors;
    /* Slots past the end of the last bitmap page's range are never free. */
    for (uint64_t s = slots; s % BITS_PER_MAP_PAGE; s++)
        *word_of(s) |= 1ull << (s % 64);
    if (!quiet && slots) /* not the host file's name: often a temporary one */
        kprintf("paging file: disk 1, %llu KB, %llu slots\n",
                (unsigned long long)(slots * (PAGE_SIZE >> 10)), (unsigned long long)slots);
}

uint64_t pagefile_pages(void)
{
    return pf.slots;
}

/* Next fit, a 64-bit word at a time. */
bool pagefile_alloc(uint64_t *slot)
{
    if (pf.used >= pf.slots)
        return false;
    uint64_t words = (pf.slots + 63) / 64;
    for (uint64_t n = 0, w = pf.next / 64; n <= words; n++, w = (w + 1) % words) {
        uint64_t *word = word_of(w * 64);
        if (*word == ~0ull)
            continue;
        unsigned bit = (unsigned)__builtin_ctzll(~*word);
        *word |= 1ull << bit;
        *slot = w * 64 + bit;
        pf.next = *slot + 1 < pf.slots ? *slot + 1 : 0;
        pf.used++;
        return true;
    }
    return false;
}

void pagefile_free(uint64_t slot)
{
    KASSERT(slot < pf.slots);
    uint64_t *word = word_of(slot), bit = 1ull << (slot % 64);
    KASSERT(*word & bit);
    *word &= ~bit;
    pf.used--;
}

/* The slot stays allocated for ever: it counts as used, so the commit
 * limit (set at boot) may no longer be fully backed; this is reported. */
void pagefile_mark_bad(uint64_t slot)
{
    (void)slot;
    pf.write_errors++;
}

ntk_status pagefile_read(uint64_t slot, uint64_t pa, const struct process *p, uint64_t va)
{
    uint64_t lba = slot * SECTORS_PER_SLOT;
    if (pf.fail_armed && PAGE_ROUND_DOWN(va) == pf.fail_va && p &&
        volume_same_name(p->name, pf.fail_image)) {
        pf.fail_armed = false;
        lba = pf.disk_sectors; /* past the end: the disk answers with an error */
    }
    pf.reads++;
    if (!disk_read(DEV_DISK_PAGEFILE, lba, SECTORS_PER_SLOT, pa)) {
        pf.read_errors++;
        return NTK_STATUS_IN_PAGE_ERROR;
    }
    return NTK_STATUS_SUCCESS;
}

bool pagefile_write(uint64_t slot, uint64_t pa)
{
    pf.writes++;
    return disk_write(DEV_DISK_PAGEFILE, slot * SECTORS_PER_SLOT, SECTORS_PER_SLOT, pa);
}

void pagefile_counts(struct pagefile_stats *s)
{
    *s = (struct pagefile_stats){ pf.slots, pf.used, pf.reads, pf.writes, pf.read_errors,
                                  pf.write_errors };
}
