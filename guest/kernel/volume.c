/*
 * volume.c - files on the system volume: disk 0 holds a ustar archive
 * (shared/ustar.h).  At boot the kernel reads the archive, up to its two
 * end-of-archive blocks, into pages mapped one after the other at
 * VOLUME_AREA, and from then on finds files in memory with the same parser
 * the host uses.  Without a disk, the kernel uses the small archive built
 * into it (the demonstration's programs).
 */
#include "guest/kernel/kernel.h"
#include "shared/ustar.h"

#define VOLUME_MAX (64ull << 20)

static const uint8_t *image;
static uint64_t image_size;
static bool from_disk;

bool volume_present(void)
{
    return from_disk;
}

void volume_use_builtin(const uint8_t *img, uint64_t size)
{
    image = img;
    image_size = size;
    from_disk = false;
}

/* Read one page (8 sectors) of disk 0 to VOLUME_AREA + off. */
static bool read_page(uint64_t off, uint64_t sectors)
{
    uint64_t pa = pfn_alloc(USE_VOLUME, true);
    if (!pa)
        return false;
    uint64_t lba = off / 512, n = sectors - lba < 8 ? sectors - lba : 8;
    if (!disk_read(0, lba, (uint32_t)n, pa))
        return false;
    pmap_kmap(VOLUME_AREA + off, pa, X86_PTE_XD);
    return true;
}

void volume_init(const struct boot_info *bi)
{
    if (bi->ndisks == 0 || !bi->disk[0].present)
        return;
    uint64_t sectors = bi->disk[0].sectors, bytes = sectors * 512;
    if (bytes > VOLUME_MAX)
        bytes = VOLUME_MAX;
    /* Read page by page, walking the headers, until the end of the archive. */
    uint64_t have = 0, pos = 0;
    for (;;) {
        while (have < pos + USTAR_BLOCK * 2 && have < bytes) {
            if (!read_page(have, sectors))
                panic("cannot read the system volume at byte %llu", (unsigned long long)have);
            have += PAGE_SIZE;
        }
        if (pos + USTAR_BLOCK > have)
            break;
        const struct ustar_header *h = (const void *)(VOLUME_AREA + pos);
        if (ustar_is_zero_block((const uint8_t *)h))
            break;
        uint64_t size = 0;
        if (!ustar_octal(h->size, sizeof h->size, false, &size))
            break;
        pos += USTAR_BLOCK + ((size + USTAR_BLOCK - 1) & ~(uint64_t)(USTAR_BLOCK - 1));
        if (pos > bytes)
            break;
    }
    image = (const uint8_t *)VOLUME_AREA;
    image_size = have < bytes ? have : bytes;
    from_disk = true;
    if (!cmdline_get("quiet", NULL, 0))
        kprintf("system volume: disk 0 (%s), %llu KB read\n", bi->disk[0].name,
                (unsigned long long)(image_size >> 10));
}

bool volume_find(const char *name, const uint8_t **data, uint64_t *size)
{
    struct ustar_entry e;
    struct ustar_fault f;
    if (!image || ustar_find(image, image_size, name, &e, &f) != 1)
        return false;
    if (e.type != USTAR_REGTYPE)
        return false;
    *data = e.data;
    *size = e.size;
    return true;
}
