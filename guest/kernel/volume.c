/*
 * volume.c - files on the system volume: disk 0 holds a ustar archive
 * (shared/ustar.h).  At boot the kernel reads only the archive's header
 * blocks: each into the page of VOLUME_AREA that holds it at its offset in
 * the archive, so the shared parser walks a sparse copy of the archive whose
 * data pages are never read (and never touched: the parser reads headers
 * only).  A file's contents are read from the disk when they are needed:
 * image pages on their first touch (section.c), the ELF loader's segments
 * at load.  Without a disk, the kernel uses the small archive built into it
 * (the demonstration's programs), whose contents are in memory.
 *
 * Files are found by base name, case-insensitively (the contract of issue
 * 6: "hello.exe", "NTDLL.DLL" and "sys/ntdll.dll" all name sys/ntdll.dll).
 */
#include "guest/kernel/kernel.h"
#include "shared/ustar.h"

static const uint8_t *image;    /* the archive (sparse when it is on disk) */
static uint64_t image_size;
static bool from_disk;
static uint64_t disk_sectors;
static uint64_t nreads;         /* disk read commands for file contents */

bool volume_present(void)
{
    return from_disk;
}

uint64_t volume_disk_reads(void)
{
    return nreads;
}

void volume_use_builtin(const uint8_t *img, uint64_t size)
{
    image = img;
    image_size = size;
    from_disk = false;
}

/* Read the page of the archive at off from disk 0 to VOLUME_AREA + off. */
static bool read_page(uint64_t off)
{
    uint64_t pa = pfn_alloc(USE_VOLUME, true);
    if (!pa)
        return false;
    uint64_t lba = off / 512, n = disk_sectors - lba < 8 ? disk_sectors - lba : 8;
    if (!disk_read(0, lba, (uint32_t)n, pa))
        return false;
    pmap_kmap(VOLUME_AREA + off, pa, X86_PTE_XD);
    return true;
}

void volume_init(const struct boot_info *bi)
{
    if (bi->ndisks == 0 || !bi->disk[0].present)
        return;
    disk_sectors = bi->disk[0].sectors;
    uint64_t bytes = disk_sectors * 512, pages = 0, last = UINT64_MAX;
    if (bytes > USTAR_VOLUME_MAX)
        bytes = USTAR_VOLUME_MAX;
    /* Walk the headers; read the pages that hold each header block and the
     * block after it (the second end-of-archive block), nothing else. */
    for (uint64_t pos = 0; pos + USTAR_BLOCK <= bytes;) {
        for (uint64_t pg = PAGE_ROUND_DOWN(pos); pg < pos + 2 * USTAR_BLOCK && pg < bytes;
             pg += PAGE_SIZE) {
            if (last != UINT64_MAX && pg <= last)
                continue;
            if (!read_page(pg))
                panic("cannot read the system volume at byte %llu", (unsigned long long)pg);
            last = pg;
            pages++;
        }
        const struct ustar_header *h = (const void *)(VOLUME_AREA + pos);
        uint64_t size = 0;
        if (ustar_is_zero_block((const uint8_t *)h) ||
            !ustar_octal(h->size, sizeof h->size, false, &size))
            break;
        pos += USTAR_BLOCK + ((size + USTAR_BLOCK - 1) & ~(uint64_t)(USTAR_BLOCK - 1));
    }
    image = (const uint8_t *)VOLUME_AREA;
    image_size = bytes;
    from_disk = true;
    if (!cmdline_get("quiet", NULL, 0))
        kprintf("system volume: disk 0 (%s), %llu KB, headers read (%llu pages)\n",
                bi->disk[0].name, (unsigned long long)(bytes >> 10),
                (unsigned long long)pages);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static const char *base_name(const char *s)
{
    const char *b = s;
    for (; *s; s++)
        if (*s == '/' || *s == '\\')
            b = s + 1;
    return b;
}

bool volume_same_name(const char *a, const char *b)
{
    a = base_name(a), b = base_name(b);
    while (*a && lower(*a) == lower(*b))
        a++, b++;
    return *a == *b;
}

bool volume_find(const char *name, struct volume_file *f)
{
    struct ustar_cursor c;
    struct ustar_entry e;
    struct ustar_fault fault;
    if (!image || !*base_name(name))
        return false;
    ustar_begin(&c, image, image_size);
    while (ustar_next(&c, &e, &fault) == 1) {
        if (e.type != USTAR_REGTYPE || !volume_same_name(e.name, name))
            continue;
        memset(f, 0, sizeof *f);
        size_t n = strlen(base_name(e.name));
        memcpy(f->name, base_name(e.name), n < sizeof f->name ? n : sizeof f->name - 1);
        f->offset = e.offset + USTAR_BLOCK;
        f->size = e.size;
        return true;
    }
    return false;
}

/* Read sectors of disk 0 (the archive at byte off, 512-aligned) to frame pa;
 * false on a disk error or a range past the disk. */
static bool read_sectors(uint64_t off, uint32_t count, uint64_t pa)
{
    nreads++;
    return disk_read(0, off / 512, count, pa);
}

ntk_status volume_read_page(const struct volume_file *f, uint64_t off, uint64_t len,
                            uint64_t pa)
{
    KASSERT(len <= PAGE_SIZE && off <= f->size && len <= f->size - off);
    uint8_t *dst = P2V(pa);
    uint64_t at = f->offset + off;
    if (from_disk) {
        if (at % 512) /* the image checks make section data sector-aligned */
            return NTK_STATUS_IN_PAGE_ERROR;
        uint32_t sectors = (uint32_t)((len + 511) / 512);
        if (sectors && !read_sectors(at, sectors, pa))
            return NTK_STATUS_IN_PAGE_ERROR;
    } else {
        memcpy(dst, image + at, len);
    }
    memset(dst + len, 0, PAGE_SIZE - len);
    return NTK_STATUS_SUCCESS;
}

/* One page of the archive kept for volume_read: headers and tables are
 * read a few bytes at a time. */
static uint64_t cache_pa, cache_off = UINT64_MAX;

static const uint8_t *cached_page(uint64_t off)
{
    if (cache_off == off)
        return P2V(cache_pa);
    if (!cache_pa && !(cache_pa = pfn_alloc(USE_VOLUME, false)))
        return NULL;
    uint64_t sectors = disk_sectors - off / 512 < 8 ? disk_sectors - off / 512 : 8;
    cache_off = UINT64_MAX;
    if (!read_sectors(off, (uint32_t)sectors, cache_pa))
        return NULL;
    cache_off = off;
    return P2V(cache_pa);
}

ntk_status volume_read(const struct volume_file *f, uint64_t off, void *dst, uint64_t len)
{
    if (off > f->size || len > f->size - off)
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    if (!from_disk) {
        memcpy(dst, image + f->offset + off, len);
        return NTK_STATUS_SUCCESS;
    }
    uint8_t *d = dst;
    while (len) {
        uint64_t at = f->offset + off, page = PAGE_ROUND_DOWN(at), skip = at - page;
        uint64_t n = PAGE_SIZE - skip < len ? PAGE_SIZE - skip : len;
        const uint8_t *src = cached_page(page);
        if (!src)
            return NTK_STATUS_IN_PAGE_ERROR;
        memcpy(d, src + skip, n);
        d += n, off += n, len -= n;
    }
    return NTK_STATUS_SUCCESS;
}
