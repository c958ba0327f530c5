/*
 * volume.c - files on the kernel's two volumes, each a ustar archive
 * (shared/ustar.h) on a disk:
 *
 *   the system volume   disk 0, read-only: the programs and DLLs
 *   the data volume     disk DEV_DISK_DATA (2), read-write: the files
 *                       programs open (file.c) and map (mapped.c)
 *
 * At boot the kernel reads only an archive's header blocks: each into the
 * page of the volume's area that holds it at its offset in the archive, so
 * the shared parser walks a sparse copy of the archive whose data pages are
 * never read (and never touched: the parser reads headers only).  A file's
 * contents are read from the disk when they are needed: image pages on their
 * first touch (section.c), the ELF loader's segments at load, data-file
 * pages on a fault or a ReadFile.  Without disk 0, the kernel uses the small
 * archive built into it (the demonstration's programs), whose contents are
 * in memory.
 *
 * The data volume is rewritten in place: a file keeps its size and its
 * place in the archive (its data blocks), so the archive stays valid and the
 * host file holds what the guest wrote (`tar -x` after mmulab exits).
 * Writes never touch the bytes of a file's last sector past its end (the
 * archive's padding stays zero).
 *
 * Files are found by base name, case-insensitively (the contract of issue
 * 6: "hello.exe", "NTDLL.DLL" and "sys/ntdll.dll" all name sys/ntdll.dll).
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"
#include "shared/ustar.h"

#define SECTOR 512u
#define DATA_AREA (VOLUME_AREA + (256ull << 30)) /* the data volume's headers */

struct volume {
    const char *what;           /* for messages */
    unsigned disk;
    uint64_t area;              /* where the header pages are mapped */
    uint64_t max;               /* the largest archive read */
    const uint8_t *image;       /* the archive (sparse when it is on disk) */
    uint64_t size;
    bool from_disk, writable;
    uint64_t sectors;
    uint64_t reads, writes;     /* disk commands for file contents */
    uint64_t cache_pa, cache_off; /* one page of the archive (volume_read, volume_write) */
    uint64_t bounce_pa;         /* a file's last, partial sector on its way out */
};

static struct volume system_volume = {
    .what = "system volume", .disk = 0, .area = VOLUME_AREA, .max = USTAR_VOLUME_MAX,
    .cache_off = UINT64_MAX,
};
static struct volume data_volume = {
    .what = "data volume", .disk = DEV_DISK_DATA, .area = DATA_AREA,
    .max = USTAR_DATA_VOLUME_MAX, .cache_off = UINT64_MAX,
};

bool volume_present(void)
{
    return system_volume.from_disk;
}

struct volume *volume_data(void)
{
    return data_volume.from_disk ? &data_volume : NULL;
}

bool volume_writable(const struct volume *v)
{
    return v->writable;
}

uint64_t volume_disk_reads(void)
{
    return system_volume.reads;
}

void volume_counts(uint64_t *data_reads, uint64_t *data_writes)
{
    *data_reads = data_volume.reads;
    *data_writes = data_volume.writes;
}

void volume_use_builtin(const uint8_t *img, uint64_t size)
{
    system_volume.image = img;
    system_volume.size = size;
    system_volume.from_disk = false;
}

/* Read the page of the archive at off from the disk to the area + off. */
static bool read_page(struct volume *v, uint64_t off)
{
    uint64_t pa = pfn_alloc(USE_VOLUME, true);
    if (!pa)
        return false;
    uint64_t lba = off / SECTOR, n = v->sectors - lba < 8 ? v->sectors - lba : 8;
    if (!disk_read(v->disk, lba, (uint32_t)n, pa))
        return false;
    pmap_kmap(v->area + off, pa, X86_PTE_XD);
    return true;
}

/* Read the header blocks of the volume on disk bi->disk[v->disk]: the pages
 * that hold each header block and the block after it (the second
 * end-of-archive block), nothing else.  Returns the pages read. */
static uint64_t read_headers(struct volume *v, const struct boot_disk *d)
{
    v->sectors = d->sectors;
    uint64_t bytes = v->sectors * SECTOR, pages = 0, last = UINT64_MAX;
    if (bytes > v->max)
        bytes = v->max;
    for (uint64_t pos = 0; pos + USTAR_BLOCK <= bytes;) {
        for (uint64_t pg = PAGE_ROUND_DOWN(pos); pg < pos + 2 * USTAR_BLOCK && pg < bytes;
             pg += PAGE_SIZE) {
            if (last != UINT64_MAX && pg <= last)
                continue;
            if (!read_page(v, pg))
                panic("cannot read the %s at byte %llu", v->what, (unsigned long long)pg);
            last = pg;
            pages++;
        }
        const struct ustar_header *h = (const void *)(v->area + pos);
        uint64_t size = 0;
        if (ustar_is_zero_block((const uint8_t *)h) ||
            !ustar_octal(h->size, sizeof h->size, false, &size))
            break;
        pos += USTAR_BLOCK + ((size + USTAR_BLOCK - 1) & ~(uint64_t)(USTAR_BLOCK - 1));
    }
    v->image = (const uint8_t *)v->area;
    v->size = bytes;
    v->from_disk = true;
    v->writable = !d->read_only;
    return pages;
}

void volume_init(const struct boot_info *bi)
{
    struct volume *vols[2] = { &system_volume, &data_volume };
    for (unsigned i = 0; i < 2; i++) {
        struct volume *v = vols[i];
        if (bi->ndisks <= v->disk || !bi->disk[v->disk].present)
            continue;
        uint64_t pages = read_headers(v, &bi->disk[v->disk]);
        if (!cmdline_get("quiet", NULL, 0))
            kprintf("%s: disk %u (%s), %llu KB, headers read (%llu pages)%s\n", v->what,
                    v->disk, bi->disk[v->disk].name, (unsigned long long)(v->size >> 10),
                    (unsigned long long)pages, v->writable ? "" : ", read-only");
    }
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

static bool find_in(struct volume *v, const char *name, struct volume_file *f)
{
    struct ustar_cursor c;
    struct ustar_entry e;
    struct ustar_fault fault;
    if (!v->image || !*base_name(name))
        return false;
    ustar_begin(&c, v->image, v->size);
    while (ustar_next(&c, &e, &fault) == 1) {
        if (e.type != USTAR_REGTYPE || !volume_same_name(e.name, name))
            continue;
        memset(f, 0, sizeof *f);
        size_t n = strlen(base_name(e.name));
        memcpy(f->name, base_name(e.name), n < sizeof f->name ? n : sizeof f->name - 1);
        f->vol = v;
        f->offset = e.offset + USTAR_BLOCK;
        f->size = e.size;
        f->mode = e.mode;
        return true;
    }
    return false;
}

bool volume_find(const char *name, struct volume_file *f)
{
    return find_in(&system_volume, name, f);
}

bool volume_find_data(const char *name, struct volume_file *f)
{
    return data_volume.from_disk && find_in(&data_volume, name, f);
}

/* Sectors of the volume (the archive at byte off, 512-aligned) to or from
 * physical address pa; false on a disk error or a range past the disk. */
static bool transfer(struct volume *v, uint64_t off, uint32_t count, uint64_t pa, bool write)
{
    if (!count)
        return true;
    if (write) {
        v->writes++;
        if (v->cache_off != UINT64_MAX && off < v->cache_off + PAGE_SIZE &&
            v->cache_off < off + (uint64_t)count * SECTOR)
            v->cache_off = UINT64_MAX; /* the cached page is stale now */
        return disk_write(v->disk, off / SECTOR, count, pa);
    }
    v->reads++;
    return disk_read(v->disk, off / SECTOR, count, pa);
}

ntk_status volume_read_page(const struct volume_file *f, uint64_t off, uint64_t len,
                            uint64_t pa)
{
    KASSERT(len <= PAGE_SIZE && off <= f->size && len <= f->size - off);
    struct volume *v = f->vol;
    uint8_t *dst = P2V(pa);
    uint64_t at = f->offset + off;
    if (v->from_disk) {
        if (at % SECTOR) /* the image checks make section data sector-aligned */
            return NTK_STATUS_IN_PAGE_ERROR;
        if (!transfer(v, at, (uint32_t)((len + SECTOR - 1) / SECTOR), pa, false))
            return NTK_STATUS_IN_PAGE_ERROR;
    } else {
        memcpy(dst, v->image + at, len);
    }
    memset(dst + len, 0, PAGE_SIZE - len);
    return NTK_STATUS_SUCCESS;
}

/* Why a write cannot happen, or 0. */
static ntk_status write_refused(const struct volume *v)
{
    if (!v->from_disk || !v->writable)
        return NTK_STATUS_MEDIA_WRITE_PROTECTED;
    return NTK_STATUS_SUCCESS;
}

ntk_status volume_write_page(const struct volume_file *f, uint64_t off, uint64_t len,
                             uint64_t pa)
{
    KASSERT(len <= PAGE_SIZE && off % SECTOR == 0 && off <= f->size && len <= f->size - off);
    struct volume *v = f->vol;
    ntk_status st = write_refused(v);
    if (!NTK_SUCCESS(st))
        return st;
    uint64_t at = f->offset + off, whole = len / SECTOR, rest = len % SECTOR;
    if (!transfer(v, at, (uint32_t)whole, pa, true))
        return NTK_STATUS_DEVICE_DATA_ERROR;
    if (!rest)
        return NTK_STATUS_SUCCESS;
    /* The last sector holds the end of the file: its bytes past the end
     * (the archive's padding) stay zero, whatever the page holds there. */
    if (!v->bounce_pa && !(v->bounce_pa = pfn_alloc(USE_VOLUME, false)))
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    uint8_t *b = P2V(v->bounce_pa);
    memcpy(b, (uint8_t *)P2V(pa) + whole * SECTOR, rest);
    memset(b + rest, 0, SECTOR - rest);
    if (!transfer(v, at + whole * SECTOR, 1, v->bounce_pa, true))
        return NTK_STATUS_DEVICE_DATA_ERROR;
    return NTK_STATUS_SUCCESS;
}

/* The page of the volume's archive at off (page-aligned), through its
 * one-page cache: headers and tables are read a few bytes at a time. */
static uint8_t *cached_page(struct volume *v, uint64_t off)
{
    if (v->cache_off == off)
        return P2V(v->cache_pa);
    if (!v->cache_pa && !(v->cache_pa = pfn_alloc(USE_VOLUME, false)))
        return NULL;
    uint64_t sectors = v->sectors - off / SECTOR < 8 ? v->sectors - off / SECTOR : 8;
    v->cache_off = UINT64_MAX;
    if (!transfer(v, off, (uint32_t)sectors, v->cache_pa, false))
        return NULL;
    v->cache_off = off;
    return P2V(v->cache_pa);
}

ntk_status volume_read(const struct volume_file *f, uint64_t off, void *dst, uint64_t len)
{
    struct volume *v = f->vol;
    if (off > f->size || len > f->size - off)
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    if (!v->from_disk) {
        memcpy(dst, v->image + f->offset + off, len);
        return NTK_STATUS_SUCCESS;
    }
    uint8_t *d = dst;
    while (len) {
        uint64_t at = f->offset + off, page = PAGE_ROUND_DOWN(at), skip = at - page;
        uint64_t n = PAGE_SIZE - skip < len ? PAGE_SIZE - skip : len;
        const uint8_t *src = cached_page(v, page);
        if (!src)
            return NTK_STATUS_IN_PAGE_ERROR;
        memcpy(d, src + skip, n);
        d += n, off += n, len -= n;
    }
    return NTK_STATUS_SUCCESS;
}

/* Write len bytes at off of the file: each piece goes into the cached page
 * of the archive that holds it, and the sectors it touches go to the disk
 * (read-modify-write at sector granularity). */
ntk_status volume_write(const struct volume_file *f, uint64_t off, const void *src,
                        uint64_t len)
{
    struct volume *v = f->vol;
    ntk_status st = write_refused(v);
    if (!NTK_SUCCESS(st))
        return st;
    KASSERT(off <= f->size && len <= f->size - off);
    const uint8_t *s = src;
    while (len) {
        uint64_t at = f->offset + off, page = PAGE_ROUND_DOWN(at), skip = at - page;
        uint64_t n = PAGE_SIZE - skip < len ? PAGE_SIZE - skip : len;
        uint8_t *cache = cached_page(v, page);
        if (!cache)
            return NTK_STATUS_DEVICE_DATA_ERROR;
        memcpy(cache + skip, s, n);
        uint64_t first = skip / SECTOR, end = (skip + n + SECTOR - 1) / SECTOR;
        v->cache_off = UINT64_MAX; /* transfer() would drop it anyway: keep it by hand */
        bool ok = transfer(v, page + first * SECTOR, (uint32_t)(end - first),
                           v->cache_pa + first * SECTOR, true);
        v->cache_off = ok ? page : UINT64_MAX;
        if (!ok)
            return NTK_STATUS_DEVICE_DATA_ERROR;
        s += n, off += n, len -= n;
    }
    return NTK_STATUS_SUCCESS;
}
