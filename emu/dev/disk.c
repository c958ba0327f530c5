/*
 * disk.c - block devices backed by host files, with DMA to guest-physical
 * memory.  Up to DEV_DISK_MAX disks; each has a window of 32-bit registers
 * (shared/devices.h).  The guest sets LBA, COUNT and the DMA address, then
 * writes DISK_CMD; the command completes before the OUT returns and
 * DISK_STATUS says how it went.  Nothing the guest writes can make the
 * emulator fail: every range is checked and reported as a status.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/dev/dev.h"
#include "emu/machine.h"

bool disk_open(struct machine *m, unsigned n, const char *path, bool read_only, char *err,
               size_t errlen)
{
    struct disk *d = &m->disk[n];
    d->file = fopen(path, read_only ? "rb" : "r+b");
    if (!d->file) {
        snprintf(err, errlen, "disk %u: cannot open %s: %s", n, path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(d->file), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "disk %u: %s is not a regular file", n, path);
        fclose(d->file);
        d->file = NULL;
        return false;
    }
    if (st.st_size % DISK_SECTOR_SIZE) {
        snprintf(err, errlen, "disk %u: %s is %lld bytes, not a whole number of %d-byte sectors", n,
                 path, (long long)st.st_size, DISK_SECTOR_SIZE);
        fclose(d->file);
        d->file = NULL;
        return false;
    }
    d->sectors = (uint64_t)st.st_size / DISK_SECTOR_SIZE;
    d->read_only = read_only;
    const char *base = strrchr(path, '/');
    snprintf(d->name, sizeof d->name, "%s", base ? base + 1 : path);
    return true;
}

/* Move count sectors between the file and guest memory. */
static uint32_t transfer(struct machine *m, struct disk *d, bool write)
{
    uint64_t lba = (uint64_t)d->lba_hi << 32 | d->lba_lo;
    uint64_t dma = (uint64_t)d->dma_hi << 32 | d->dma_lo;
    uint64_t bytes = (uint64_t)d->count * DISK_SECTOR_SIZE;
    if (write && d->read_only)
        return DISK_ST_READ_ONLY;
    if (lba > d->sectors || d->count > d->sectors - lba)
        return DISK_ST_RANGE;
    if (dma > m->ram_size || bytes > m->ram_size - dma)
        return DISK_ST_DMA;
    uint8_t *mem = m->ram + dma;
    off_t at = (off_t)(lba * DISK_SECTOR_SIZE);
    ssize_t n = write ? pwrite(fileno(d->file), mem, bytes, at)
                      : pread(fileno(d->file), mem, bytes, at);
    if (n < 0 || (uint64_t)n != bytes)
        return DISK_ST_IO;
    if (write)
        m->stats.disk_writes++;
    else
        m->stats.disk_reads++;
    return DISK_ST_OK;
}

static uint32_t command(struct machine *m, unsigned n, uint32_t cmd)
{
    struct disk *d = &m->disk[n];
    if (!d->file)
        return DISK_ST_NO_DEVICE;
    switch (cmd) {
    case DISK_CMD_READ: return transfer(m, d, false);
    case DISK_CMD_WRITE: return transfer(m, d, true);
    case DISK_CMD_FLUSH:
        if (fflush(d->file) != 0 || fsync(fileno(d->file)) != 0)
            return DISK_ST_IO;
        return DISK_ST_OK;
    }
    return DISK_ST_BAD_CMD;
}

uint32_t disk_in(struct machine *m, unsigned offset, int size)
{
    unsigned n = offset / 0x40, reg = offset % 0x40;
    const struct disk *d = &m->disk[n];
    (void)size;
    switch (reg) {
    case DISK_STATUS: return d->file ? d->status : DISK_ST_NO_DEVICE;
    case DISK_LBA_LO: return d->lba_lo;
    case DISK_LBA_HI: return d->lba_hi;
    case DISK_COUNT: return d->count;
    case DISK_DMA_LO: return d->dma_lo;
    case DISK_DMA_HI: return d->dma_hi;
    case DISK_SECTORS_LO: return (uint32_t)d->sectors;
    case DISK_SECTORS_HI: return (uint32_t)(d->sectors >> 32);
    case DISK_FLAGS: return (d->file ? DISK_F_PRESENT : 0) | (d->read_only ? DISK_F_READ_ONLY : 0);
    }
    return 0xffffffffu;
}

void disk_out(struct machine *m, unsigned offset, int size, uint32_t value)
{
    unsigned n = offset / 0x40, reg = offset % 0x40;
    struct disk *d = &m->disk[n];
    (void)size;
    switch (reg) {
    case DISK_CMD:
        d->status = command(m, n, value);
        if (d->status != DISK_ST_OK)
            m->stats.disk_errors++;
        machine_event(m, "disk %u: command %u, LBA %" PRIu64 ", %u sectors, DMA 0x%" PRIx64
                         ": status %u", n, value, (uint64_t)d->lba_hi << 32 | d->lba_lo,
                      d->count, (uint64_t)d->dma_hi << 32 | d->dma_lo, d->status);
        break;
    case DISK_LBA_LO: d->lba_lo = value; break;
    case DISK_LBA_HI: d->lba_hi = value; break;
    case DISK_COUNT: d->count = value; break;
    case DISK_DMA_LO: d->dma_lo = value; break;
    case DISK_DMA_HI: d->dma_hi = value; break;
    default: break;
    }
}
