/*
 * pe_mutate.c - the loader's fuzz test, host side:
 *
 *     pe_mutate SEED COUNT VOLUME TEMPLATE.exe FILE...
 *
 * makes COUNT mutants of TEMPLATE (a valid PE program) and writes a ustar
 * volume holding the FILEs and the mutants m0000.exe, m0001.exe, ...; the
 * guest program pe_fuzz.exe then tries NtkCreateProcess on each.  Each
 * mutant changes one to three things, chosen with a fixed seed:
 *   - a header field (DOS, file, optional header, data directory, section
 *     table entry) set to an interesting value;
 *   - bytes inside the import, export or relocation tables, or the section
 *     that holds them;
 *   - random bytes of the headers;
 *   - the file truncated.
 * Every mutant also goes through the same parser on the host (pe.c), which
 * must neither crash nor read outside it (ASan, valgrind); the counts of
 * what it refuses are printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/kernel/pe.h"
#include "loader/file.h"
#include "loader/ustar.h"

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static uint32_t interesting(uint32_t old)
{
    static const uint32_t v[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x1ff, 0x200, 0xfff,
                                  0x1000, 0x1001, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
                                  0xfffffff0, 0xffffffff };
    uint64_t r = next();
    switch (r % 5) {
    case 0: return old + 1;
    case 1: return old - 1;
    case 2: return old * 2;
    case 3: return (uint32_t)(r >> 32);
    default: return v[(r >> 8) % (sizeof v / sizeof v[0])];
    }
}

static void set_field(uint8_t *img, size_t size, uint64_t off, unsigned width)
{
    if (off + width > size)
        return;
    uint32_t old = 0;
    memcpy(&old, img + off, width < 4 ? width : 4);
    uint32_t v = interesting(old);
    memcpy(img + off, &v, width < 4 ? width : 4);
    if (width == 8 && next() % 2) /* the high half of a 64-bit field */
        memcpy(img + off + 4, &(uint32_t){ interesting(0) }, 4);
}

/* Header fields: offsets from the NT headers, and widths. */
static const struct {
    uint16_t off;
    uint8_t width;
} fields[] = {
    { 0x04, 2 }, { 0x06, 2 }, { 0x14, 2 }, { 0x16, 2 },                 /* file header */
    { 0x18, 2 }, { 0x28, 4 }, { 0x30, 8 }, { 0x38, 4 }, { 0x3c, 4 },    /* optional */
    { 0x50, 4 }, { 0x54, 4 }, { 0x5c, 2 }, { 0x5e, 2 }, { 0x60, 8 }, { 0x68, 8 },
    { 0x84, 4 },
};

static void mutate_once(uint8_t *img, size_t *size, const struct pe_info *info, uint64_t nt)
{
    uint64_t r = next();
    switch (r % 7) {
    case 0: { /* a header field */
        unsigned f = (unsigned)((r >> 8) % (sizeof fields / sizeof fields[0]));
        set_field(img, *size, nt + fields[f].off, fields[f].width);
        break;
    }
    case 1: /* a data directory entry */
        set_field(img, *size, nt + 0x88 + 4 * ((r >> 8) % 32), 4);
        break;
    case 2: { /* a section table entry */
        static const uint8_t sf[] = { 0x08, 0x0c, 0x10, 0x14, 0x24 };
        uint64_t table = nt + 0x18 + 240;
        set_field(img, *size, table + 40 * ((r >> 8) % (info->nsections ? info->nsections : 1)) +
                                  sf[(r >> 16) % 5], 4);
        break;
    }
    case 3: case 4: { /* bytes of a table: imports, exports, relocations */
        static const unsigned dirs[] = { PE_DIRECTORY_IMPORT, PE_DIRECTORY_EXPORT,
                                         PE_DIRECTORY_BASERELOC, PE_DIRECTORY_IMPORT };
        const struct pe_data_directory *d = &info->dir[dirs[(r >> 8) % 4]];
        uint32_t off, len;
        pe_page_source(info, d->virtual_address & ~0xfffu, &off, &len);
        if (!len)
            break;
        uint32_t at = off + (uint32_t)((r >> 16) % len);
        for (unsigned k = 0; k < 1 + (r >> 40) % 4 && at + k < *size; k++)
            img[at + k] = (uint8_t)next();
        break;
    }
    case 5: /* random header bytes */
        img[(r >> 8) % (*size < 0x400 ? *size : 0x400)] = (uint8_t)(r >> 32);
        break;
    default: /* truncation */
        *size = (size_t)((r >> 8) % *size);
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: pe_mutate SEED COUNT VOLUME TEMPLATE.exe FILE...\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
    unsigned count = (unsigned)strtoul(argv[2], NULL, 0);
    struct loader_error err;
    struct ustar_writer w;
    ustar_writer_init(&w);
    uint8_t *tmpl_data;
    size_t tmpl_size;
    if (!loader_read_file(argv[4], &tmpl_data, &tmpl_size, &err)) {
        fprintf(stderr, "pe_mutate: %s\n", err.msg);
        return 1;
    }
    struct pe_info info;
    struct pe_error e;
    if (pe_check_file(tmpl_data, tmpl_size, &info, &e)) {
        fprintf(stderr, "pe_mutate: the template is not a valid image (%s)\n", e.field);
        return 1;
    }
    uint64_t nt = ((const struct pe_dos_header *)tmpl_data)->e_lfanew;
    for (int i = 5; i < argc; i++) {
        uint8_t *data;
        size_t size;
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        if (!loader_read_file(argv[i], &data, &size, &err) ||
            !ustar_add_file(&w, base, data, size, 0644, &err)) {
            fprintf(stderr, "pe_mutate: %s\n", err.msg);
            return 1;
        }
        free(data);
    }
    unsigned refused = 0;
    uint8_t *img = malloc(tmpl_size);
    for (unsigned i = 0; i < count; i++) {
        size_t size = tmpl_size;
        memcpy(img, tmpl_data, size);
        for (unsigned k = 0, n = 1 + (unsigned)(next() % 3); k < n && size; k++)
            mutate_once(img, &size, &info, nt);
        uint8_t *exact = malloc(size ? size : 1); /* overruns show under ASan */
        memcpy(exact, img, size);
        struct pe_info mi;
        refused += pe_check_file(exact, size, &mi, &e) != 0;
        char name[16];
        snprintf(name, sizeof name, "m%04u.exe", i);
        if (!ustar_add_file(&w, name, exact, size, 0644, &err)) {
            fprintf(stderr, "pe_mutate: %s\n", err.msg);
            return 1;
        }
        free(exact);
    }
    free(img);
    if (!ustar_finish(&w, 512, &err) || !loader_write_file(argv[3], w.buf, w.len, &err)) {
        fprintf(stderr, "pe_mutate: %s\n", err.msg);
        return 1;
    }
    printf("# pe_mutate: %u mutants, %u refused by the parser on the host\n", count, refused);
    ustar_writer_free(&w);
    free(tmpl_data);
    return 0;
}
