/*
 * test_elf.c - unit tests of the ELF64 kernel loader.
 *
 * Every image is built here, byte by byte, from <elf.h> structures: one
 * valid kernel (two PT_LOAD segments whose physical and virtual layouts
 * differ, a bss, a symbol table) and, for each validation rule, a copy with
 * one field broken.  Expected messages are written from the rule (field,
 * offset in the file, value), never copied from a run.
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/elf.h"
#include "loader/file.h"
#include "shell.h"

#define NAME "kernel.elf"

/* File layout of the valid image. */
enum {
    PHOFF = 0x40,      /* program headers: text, data, GNU_STACK */
    TEXT_OFF = 0x1000, TEXT_SIZE = 0x40,
    DATA_OFF = 0x2000, DATA_FILESZ = 0x20, DATA_MEMSZ = 0x1000,
    SYMTAB_OFF = 0x3000, STRTAB_OFF = 0x3100, SHSTRTAB_OFF = 0x3200,
    SHOFF = 0x3300,    /* section headers: null, .symtab, .strtab, .shstrtab */
    IMG_SIZE = 0x3400,
};
#define TEXT_VA   0xffffffff80100000ull
#define TEXT_PA   0x100000ull
#define DATA_VA   0xffffffff80101000ull
#define DATA_PA   0x200000ull /* physically apart from the text, unlike virtually */
#define ENTRY     (TEXT_VA + 0x10)
#define RAM_SIZE  (4u << 20)

static const char strtab[] = "\0_start\0kernel_data\0missing";
static const char shstrtab[] = "\0.symtab\0.strtab\0.shstrtab";

struct kimg {
    _Alignas(8) uint8_t b[IMG_SIZE];
};

static Elf64_Ehdr *eh(struct kimg *k) { return (Elf64_Ehdr *)k->b; }
static Elf64_Phdr *ph(struct kimg *k, unsigned i) { return (Elf64_Phdr *)(k->b + PHOFF) + i; }
static Elf64_Shdr *sh(struct kimg *k, unsigned i) { return (Elf64_Shdr *)(k->b + SHOFF) + i; }
static Elf64_Sym *sym(struct kimg *k, unsigned i) { return (Elf64_Sym *)(k->b + SYMTAB_OFF) + i; }

static uint8_t text_byte(unsigned i) { return (uint8_t)(0x90 + i); }
static uint8_t data_byte(unsigned i) { return (uint8_t)(0x40 ^ i); }

static void kimg_init(struct kimg *k)
{
    memset(k, 0, sizeof *k);
    Elf64_Ehdr *e = eh(k);
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = ET_EXEC;
    e->e_machine = EM_X86_64;
    e->e_version = EV_CURRENT;
    e->e_entry = ENTRY;
    e->e_phoff = PHOFF;
    e->e_shoff = SHOFF;
    e->e_ehsize = sizeof(Elf64_Ehdr);
    e->e_phentsize = sizeof(Elf64_Phdr);
    e->e_phnum = 3;
    e->e_shentsize = sizeof(Elf64_Shdr);
    e->e_shnum = 4;
    e->e_shstrndx = 3;

    *ph(k, 0) = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_VA, TEXT_PA, TEXT_SIZE,
                              TEXT_SIZE, 0x1000 };
    *ph(k, 1) = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W, DATA_OFF, DATA_VA, DATA_PA, DATA_FILESZ,
                              DATA_MEMSZ, 0x1000 };
    *ph(k, 2) = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16 };
    for (unsigned i = 0; i < TEXT_SIZE; i++)
        k->b[TEXT_OFF + i] = text_byte(i);
    for (unsigned i = 0; i < DATA_FILESZ; i++)
        k->b[DATA_OFF + i] = data_byte(i);

    /* Symbols: null, _start (text), kernel_data (data), missing (undefined). */
    *sym(k, 1) = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
                              .st_shndx = 1, .st_value = ENTRY };
    *sym(k, 2) = (Elf64_Sym){ .st_name = 8, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
                              .st_shndx = 2, .st_value = DATA_VA };
    *sym(k, 3) = (Elf64_Sym){ .st_name = 20, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE),
                              .st_shndx = SHN_UNDEF, .st_value = 0x1234 };
    memcpy(k->b + STRTAB_OFF, strtab, sizeof strtab);
    memcpy(k->b + SHSTRTAB_OFF, shstrtab, sizeof shstrtab);
    *sh(k, 1) = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_SYMTAB, .sh_offset = SYMTAB_OFF,
                              .sh_size = 4 * sizeof(Elf64_Sym), .sh_link = 2, .sh_info = 1,
                              .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) };
    *sh(k, 2) = (Elf64_Shdr){ .sh_name = 9, .sh_type = SHT_STRTAB, .sh_offset = STRTAB_OFF,
                              .sh_size = sizeof strtab, .sh_addralign = 1 };
    *sh(k, 3) = (Elf64_Shdr){ .sh_name = 17, .sh_type = SHT_STRTAB, .sh_offset = SHSTRTAB_OFF,
                              .sh_size = sizeof shstrtab, .sh_addralign = 1 };
}

static struct kimg *kimg_new(void)
{
    struct kimg *k = malloc(sizeof *k);
    assert_non_null(k);
    kimg_init(k);
    return k;
}

/* Opening the first size bytes of k must fail with all the given fragments. */
static void expect_open_error(struct kimg *k, size_t size, ...)
{
    struct elf_image img;
    struct loader_error err = { "" };
    assert_false(elf_image_open_mem(&img, k->b, size, NAME, &err));
    assert_contains(err.msg, NAME ": ");
    va_list ap;
    va_start(ap, size);
    for (const char *want; (want = va_arg(ap, const char *));)
        assert_contains(err.msg, want);
    va_end(ap);
    free(k);
}

static void open_ok(struct elf_image *img, const void *buf, size_t size)
{
    struct loader_error err = { "" };
    if (!elf_image_open_mem(img, buf, size, NAME, &err))
        fail_msg("open failed: %s", err.msg);
}

/* ---- a valid kernel ------------------------------------------------------ */

static void check_valid_load(struct elf_image *img)
{
    assert_int_equal(img->entry, ENTRY);
    assert_int_equal(img->nsegments, 2); /* GNU_STACK is not loaded */
    assert_int_equal(img->seg[0].paddr, TEXT_PA);
    assert_int_equal(img->seg[0].vaddr, TEXT_VA);
    assert_int_equal(img->seg[0].flags, PF_R | PF_X);
    assert_int_equal(img->seg[1].paddr, DATA_PA);
    assert_int_equal(img->seg[1].filesz, DATA_FILESZ);
    assert_int_equal(img->seg[1].memsz, DATA_MEMSZ);
    assert_int_equal(img->seg[1].offset, DATA_OFF);

    uint8_t *ram = malloc(RAM_SIZE);
    memset(ram, 0xaa, RAM_SIZE);
    struct loader_error err = { "" };
    assert_true(elf_image_load(img, ram, RAM_SIZE, &err));
    for (unsigned i = 0; i < TEXT_SIZE; i++)
        assert_int_equal(ram[TEXT_PA + i], text_byte(i));
    for (unsigned i = 0; i < DATA_FILESZ; i++)
        assert_int_equal(ram[DATA_PA + i], data_byte(i));
    for (unsigned i = DATA_FILESZ; i < DATA_MEMSZ; i++)
        assert_int_equal(ram[DATA_PA + i], 0); /* bss */
    /* Nothing outside the segments is touched. */
    assert_int_equal(ram[TEXT_PA - 1], 0xaa);
    assert_int_equal(ram[TEXT_PA + TEXT_SIZE], 0xaa);
    assert_int_equal(ram[DATA_PA - 1], 0xaa);
    assert_int_equal(ram[DATA_PA + DATA_MEMSZ], 0xaa);
    assert_int_equal(ram[TEXT_PA + 0x1000], 0xaa); /* where a virtual layout would put data */
    free(ram);
}

static void test_valid_kernel_loads_at_physical_addresses(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    struct elf_image img;
    open_ok(&img, k->b, sizeof k->b);
    free(k); /* the image keeps its own copy */
    check_valid_load(&img);
    elf_image_close(&img);
}

static void test_valid_kernel_from_file(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    char path[] = "/tmp/test_elf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct loader_error err = { "" };
    assert_true(loader_write_file(path, k->b, sizeof k->b, &err));
    free(k);
    struct elf_image img;
    if (!elf_image_open(&img, path, &err))
        fail_msg("open failed: %s", err.msg);
    assert_string_equal(img.name, path);
    check_valid_load(&img);
    elf_image_close(&img);
    unlink(path);

    assert_false(elf_image_open(&img, path, &err)); /* now gone */
    assert_contains(err.msg, path);
    assert_contains(err.msg, "cannot open");
}

static void test_symbols(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    struct elf_image img;
    open_ok(&img, k->b, sizeof k->b);
    uint64_t v = 0;
    assert_true(elf_image_symbol(&img, "_start", &v));
    assert_int_equal(v, ENTRY);
    assert_true(elf_image_symbol(&img, "kernel_data", &v));
    assert_int_equal(v, DATA_VA);
    assert_false(elf_image_symbol(&img, "missing", &v)); /* undefined: not a value */
    assert_false(elf_image_symbol(&img, "nothing", &v));
    assert_false(elf_image_symbol(&img, "", &v));
    elf_image_close(&img);

    /* A name offset past the string table names nothing, and does no harm. */
    sym(k, 2)->st_name = 0x7fffffff;
    open_ok(&img, k->b, sizeof k->b);
    assert_false(elf_image_symbol(&img, "kernel_data", &v));
    assert_true(elf_image_symbol(&img, "_start", &v));
    elf_image_close(&img);
    free(k);
}

static void test_stripped_kernel_has_no_symbols(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_shoff = 0;
    eh(k)->e_shnum = 0;
    eh(k)->e_shstrndx = 0;
    struct elf_image img;
    open_ok(&img, k->b, SHOFF); /* no section headers at the end either */
    uint64_t v;
    assert_false(elf_image_symbol(&img, "_start", &v));
    check_valid_load(&img);
    elf_image_close(&img);
    free(k);
}

/* ---- identification and truncation --------------------------------------- */

static void test_not_elf(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    memcpy(k->b, "MZ\x90\x00", 4);
    expect_open_error(k, IMG_SIZE, "not an ELF file", "4d 5a 90 00", "7f 45 4c 46", NULL);
    expect_open_error(kimg_new(), 3, "not an ELF file", "3 bytes", NULL);
    expect_open_error(kimg_new(), 0, "not an ELF file", "0 bytes", NULL);
}

static void test_truncated_header(void **state)
{
    (void)state;
    expect_open_error(kimg_new(), 10, "truncated", "10 bytes", "e_ident", NULL);
    expect_open_error(kimg_new(), 63, "truncated", "63 bytes", "needs 64", NULL);
}

static void test_wrong_class(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    k->b[EI_CLASS] = ELFCLASS32;
    expect_open_error(k, IMG_SIZE, "e_ident[EI_CLASS] (offset 0x4) is 1", "ELFCLASS64", NULL);
}

static void test_wrong_data_encoding(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    k->b[EI_DATA] = ELFDATA2MSB;
    expect_open_error(k, IMG_SIZE, "e_ident[EI_DATA] (offset 0x5) is 2", "ELFDATA2LSB", NULL);
}

static void test_wrong_versions(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    k->b[EI_VERSION] = 0;
    expect_open_error(k, IMG_SIZE, "e_ident[EI_VERSION] (offset 0x6) is 0", NULL);
    k = kimg_new();
    eh(k)->e_version = 2;
    expect_open_error(k, IMG_SIZE, "e_version (offset 0x14) is 2", "EV_CURRENT", NULL);
}

static void test_os_abi(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    k->b[EI_OSABI] = ELFOSABI_ARM;
    expect_open_error(k, IMG_SIZE, "e_ident[EI_OSABI] (offset 0x7) is 97", NULL);
    k = kimg_new();
    k->b[EI_ABIVERSION] = 1;
    expect_open_error(k, IMG_SIZE, "e_ident[EI_ABIVERSION] (offset 0x8) is 1", NULL);

    /* GNU ld's ELFOSABI_GNU is a plain static executable too. */
    k = kimg_new();
    k->b[EI_OSABI] = ELFOSABI_GNU;
    struct elf_image img;
    open_ok(&img, k->b, IMG_SIZE);
    elf_image_close(&img);
    free(k);
}

static void test_wrong_machine(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_machine = EM_386;
    expect_open_error(k, IMG_SIZE, "e_machine (offset 0x12) is 3", "62 (EM_X86_64)", NULL);
}

static void test_wrong_type(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_type = ET_DYN;
    expect_open_error(k, IMG_SIZE, "e_type (offset 0x10) is 3", "ET_EXEC", NULL);
}

static void test_flags_and_header_size(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_flags = 4;
    expect_open_error(k, IMG_SIZE, "e_flags (offset 0x30) is 4", NULL);
    k = kimg_new();
    eh(k)->e_ehsize = 52;
    expect_open_error(k, IMG_SIZE, "e_ehsize (offset 0x34) is 52", "64", NULL);
}

/* ---- the program header table --------------------------------------------- */

static void test_program_header_entry_size(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_phentsize = 32;
    expect_open_error(k, IMG_SIZE, "e_phentsize (offset 0x36) is 32", "56", NULL);
}

static void test_program_header_table_outside_file(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_phoff = IMG_SIZE - 100; /* 3 entries need 168 bytes */
    expect_open_error(k, IMG_SIZE, "program header table", "e_phoff 0x339c", "3 entries",
                      "13312 bytes", NULL);
    k = kimg_new();
    eh(k)->e_phoff = UINT64_MAX - 8; /* the end would wrap */
    expect_open_error(k, IMG_SIZE, "program header table", "e_phoff 0xfffffffffffffff7", NULL);
}

static void test_program_header_count(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_phnum = 0;
    expect_open_error(k, IMG_SIZE, "e_phnum (offset 0x38) is 0", "no program headers", NULL);
    k = kimg_new();
    eh(k)->e_phnum = PN_XNUM;
    expect_open_error(k, IMG_SIZE, "e_phnum (offset 0x38) is 65535", "too many", NULL);
}

static void test_no_load_segment(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 0)->p_type = PT_NOTE;
    ph(k, 1)->p_type = PT_NULL;
    expect_open_error(k, IMG_SIZE, "none of the 3 program headers is PT_LOAD", NULL);
}

static void test_dynamic_kernel_refused(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 2)->p_type = PT_INTERP;
    expect_open_error(k, IMG_SIZE, "program header 2 (offset 0xb0)", "PT_INTERP",
                      "statically linked", NULL);
    k = kimg_new();
    ph(k, 2)->p_type = PT_DYNAMIC;
    expect_open_error(k, IMG_SIZE, "program header 2 (offset 0xb0)", "PT_DYNAMIC", NULL);
}

static void test_filesz_larger_than_memsz(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 0)->p_filesz = 0x80;
    expect_open_error(k, IMG_SIZE, "program header 0 (offset 0x40)",
                      "p_filesz 0x80 is larger than p_memsz 0x40", NULL);
}

static void test_segment_bytes_outside_file(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 1)->p_filesz = ph(k, 1)->p_memsz = IMG_SIZE - DATA_OFF + 1;
    expect_open_error(k, IMG_SIZE, "program header 1 (offset 0x78)", "p_offset 0x2000",
                      "p_filesz 0x1401", "past the end of the file (13312 bytes)", NULL);
    k = kimg_new();
    ph(k, 1)->p_offset = UINT64_MAX - 0xfff; /* offset + filesz wraps */
    expect_open_error(k, IMG_SIZE, "program header 1 (offset 0x78)",
                      "p_offset 0xfffffffffffff000", "past the end of the file", NULL);
    /* A truncated file cuts the data segment short (and loses the section headers). */
    k = kimg_new();
    eh(k)->e_shoff = eh(k)->e_shnum = eh(k)->e_shstrndx = 0;
    expect_open_error(k, DATA_OFF + 0x10, "program header 1 (offset 0x78)",
                      "past the end of the file (8208 bytes)", NULL);
    expect_open_error(kimg_new(), DATA_OFF + 0x10, "section header table (e_shoff 0x3300, "
                      "4 entries of 64 bytes) extends past the end of the file", NULL);
}

static void test_address_wrap(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 1)->p_paddr = 0xfffffffffffff000ull;
    expect_open_error(k, IMG_SIZE, "program header 1 (offset 0x78)",
                      "physical range p_paddr 0xfffffffffffff000 + p_memsz 0x1000 wraps", NULL);
    k = kimg_new();
    ph(k, 1)->p_memsz = 0xffffffffffffff00ull;
    expect_open_error(k, IMG_SIZE, "program header 1 (offset 0x78)",
                      "p_memsz 0xffffffffffffff00 wraps", NULL);
}

static void test_segments_overlap(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 1)->p_paddr = TEXT_PA + 0x20;
    ph(k, 1)->p_align = 1;
    expect_open_error(k, IMG_SIZE, "program header 1 (offset 0x78)",
                      "physical range [0x100020, 0x101020) overlaps program header 0's "
                      "[0x100000, 0x100040)", NULL);
    k = kimg_new();
    ph(k, 1)->p_vaddr = TEXT_VA + 0x3f;
    ph(k, 1)->p_align = 1;
    expect_open_error(k, IMG_SIZE, "program header 1 (offset 0x78)",
                      "virtual range [0xffffffff8010003f, 0xffffffff8010103f) overlaps "
                      "program header 0's [0xffffffff80100000, 0xffffffff80100040)", NULL);

    /* Touching is not overlapping. */
    k = kimg_new();
    ph(k, 1)->p_paddr = TEXT_PA + TEXT_SIZE;
    ph(k, 1)->p_vaddr = TEXT_VA + TEXT_SIZE;
    ph(k, 1)->p_align = 1;
    struct elf_image img;
    open_ok(&img, k->b, IMG_SIZE);
    elf_image_close(&img);
    free(k);
}

static void test_segment_outside_ram(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    struct elf_image img;
    open_ok(&img, k->b, IMG_SIZE);
    free(k);
    struct loader_error err = { "" };
    uint8_t *ram = malloc(DATA_PA + 0x800);
    memset(ram, 0xaa, DATA_PA + 0x800);

    assert_false(elf_image_load(&img, ram, TEXT_PA, &err));
    assert_contains(err.msg, NAME ": program header 0 (offset 0x40): physical range "
                             "[0x100000, 0x100040) lies outside guest RAM [0, 0x100000) (1 MiB)");

    /* The text fits, the data does not: nothing is written at all. */
    assert_false(elf_image_load(&img, ram, DATA_PA + 0x800, &err));
    assert_contains(err.msg, "program header 1 (offset 0x78)");
    assert_contains(err.msg, "[0x200000, 0x201000) lies outside guest RAM [0, 0x200800) "
                             "(2099200 bytes)");
    assert_int_equal(ram[TEXT_PA], 0xaa);

    /* Exactly enough RAM is enough. */
    free(ram);
    ram = malloc(DATA_PA + DATA_MEMSZ);
    assert_true(elf_image_load(&img, ram, DATA_PA + DATA_MEMSZ, &err));
    assert_int_equal(ram[TEXT_PA], text_byte(0));
    free(ram);
    elf_image_close(&img);
}

static void test_entry_outside_executable_segment(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_entry = DATA_VA; /* inside a segment, but not PF_X */
    expect_open_error(k, IMG_SIZE, "e_entry (offset 0x18) is 0xffffffff80101000",
                      "executable (PF_X)", "[0xffffffff80100000, 0xffffffff80100040)", NULL);
    k = kimg_new();
    eh(k)->e_entry = TEXT_VA + TEXT_SIZE; /* one past the end */
    expect_open_error(k, IMG_SIZE, "e_entry (offset 0x18) is 0xffffffff80100040", NULL);
    k = kimg_new();
    eh(k)->e_entry = TEXT_PA; /* the physical address is not where it runs */
    expect_open_error(k, IMG_SIZE, "e_entry (offset 0x18) is 0x100000", NULL);
    k = kimg_new();
    ph(k, 0)->p_flags = PF_R;
    expect_open_error(k, IMG_SIZE, "e_entry", "there is none", NULL);
}

static void test_too_many_segments(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_phnum = ELF_MAX_SEGMENTS + 1; /* 17 * 56 bytes still end before the text */
    for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
        *ph(k, i) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R,
                                  .p_vaddr = 0x10000 * (i + 1), .p_paddr = 0x10000 * (i + 1),
                                  .p_memsz = 0x1000, .p_align = 0x1000 };
    expect_open_error(k, IMG_SIZE, "program header 16 (offset 0x3c0)", "too many PT_LOAD",
                      "at most 16", NULL);
}

static void test_alignment(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 0)->p_align = 0x1800;
    expect_open_error(k, IMG_SIZE, "program header 0 (offset 0x40)",
                      "p_align 0x1800 is not a power of two", NULL);
    k = kimg_new();
    ph(k, 0)->p_vaddr = TEXT_VA + 0x800;
    eh(k)->e_entry = TEXT_VA + 0x810;
    expect_open_error(k, IMG_SIZE, "program header 0 (offset 0x40)",
                      "p_vaddr 0xffffffff80100800 and p_offset 0x1000 are not congruent "
                      "modulo p_align 0x1000", NULL);
    /* Alignment 0 or 1 means none. */
    k = kimg_new();
    ph(k, 0)->p_vaddr = TEXT_VA + 0x800;
    ph(k, 0)->p_align = 1;
    eh(k)->e_entry = TEXT_VA + 0x810;
    struct elf_image img;
    open_ok(&img, k->b, IMG_SIZE);
    elf_image_close(&img);
    free(k);
}

static void test_unknown_segment_flags(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    ph(k, 0)->p_flags |= 0x10;
    expect_open_error(k, IMG_SIZE, "program header 0 (offset 0x40)", "p_flags 0x15", NULL);
}

/* ---- the section header table --------------------------------------------- */

static void test_section_header_table(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    eh(k)->e_shentsize = 40;
    expect_open_error(k, IMG_SIZE, "e_shentsize (offset 0x3a) is 40", NULL);
    k = kimg_new();
    eh(k)->e_shnum = 5;
    expect_open_error(k, IMG_SIZE, "section header table", "e_shoff 0x3300", "5 entries", NULL);
    k = kimg_new();
    eh(k)->e_shstrndx = 4;
    expect_open_error(k, IMG_SIZE, "e_shstrndx (offset 0x3e) is 4", "only 4 sections", NULL);
    k = kimg_new();
    eh(k)->e_shnum = 0;
    expect_open_error(k, IMG_SIZE, "e_shoff", "e_shnum is 0", NULL);
    k = kimg_new();
    sh(k, 2)->sh_offset = IMG_SIZE - 4;
    expect_open_error(k, IMG_SIZE, "section header 2 (offset 0x3380)", "sh_offset 0x33fc",
                      "past the end of the file", NULL);
}

static void test_symbol_table_shape(void **state)
{
    (void)state;
    struct kimg *k = kimg_new();
    sh(k, 1)->sh_entsize = 16;
    expect_open_error(k, IMG_SIZE, "section header 1 (offset 0x3340)",
                      "SHT_SYMTAB sh_entsize 0x10, expected 24", NULL);
    k = kimg_new();
    sh(k, 1)->sh_size = 50;
    expect_open_error(k, IMG_SIZE, "section header 1 (offset 0x3340)", "sh_size 0x32", NULL);
    k = kimg_new();
    sh(k, 1)->sh_link = 1; /* itself, not a string table */
    expect_open_error(k, IMG_SIZE, "section header 1", "sh_link 1 is not", NULL);
    k = kimg_new();
    sh(k, 1)->sh_link = 99;
    expect_open_error(k, IMG_SIZE, "section header 1", "sh_link 99 is not", NULL);
    k = kimg_new();
    *sh(k, 3) = *sh(k, 1);
    expect_open_error(k, IMG_SIZE, "section header 3 (offset 0x33c0)", "a second SHT_SYMTAB",
                      NULL);
}

/* ---- a kernel linked by the real toolchain ---------------------------------- */

#define KERNEL_VMA 0xffffffff80000000ull

static const char real_kernel_c[] =
    "volatile int counter = 0x12345678;\n"
    "volatile char scratch[8192];\n"
    "void _start(void) { for (;;) { scratch[1] = (char)counter; __asm__ volatile(\"hlt\"); } }\n";

/* Linked high, loaded low: each section's load address is its VMA - KERNEL_VMA. */
static const char real_kernel_ld[] =
    "ENTRY(_start)\n"
    "SECTIONS {\n"
    "  . = 0xffffffff80100000;\n"
    "  .text : AT(ADDR(.text) - 0xffffffff80000000) { *(.text*) }\n"
    "  . = ALIGN(4096);\n"
    "  .data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data*) *(.rodata*) }\n"
    "  .bss : AT(ADDR(.bss) - 0xffffffff80000000) { *(.bss*) *(COMMON) }\n"
    "}\n";

/* A symbol's value as nm lists it ("ffffffff80101000 D counter"). */
static uint64_t nm_value(const char *listing, const char *name)
{
    for (const char *l = listing; *l; l = strchr(l, '\n') + 1) {
        unsigned long long v;
        char type, sym[64];
        if (sscanf(l, "%llx %c %63s", &v, &type, sym) == 3 && strcmp(sym, name) == 0)
            return v;
        if (!strchr(l, '\n'))
            break;
    }
    fail_msg("nm lists no %s", name);
    return 0;
}

static void test_kernel_linked_by_the_toolchain(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t, "cc --version && nm --version && objcopy --version");
    struct loader_error err = { "" };
    assert_true(loader_write_file(tmp_path(&t, "k.c"), real_kernel_c, strlen(real_kernel_c), &err));
    assert_true(loader_write_file(tmp_path(&t, "k.ld"), real_kernel_ld, strlen(real_kernel_ld),
                                  &err));
    free(run("cd '%s' && cc -ffreestanding -fno-pic -mcmodel=kernel -mno-red-zone -O2 "
             "-nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,k.ld "
             "-Wl,-z,max-page-size=4096 k.c -o k.elf 2>&1 && "
             "objcopy -O binary -j .text k.elf text.bin", t.dir));
    char *syms = run("nm '%s'", tmp_path(&t, "k.elf"));
    uint8_t *text;
    size_t text_size;
    assert_true(loader_read_file(tmp_path(&t, "text.bin"), &text, &text_size, &err));

    struct elf_image img;
    if (!elf_image_open(&img, tmp_path(&t, "k.elf"), &err))
        fail_msg("%s", err.msg);
    uint64_t start = nm_value(syms, "_start"), counter = nm_value(syms, "counter");
    uint64_t scratch = nm_value(syms, "scratch"), v;
    assert_int_equal(img.entry, start);
    assert_true(elf_image_symbol(&img, "counter", &v));
    assert_int_equal(v, counter);
    assert_true(elf_image_symbol(&img, "scratch", &v));
    assert_int_equal(v, scratch);

    uint8_t *ram = malloc(RAM_SIZE);
    memset(ram, 0xaa, RAM_SIZE);
    assert_true(elf_image_load(&img, ram, RAM_SIZE, &err));
    assert_memory_equal(ram + 0x100000, text, text_size);
    uint32_t c;
    memcpy(&c, ram + (counter - KERNEL_VMA), sizeof c);
    assert_int_equal(c, 0x12345678);
    for (unsigned i = 0; i < 8192; i++)
        assert_int_equal(ram[scratch - KERNEL_VMA + i], 0);
    free(ram);
    elf_image_close(&img);
    free(text);
    free(syms);
    tmp_remove(&t);
}

/* ---- robustness ------------------------------------------------------------ */

/*
 * Random corruption: open and load must either succeed or explain; never
 * crash, read out of bounds (run under ASan/valgrind) or say nothing.
 * Mutations aim mostly at the headers, where the loader's decisions are.
 */
static void test_fuzz(void **state)
{
    (void)state;
    struct kimg *valid = kimg_new();
    struct kimg *k = malloc(sizeof *k);
    uint8_t *ram = malloc(RAM_SIZE);
    unsigned opened = 0, refused = 0;
    srand(20240607);
    for (int iter = 0; iter < 4000; iter++) {
        *k = *valid;
        size_t size = IMG_SIZE;
        if (iter % 5 == 0) {
            size = (size_t)rand() % (IMG_SIZE + 1);
        } else {
            int flips = 1 + rand() % 4;
            for (int f = 0; f < flips; f++) {
                /* half the flips in the ELF and program headers, half anywhere below */
                size_t at = rand() % 2 ? (size_t)rand() % 0x100 : (size_t)rand() % IMG_SIZE;
                k->b[at] ^= (uint8_t)(1u << (rand() % 8));
                if (rand() % 4 == 0)
                    k->b[at] = (uint8_t)rand();
            }
        }
        struct elf_image img;
        struct loader_error err = { "" };
        if (!elf_image_open_mem(&img, k->b, size, NAME, &err)) {
            assert_contains(err.msg, NAME ": ");
            assert_true(strlen(err.msg) > strlen(NAME ": "));
            refused++;
            continue;
        }
        opened++;
        uint64_t v;
        elf_image_symbol(&img, "_start", &v);
        err.msg[0] = '\0';
        if (!elf_image_load(&img, ram, RAM_SIZE, &err))
            assert_contains(err.msg, "outside guest RAM");
        elf_image_close(&img);
    }
    print_message("fuzz: %u opened, %u refused\n", opened, refused);
    /* Both outcomes occur: the loop exercised the checks and the loader. */
    assert_true(opened > 100);
    assert_true(refused > 1000);
    free(ram);
    free(k);
    free(valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_kernel_loads_at_physical_addresses),
        cmocka_unit_test(test_valid_kernel_from_file),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_stripped_kernel_has_no_symbols),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_wrong_class),
        cmocka_unit_test(test_wrong_data_encoding),
        cmocka_unit_test(test_wrong_versions),
        cmocka_unit_test(test_os_abi),
        cmocka_unit_test(test_wrong_machine),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_flags_and_header_size),
        cmocka_unit_test(test_program_header_entry_size),
        cmocka_unit_test(test_program_header_table_outside_file),
        cmocka_unit_test(test_program_header_count),
        cmocka_unit_test(test_no_load_segment),
        cmocka_unit_test(test_dynamic_kernel_refused),
        cmocka_unit_test(test_filesz_larger_than_memsz),
        cmocka_unit_test(test_segment_bytes_outside_file),
        cmocka_unit_test(test_address_wrap),
        cmocka_unit_test(test_segments_overlap),
        cmocka_unit_test(test_segment_outside_ram),
        cmocka_unit_test(test_entry_outside_executable_segment),
        cmocka_unit_test(test_too_many_segments),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_unknown_segment_flags),
        cmocka_unit_test(test_section_header_table),
        cmocka_unit_test(test_symbol_table_shape),
        cmocka_unit_test(test_kernel_linked_by_the_toolchain),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
