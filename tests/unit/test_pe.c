/*
 * test_pe.c - unit tests of the PE32+ parser (guest/kernel/pe.c, compiled
 * for the host): a hand-built image (pe_build.h) must parse with the values
 * written into it; each header field set to a bad value must be refused
 * naming that field and its offset; the table walkers must find exactly the
 * relocations, imports and exports written, and refuse broken ones; no
 * truncation or random mutation may make it read outside the buffer (the
 * buffer is exactly the file's size: ASan and valgrind see any overrun).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "guest/kernel/pe.h"
#include "pe_build.h"
#include "shared/nt/memory.h"

static uint8_t *image(void)
{
    uint8_t *img = malloc(PB_SIZE);
    pb_build(img);
    return img;
}

static struct pe_info info;

static int check(const uint8_t *img, uint64_t size, struct pe_error *e)
{
    uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes: overruns are caught */
    memcpy(copy, img, size);
    int r = pe_check_file(copy, size, &info, e);
    free(copy);
    return r;
}

static void test_valid(void **state)
{
    (void)state;
    uint8_t *img = image();
    struct pe_error e;
    assert_int_equal(check(img, PB_SIZE, &e), 0);
    assert_int_equal(info.image_base, PB_BASE);
    assert_int_equal(info.size_of_image, 0x5000);
    assert_int_equal(info.size_of_headers, 0x400);
    assert_int_equal(info.entry, 0x1000);
    assert_int_equal(info.nsections, 4);
    assert_int_equal(info.stack_reserve, 0x100000);
    assert_int_equal(info.stack_commit, 0x1000);
    assert_int_equal(info.dll_characteristics, PE_DLLCHAR_NX_COMPAT | PE_DLLCHAR_DYNAMIC_BASE);
    /* Protections (contract item 8): headers R, code RX, R, data write-copy. */
    const uint32_t want[5] = { NTK_PAGE_READONLY, NTK_PAGE_EXECUTE_READ, NTK_PAGE_READONLY,
                               NTK_PAGE_WRITECOPY, NTK_PAGE_READONLY };
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(pe_page_protection(&info, i * 0x1000), want[i]);
    uint32_t off, len;
    pe_page_source(&info, 0x2000, &off, &len);
    assert_int_equal(off, 0x600);
    assert_int_equal(len, 0x400);
    pe_page_source(&info, 0, &off, &len);
    assert_int_equal(off, 0);
    assert_int_equal(len, 0x400);
    free(img);
}

static void test_shared_and_execute_protections(void **state)
{
    (void)state;
    static const struct {
        uint32_t flags, protect;
    } cases[] = {
        { PE_SCN_MEM_READ | PE_SCN_MEM_WRITE | PE_SCN_MEM_SHARED, NTK_PAGE_READWRITE },
        { PE_SCN_MEM_READ | PE_SCN_MEM_WRITE | PE_SCN_MEM_EXECUTE, NTK_PAGE_EXECUTE_WRITECOPY },
        { PE_SCN_MEM_READ | PE_SCN_MEM_WRITE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_SHARED,
          NTK_PAGE_EXECUTE_READWRITE },
        { PE_SCN_MEM_EXECUTE, NTK_PAGE_EXECUTE },
        { 0, NTK_PAGE_NOACCESS },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *img = image();
        struct pe_error e;
        pb_put32(img, PB_SECTIONS + 2 * 40 + 0x24, cases[i].flags);
        assert_int_equal(check(img, PB_SIZE, &e), 0);
        assert_int_equal(pe_page_protection(&info, 0x3000), cases[i].protect);
        free(img);
    }
}

/* Each bad header value is refused, naming the field at its file offset. */
static void test_header_fields(void **state)
{
    (void)state;
    static const struct {
        uint32_t off, size;
        uint64_t value;
        const char *field;
        ntk_status status;
    } cases[] = {
        { 0x00, 2, 0x4d5b, "DosHeader.e_magic", NTK_STATUS_INVALID_IMAGE_NOT_MZ },
        { 0x3c, 4, 0xdc0, "DosHeader.e_lfanew", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { 0x3c, 4, 0x82, "DosHeader.e_lfanew", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT, 4, 0x4551, "NtHeaders.Signature", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT + 4, 2, 0x14c, "FileHeader.Machine", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT + 6, 2, 0, "FileHeader.NumberOfSections", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT + 6, 2, 97, "FileHeader.NumberOfSections", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT + 6, 2, 30, "FileHeader.NumberOfSections", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT + 0x14, 2, 0x10, "FileHeader.SizeOfOptionalHeader", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_NT + 0x16, 2, 0x20, "FileHeader.Characteristics", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT, 2, 0x10b, "OptionalHeader.Magic", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x10, 4, 0x5000, "OptionalHeader.AddressOfEntryPoint", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x10, 4, 0, "OptionalHeader.AddressOfEntryPoint", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x18, 8, 0x140001000, "OptionalHeader.ImageBase", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x18, 8, 0x7fffffff0000, "OptionalHeader.ImageBase", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x20, 4, 0x800, "OptionalHeader.SectionAlignment", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x20, 4, 0x3000, "OptionalHeader.SectionAlignment", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x24, 4, 0x100, "OptionalHeader.FileAlignment", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x38, 4, 0x6000, "OptionalHeader.SizeOfImage", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x38, 4, 0, "OptionalHeader.SizeOfImage", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x3c, 4, 0x300, "OptionalHeader.SizeOfHeaders", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x3c, 4, 0x200, "FileHeader.NumberOfSections", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x44, 2, 9, "OptionalHeader.Subsystem", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x50, 8, 0x200000, "OptionalHeader.SizeOfStackCommit", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x48, 8, 1ull << 31, "OptionalHeader.SizeOfStackReserve", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x6c, 4, 17, "OptionalHeader.NumberOfRvaAndSizes", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_OPT + 0x70 + 4, 4, 0x4000, "OptionalHeader.DataDirectory.VirtualAddress", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_SECTIONS + 40 + 0x0c, 4, 0x2800, "Section.VirtualAddress", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_SECTIONS + 40 + 0x08, 4, 0x4000, "Section.VirtualSize", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_SECTIONS + 40 + 0x10, 4, 0x300, "Section.SizeOfRawData", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_SECTIONS + 40 + 0x14, 4, 0x700, "Section.PointerToRawData", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_SECTIONS + 40 + 0x14, 4, 0xc00, "Section.PointerToRawData", NTK_STATUS_INVALID_IMAGE_FORMAT },
        { PB_SECTIONS + 40 + 0x14, 4, 0x200, "Section.PointerToRawData", NTK_STATUS_INVALID_IMAGE_FORMAT },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *img = image();
        struct pe_error e;
        memcpy(img + cases[i].off, &cases[i].value, cases[i].size);
        if (check(img, PB_SIZE, &e) != -1)
            fail_msg("case %u (%s = 0x%llx) accepted", i, cases[i].field,
                     (unsigned long long)cases[i].value);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %u: field %s, expected %s", i, e.field, cases[i].field);
        assert_int_equal(e.status, cases[i].status);
        assert_false(e.rva);
        free(img);
    }
}

/* The offset reported is the field's: e.g. SectionAlignment at 0x20. */
static void test_error_offset_and_value(void **state)
{
    (void)state;
    uint8_t *img = image();
    struct pe_error e;
    pb_put32(img, PB_OPT + 0x20, 0x800);
    assert_int_equal(check(img, PB_SIZE, &e), -1);
    assert_int_equal(e.offset, PB_OPT + 0x20);
    assert_int_equal(e.value, 0x800);
    pb_build(img);
    pb_put32(img, PB_SECTIONS + 2 * 40 + 0x14, 0x1000);
    assert_int_equal(check(img, PB_SIZE, &e), -1);
    assert_int_equal(e.index, 2);
    assert_int_equal(e.offset, PB_SECTIONS + 2 * 40 + 0x14);
    free(img);
}

/* Headers of img parsed into info, and a reader of its mapped image. */
static int flat(uint8_t *img, struct pe_flat *f, struct pe_reader *r, struct pe_error *e)
{
    *f = (struct pe_flat){ img, PB_SIZE, &info };
    *r = (struct pe_reader){ f, pe_flat_read };
    return pe_parse_headers(img, PB_SIZE, PB_SIZE, &info, e);
}

struct fixes {
    unsigned n;
    uint32_t rva[8];
};

static ntk_status record_fix(void *ctx, uint32_t rva)
{
    struct fixes *f = ctx;
    if (f->n < 8)
        f->rva[f->n] = rva;
    f->n++;
    return 0;
}

static int walk_relocs(uint8_t *img, struct fixes *f, struct pe_error *e)
{
    struct pe_flat fl;
    struct pe_reader r;
    memset(f, 0, sizeof *f);
    return flat(img, &fl, &r, e) ? -1 : pe_walk_relocations(&info, &r, record_fix, f, e);
}

static void test_relocations(void **state)
{
    (void)state;
    uint8_t *img = image();
    struct pe_error e;
    struct fixes f;
    assert_int_equal(walk_relocs(img, &f, &e), 0);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.rva[0], 0x3000);
    assert_int_equal(f.rva[1], 0x3008);
    uint32_t r = pb_rva_to_file(PB_RELOCS);
    pb_put16(img, r + 10, (uint16_t)(3 << 12 | 0x008)); /* HIGHLOW: not for PE32+ */
    assert_int_equal(walk_relocs(img, &f, &e), -1);
    assert_string_equal(e.field, "BaseRelocation.Type");
    assert_true(e.rva);
    assert_int_equal(e.offset, PB_RELOCS + 10);
    pb_build(img);
    pb_put32(img, r + 4, 13);                          /* odd block size */
    assert_int_equal(walk_relocs(img, &f, &e), -1);
    assert_string_equal(e.field, "BaseRelocation.SizeOfBlock");
    pb_build(img);
    pb_put32(img, r + 4, 4);                           /* smaller than its header */
    assert_int_equal(walk_relocs(img, &f, &e), -1);
    assert_string_equal(e.field, "BaseRelocation.SizeOfBlock");
    pb_build(img);
    pb_put16(img, r + 8, (uint16_t)(PE_REL_BASED_DIR64 << 12 | 0xffc)); /* runs past the image */
    pb_put32(img, r, 0x4000);
    assert_int_equal(walk_relocs(img, &f, &e), -1);
    assert_string_equal(e.field, "BaseRelocation.Offset");
    free(img);
}

struct imports {
    unsigned n;
    char dll[16], name[16];
    uint16_t ordinal;
    uint32_t iat[2];
};

static ntk_status record_import(void *ctx, const struct pe_import *imp)
{
    struct imports *s = ctx;
    if (s->n < 2) {
        strncpy(s->dll, imp->dll, sizeof s->dll - 1);
        if (imp->name)
            strncpy(s->name, imp->name, sizeof s->name - 1);
        else
            s->ordinal = imp->ordinal;
        s->iat[s->n] = imp->iat_rva;
    }
    s->n++;
    return 0;
}

static int walk_imports(uint8_t *img, struct imports *s, struct pe_error *e)
{
    struct pe_flat fl;
    struct pe_reader r;
    memset(s, 0, sizeof *s);
    return flat(img, &fl, &r, e) ? -1 : pe_walk_imports(&info, &r, record_import, s, e);
}

static void test_imports(void **state)
{
    (void)state;
    uint8_t *img = image();
    struct pe_error e;
    struct imports s;
    assert_int_equal(walk_imports(img, &s, &e), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.dll, "other.dll");
    assert_string_equal(s.name, "Gamma");
    assert_int_equal(s.ordinal, 3);
    assert_int_equal(s.iat[0], 0x3010);
    assert_int_equal(s.iat[1], 0x3018);
    uint32_t m = pb_rva_to_file(PB_IMPORTS);
    pb_put32(img, m + 0x0c, 0x9000);                         /* name outside the image */
    assert_int_equal(walk_imports(img, &s, &e), -1);
    assert_string_equal(e.field, "ImportDescriptor.Name");
    assert_int_equal(e.offset, PB_IMPORTS + 0x0c);
    pb_build(img);
    pb_put64(img, m + 0x48, PE_ORDINAL_FLAG64 | 0x10003);    /* ordinal with stray bits */
    assert_int_equal(walk_imports(img, &s, &e), -1);
    assert_string_equal(e.field, "ImportThunk.Ordinal");
    pb_build(img);
    pb_put64(img, m + 0x40, 0x4ffe);                         /* hint/name past the image */
    assert_int_equal(walk_imports(img, &s, &e), -1);
    assert_string_equal(e.field, "ImportThunk.HintName");
    pb_build(img);
    memset(img + m + 0x80, 'x', 0x180);                      /* a name without NUL */
    assert_int_equal(walk_imports(img, &s, &e), -1);
    assert_string_equal(e.field, "ImportDescriptor.Name");
    pb_build(img);
    pb_put32(img, m + 0x10, 0x3011);                         /* misaligned IAT */
    assert_int_equal(walk_imports(img, &s, &e), -1);
    assert_string_equal(e.field, "ImportDescriptor.FirstThunk");
    free(img);
}

static int find(uint8_t *img, const char *name, uint16_t ordinal, uint32_t *rva,
                struct pe_error *e)
{
    struct pe_flat fl;
    struct pe_reader r;
    return flat(img, &fl, &r, e) ? -1 : pe_find_export(&info, &r, name, ordinal, rva, e);
}

static void test_exports(void **state)
{
    (void)state;
    uint8_t *img = image();
    struct pe_error e;
    uint32_t rva = 0;
    assert_int_equal(find(img, "Alpha", 0, &rva, &e), 0);
    assert_int_equal(rva, 0x1000);
    assert_int_equal(find(img, "Beta", 0, &rva, &e), 0);
    assert_int_equal(rva, 0x1001);
    assert_int_equal(find(img, NULL, 7, &rva, &e), 0);
    assert_int_equal(rva, 0x1002);
    assert_int_equal(find(img, NULL, 5, &rva, &e), 0);
    assert_int_equal(rva, 0x1000);
    assert_int_equal(find(img, "Delta", 0, &rva, &e), -1);
    assert_int_equal(e.status, NTK_STATUS_ENTRYPOINT_NOT_FOUND);
    assert_int_equal(find(img, NULL, 8, &rva, &e), -1);
    assert_int_equal(e.status, NTK_STATUS_ORDINAL_NOT_FOUND);
    assert_int_equal(find(img, NULL, 4, &rva, &e), -1);
    assert_int_equal(e.status, NTK_STATUS_ORDINAL_NOT_FOUND);
    uint32_t x = pb_rva_to_file(PB_EXPORTS);
    pb_put32(img, x + 0x44, 0x2090);                 /* Beta forwarded (inside the directory) */
    assert_int_equal(find(img, "Beta", 0, &rva, &e), -1);
    assert_int_equal(e.status, NTK_STATUS_INVALID_IMAGE_FORMAT);
    assert_string_equal(e.field, "ExportAddressTable (forwarder)");
    assert_int_equal(check(img, PB_SIZE, &e), -1);   /* the whole-file check sees it too */
    pb_build(img);
    pb_put16(img, x + 0x62, 3);                      /* name ordinal past the table */
    assert_int_equal(check(img, PB_SIZE, &e), -1);
    assert_string_equal(e.field, "ExportOrdinal");
    pb_build(img);
    pb_put32(img, x + 0x14, 0x7fffffff);             /* NumberOfFunctions */
    assert_int_equal(check(img, PB_SIZE, &e), -1);
    assert_string_equal(e.field, "ExportDirectory.NumberOfFunctions");
    pb_build(img);
    pb_put32(img, x + 0x18, 4);                      /* more names than functions */
    assert_int_equal(check(img, PB_SIZE, &e), -1);
    assert_string_equal(e.field, "ExportDirectory.NumberOfNames");
    free(img);
}

/* Every truncation is refused (the sections' raw data must be inside the
 * file), and none reads past the buffer. */
static void test_truncations(void **state)
{
    (void)state;
    uint8_t *img = image();
    struct pe_error e;
    for (uint64_t n = 0; n < PB_SIZE; n++) {
        int r = check(img, n, &e);
        assert_int_equal(r, -1);
        assert_true(e.status == NTK_STATUS_INVALID_IMAGE_FORMAT ||
                    e.status == NTK_STATUS_INVALID_IMAGE_NOT_MZ);
    }
    free(img);
}

/* Random mutations (fixed seed): each result is a clean accept or a
 * refusal with an image status; ASan/valgrind check the reads. */
static void test_random_mutations(void **state)
{
    (void)state;
    uint8_t *img = malloc(PB_SIZE);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    unsigned accepted = 0;
    for (unsigned i = 0; i < 20000; i++) {
        pb_build(img);
        unsigned flips = 1 + i % 4;
        for (unsigned k = 0; k < flips; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* Half the flips hit the headers, half the tables. */
            uint32_t off = (x & 1) ? (uint32_t)(x >> 8) % 0x400 : 0x600 + (uint32_t)(x >> 8) % 0x800;
            img[off] = (x >> 32) & 4 ? (uint8_t)(x >> 40) : (uint8_t)(img[off] ^ (1u << ((x >> 48) & 7)));
        }
        struct pe_error e;
        if (check(img, PB_SIZE, &e) == 0)
            accepted++;
        else
            assert_true(e.status == NTK_STATUS_INVALID_IMAGE_FORMAT ||
                        e.status == NTK_STATUS_INVALID_IMAGE_NOT_MZ);
    }
    print_message("%u of 20000 mutants accepted\n", accepted);
    assert_true(accepted > 0 && accepted < 20000);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_shared_and_execute_protections),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_error_offset_and_value),
        cmocka_unit_test(test_relocations),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
