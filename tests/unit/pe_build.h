/*
 * pe_build.h - a small PE32+ image built by hand, for the parser's unit
 * tests and the loader's fuzz test: headers, .text (RX), .rdata (R) holding
 * the export and import directories, .data (RW, with two DIR64 targets) and
 * .reloc.  The layout is fixed so tests can name every field's offset.
 *
 *   file      RVA      what
 *   0x000     0x0000   DOS header, e_lfanew = 0x80
 *   0x080              NT headers (264 bytes), section table at 0x188
 *   0x400     0x1000   .text   (0x200 bytes: ret)
 *   0x600     0x2000   .rdata  (0x400): exports at 0x2000, imports at 0x2200
 *   0xa00     0x3000   .data   (0x200): two pointers at 0x3000, 0x3008
 *   0xc00     0x4000   .reloc  (0x200): one block, 2 DIR64 + 1 ABSOLUTE
 *   0xe00              end of file
 */
#ifndef TESTS_UNIT_PE_BUILD_H
#define TESTS_UNIT_PE_BUILD_H

#include <stdint.h>
#include <string.h>

#include "shared/pe.h"

#define PB_SIZE 0xe00u
#define PB_NT 0x80u
#define PB_OPT (PB_NT + 0x18u)
#define PB_SECTIONS (PB_OPT + 240u)
#define PB_BASE 0x140000000ull
#define PB_EXPORTS 0x2000u /* RVA */
#define PB_IMPORTS 0x2200u
#define PB_RELOCS 0x4000u

static inline uint32_t pb_rva_to_file(uint32_t rva)
{
    static const uint32_t va[] = { 0x4000, 0x3000, 0x2000, 0x1000 };
    static const uint32_t raw[] = { 0xc00, 0xa00, 0x600, 0x400 };
    for (unsigned i = 0; i < 4; i++)
        if (rva >= va[i])
            return rva - va[i] + raw[i];
    return rva;
}

static inline void pb_put32(uint8_t *img, uint32_t off, uint32_t v)
{
    memcpy(img + off, &v, 4);
}

static inline void pb_put16(uint8_t *img, uint32_t off, uint16_t v)
{
    memcpy(img + off, &v, 2);
}

static inline void pb_put64(uint8_t *img, uint32_t off, uint64_t v)
{
    memcpy(img + off, &v, 8);
}

static inline void pb_section(uint8_t *img, unsigned i, const char *name, uint32_t va,
                              uint32_t raw, uint32_t file, uint32_t flags)
{
    struct pe_section_header s;
    memset(&s, 0, sizeof s);
    memcpy(s.name, name, strlen(name));
    s.virtual_size = raw;
    s.virtual_address = va;
    s.size_of_raw_data = raw;
    s.pointer_to_raw_data = file;
    s.characteristics = flags;
    memcpy(img + PB_SECTIONS + i * sizeof s, &s, sizeof s);
}

/* Exports: "Alpha" (ordinal 5), "Beta" (6), ordinal 7 without a name.
 * Imports from "other.dll": "Gamma" by name and ordinal 3. */
static inline void pb_build(uint8_t *img)
{
    memset(img, 0, PB_SIZE);
    pb_put16(img, 0, PE_DOS_MAGIC);
    pb_put32(img, 0x3c, PB_NT);
    pb_put32(img, PB_NT, PE_NT_SIGNATURE);
    struct pe_file_header fh = { PE_MACHINE_AMD64, 4, 0, 0, 0, 240,
                                 PE_FILE_EXECUTABLE_IMAGE | PE_FILE_LARGE_ADDRESS_AWARE };
    memcpy(img + PB_NT + 4, &fh, sizeof fh);
    struct pe_optional_header64 oh;
    memset(&oh, 0, sizeof oh);
    oh.magic = PE_OPTIONAL_MAGIC_PE32PLUS;
    oh.address_of_entry_point = 0x1000;
    oh.image_base = PB_BASE;
    oh.section_alignment = 0x1000;
    oh.file_alignment = 0x200;
    oh.size_of_image = 0x5000;
    oh.size_of_headers = 0x400;
    oh.subsystem = PE_SUBSYSTEM_WINDOWS_CUI;
    oh.dll_characteristics = PE_DLLCHAR_NX_COMPAT | PE_DLLCHAR_DYNAMIC_BASE;
    oh.size_of_stack_reserve = 0x100000;
    oh.size_of_stack_commit = 0x1000;
    oh.number_of_rva_and_sizes = 16;
    oh.data_directory[PE_DIRECTORY_EXPORT] = (struct pe_data_directory){ PB_EXPORTS, 0x100 };
    oh.data_directory[PE_DIRECTORY_IMPORT] = (struct pe_data_directory){ PB_IMPORTS, 40 };
    oh.data_directory[PE_DIRECTORY_BASERELOC] = (struct pe_data_directory){ PB_RELOCS, 14 };
    memcpy(img + PB_OPT, &oh, sizeof oh);
    pb_section(img, 0, ".text", 0x1000, 0x200, 0x400,
               PE_SCN_CNT_CODE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_READ);
    pb_section(img, 1, ".rdata", 0x2000, 0x400, 0x600,
               PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
    pb_section(img, 2, ".data", 0x3000, 0x200, 0xa00,
               PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ | PE_SCN_MEM_WRITE);
    pb_section(img, 3, ".reloc", 0x4000, 0x200, 0xc00,
               PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ | PE_SCN_MEM_DISCARDABLE);
    img[0x400] = 0xc3; /* ret */

    /* Export directory at 0x2000: base 5, three functions, two names. */
    uint32_t x = pb_rva_to_file(PB_EXPORTS);
    struct pe_export_directory ed = { 0, 0, 0, 0, 0x2080, 5, 3, 2, 0x2040, 0x2050, 0x2060 };
    memcpy(img + x, &ed, sizeof ed);
    pb_put32(img, x + 0x40, 0x1000);          /* ordinal 5: Alpha */
    pb_put32(img, x + 0x44, 0x1001);          /* ordinal 6: Beta */
    pb_put32(img, x + 0x48, 0x1002);          /* ordinal 7: no name */
    pb_put32(img, x + 0x50, 0x2090);          /* name pointers (sorted) */
    pb_put32(img, x + 0x54, 0x2098);
    pb_put16(img, x + 0x60, 0);               /* name ordinals: indexes */
    pb_put16(img, x + 0x62, 1);
    memcpy(img + x + 0x80, "pb.exe", 7);
    memcpy(img + x + 0x90, "Alpha", 6);
    memcpy(img + x + 0x98, "Beta", 5);

    /* Import directory at 0x2200: other.dll, lookup 0x2240, IAT 0x3010. */
    uint32_t m = pb_rva_to_file(PB_IMPORTS);
    struct pe_import_descriptor d = { 0x2240, 0, 0, 0x2280, 0x3010 };
    memcpy(img + m, &d, sizeof d);            /* the second descriptor: zeros */
    pb_put64(img, m + 0x40, 0x22a0);          /* by name: hint/name at 0x22a0 */
    pb_put64(img, m + 0x48, PE_ORDINAL_FLAG64 | 3);
    memcpy(img + m + 0x80, "other.dll", 10);
    pb_put16(img, m + 0xa0, 0);
    memcpy(img + m + 0xa2, "Gamma", 6);
    uint32_t iat = pb_rva_to_file(0x3010);
    pb_put64(img, iat, 0x22a0);
    pb_put64(img, iat + 8, PE_ORDINAL_FLAG64 | 3);

    /* Two pointers in .data that need DIR64 relocations. */
    pb_put64(img, pb_rva_to_file(0x3000), PB_BASE + 0x1000);
    pb_put64(img, pb_rva_to_file(0x3008), PB_BASE + 0x2000);
    uint32_t r = pb_rva_to_file(PB_RELOCS);
    pb_put32(img, r, 0x3000);
    pb_put32(img, r + 4, 14);
    pb_put16(img, r + 8, (uint16_t)(PE_REL_BASED_DIR64 << 12 | 0x000));
    pb_put16(img, r + 10, (uint16_t)(PE_REL_BASED_DIR64 << 12 | 0x008));
    pb_put16(img, r + 12, PE_REL_BASED_ABSOLUTE << 12);
}

#endif
