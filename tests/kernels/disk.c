/*
 * disk.c - block devices with DMA.  disk.sh makes disk 0 (64 KB, byte at
 * offset o = (7o + 3) mod 256) and a read-only disk 1 (16 KB), runs this
 * kernel, and checks afterwards that sectors 100-103 of disk 0 hold what we
 * wrote ((13o + 5) mod 256 at offset o of the write) and disk 1 is intact.
 */
#include "tests/kernels/lib/ktest.h"
#include "shared/devices.h"

static uint32_t reg_in(unsigned disk, unsigned reg) { return inl((uint16_t)(DEV_DISK_PORT(disk) + reg)); }
static void reg_out(unsigned disk, unsigned reg, uint32_t v) { outl((uint16_t)(DEV_DISK_PORT(disk) + reg), v); }

static uint32_t command(unsigned disk, uint32_t cmd, uint64_t lba, uint32_t count, uint64_t dma)
{
    reg_out(disk, DISK_LBA_LO, (uint32_t)lba);
    reg_out(disk, DISK_LBA_HI, (uint32_t)(lba >> 32));
    reg_out(disk, DISK_COUNT, count);
    reg_out(disk, DISK_DMA_LO, (uint32_t)dma);
    reg_out(disk, DISK_DMA_HI, (uint32_t)(dma >> 32));
    reg_out(disk, DISK_CMD, cmd);
    return reg_in(disk, DISK_STATUS);
}

void ktest_main(void)
{
    tap_plan(14);
    uint64_t buf_pa = ktest_alloc_page(), buf2_pa = ktest_alloc_page();
    uint8_t *buf = phys_to_virt(buf_pa), *buf2 = phys_to_virt(buf2_pa);

    tap_eq(reg_in(0, DISK_SECTORS_LO), 128, "disk 0 capacity (sectors)");
    tap_eq(reg_in(0, DISK_FLAGS), DISK_F_PRESENT, "disk 0 present, writable");
    tap_eq(reg_in(1, DISK_FLAGS), DISK_F_PRESENT | DISK_F_READ_ONLY, "disk 1 read-only");
    tap_eq(ktest_boot->disk[0].sectors, 128, "boot information lists disk 0");

    tap_eq(command(0, DISK_CMD_READ, 3, 8, buf_pa), DISK_ST_OK, "read 8 sectors from LBA 3");
    bool same = true;
    for (unsigned i = 0; i < 4096; i++)
        same &= buf[i] == (uint8_t)(7 * (3 * 512 + i) + 3);
    tap_ok(same, "the bytes DMA'd into memory are the file's");

    for (unsigned i = 0; i < 2048; i++)
        buf[i] = (uint8_t)(13 * i + 5);
    tap_eq(command(0, DISK_CMD_WRITE, 100, 4, buf_pa), DISK_ST_OK, "write 4 sectors at LBA 100");
    tap_eq(command(0, DISK_CMD_FLUSH, 0, 0, 0), DISK_ST_OK, "flush");
    tap_eq(command(0, DISK_CMD_READ, 100, 4, buf2_pa), DISK_ST_OK, "read them back");
    tap_ok(memcmp(buf, buf2, 2048) == 0, "read back what was written");

    tap_eq(command(0, DISK_CMD_READ, 127, 2, buf_pa), DISK_ST_RANGE, "past the end: range error");
    tap_eq(command(0, DISK_CMD_READ, 0, 1, ktest_boot->ram_size - 256), DISK_ST_DMA,
           "buffer past the end of RAM: DMA error");
    tap_eq(command(1, DISK_CMD_WRITE, 0, 1, buf_pa), DISK_ST_READ_ONLY, "write to a read-only disk");
    tap_eq(command(3, DISK_CMD_READ, 0, 1, buf_pa), DISK_ST_NO_DEVICE, "no disk in slot 3");
}
