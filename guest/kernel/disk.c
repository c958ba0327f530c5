/*
 * disk.c - the machine's block devices (shared/devices.h): polled, with DMA
 * to a physical address; a command completes when DISK_CMD is written.
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"

static void reg_out(unsigned disk, unsigned reg, uint32_t v)
{
    outl((uint16_t)(DEV_DISK_PORT(disk) + reg), v);
}

/* One command of count sectors from lba, DMA at pa: true if it went well. */
static bool command(unsigned disk, uint32_t cmd, uint64_t lba, uint32_t count, uint64_t pa)
{
    reg_out(disk, DISK_LBA_LO, (uint32_t)lba);
    reg_out(disk, DISK_LBA_HI, (uint32_t)(lba >> 32));
    reg_out(disk, DISK_COUNT, count);
    reg_out(disk, DISK_DMA_LO, (uint32_t)pa);
    reg_out(disk, DISK_DMA_HI, (uint32_t)(pa >> 32));
    reg_out(disk, DISK_CMD, cmd);
    return inl((uint16_t)(DEV_DISK_PORT(disk) + DISK_STATUS)) == DISK_ST_OK;
}

bool disk_read(unsigned disk, uint64_t lba, uint32_t count, uint64_t pa)
{
    return command(disk, DISK_CMD_READ, lba, count, pa);
}

bool disk_write(unsigned disk, uint64_t lba, uint32_t count, uint64_t pa)
{
    return command(disk, DISK_CMD_WRITE, lba, count, pa);
}
