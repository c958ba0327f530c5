/*
 * pe.c - the PE32+ parser and validator (interface and rules: pe.h; the
 * checks and their order: docs/kernel.md, "PE images").  Pure functions
 * over bytes: the kernel and the host tests compile this same file.  Every
 * offset is checked against what it indexes in 64-bit arithmetic before it
 * is used, and every loop is bounded by a table size, so no input makes it
 * read outside its buffer or run for ever.
 */
#include "guest/kernel/pe.h"

#include "shared/nt/memory.h"

static int fail(struct pe_error *e, ntk_status st, const char *field, int index, bool rva,
                uint64_t offset, uint64_t value)
{
    e->status = st;
    e->field = field;
    e->index = index;
    e->rva = rva;
    e->offset = offset;
    e->value = value;
    return -1;
}

#define BAD(e, field, off, val) \
    fail(e, NTK_STATUS_INVALID_IMAGE_FORMAT, field, -1, false, (off), (val))
#define BADI(e, field, i, rva, off, val) \
    fail(e, NTK_STATUS_INVALID_IMAGE_FORMAT, field, (int)(i), rva, (off), (val))

static void copy(void *dst, const void *src, uint64_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
}

static bool pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* ---- protections from section characteristics (contract item 8) -------- */

/* Indexed by EXECUTE | READ << 1 | WRITE << 2; shared writable sections
 * are not copy-on-write (second column). */
static const uint32_t scn_protect[8][2] = {
    { NTK_PAGE_NOACCESS, NTK_PAGE_NOACCESS },
    { NTK_PAGE_EXECUTE, NTK_PAGE_EXECUTE },
    { NTK_PAGE_READONLY, NTK_PAGE_READONLY },
    { NTK_PAGE_EXECUTE_READ, NTK_PAGE_EXECUTE_READ },
    { NTK_PAGE_WRITECOPY, NTK_PAGE_READWRITE },
    { NTK_PAGE_EXECUTE_WRITECOPY, NTK_PAGE_EXECUTE_READWRITE },
    { NTK_PAGE_WRITECOPY, NTK_PAGE_READWRITE },
    { NTK_PAGE_EXECUTE_WRITECOPY, NTK_PAGE_EXECUTE_READWRITE },
};

static uint32_t section_protection(uint32_t c)
{
    unsigned i = (unsigned)!!(c & PE_SCN_MEM_EXECUTE) | (unsigned)!!(c & PE_SCN_MEM_READ) << 1 |
                 (unsigned)!!(c & PE_SCN_MEM_WRITE) << 2;
    return scn_protect[i][!!(c & PE_SCN_MEM_SHARED)];
}

/* ---- headers --------------------------------------------------------------- */

static int check_file_header(const struct pe_file_header *fh, uint64_t at, struct pe_error *e)
{
    if (fh->machine != PE_MACHINE_AMD64)
        return BAD(e, "FileHeader.Machine", at + 0x00, fh->machine);
    if (fh->number_of_sections == 0 || fh->number_of_sections > PE_MAX_SECTIONS)
        return BAD(e, "FileHeader.NumberOfSections", at + 0x02, fh->number_of_sections);
    if (!(fh->characteristics & PE_FILE_EXECUTABLE_IMAGE))
        return BAD(e, "FileHeader.Characteristics", at + 0x12, fh->characteristics);
    return 0;
}

/* The optional header's scalar fields; at = its file offset. */
static int check_optional(const struct pe_optional_header64 *oh, uint64_t at, uint64_t size,
                          const struct pe_file_header *fh, struct pe_info *info,
                          struct pe_error *e)
{
    if (oh->magic != PE_OPTIONAL_MAGIC_PE32PLUS)
        return BAD(e, "OptionalHeader.Magic", at + 0x00, oh->magic);
    if (!pow2(oh->section_alignment) || oh->section_alignment < 0x1000)
        return BAD(e, "OptionalHeader.SectionAlignment", at + 0x20, oh->section_alignment);
    if (!pow2(oh->file_alignment) || oh->file_alignment < 512 || oh->file_alignment > 0x10000 ||
        oh->file_alignment > oh->section_alignment)
        return BAD(e, "OptionalHeader.FileAlignment", at + 0x24, oh->file_alignment);
    if (oh->image_base == 0 || oh->image_base % 0x10000 || oh->image_base >= PE_USER_TOP)
        return BAD(e, "OptionalHeader.ImageBase", at + 0x18, oh->image_base);
    uint64_t soi = align_up(oh->size_of_image, oh->section_alignment);
    if (oh->size_of_image == 0 || soi > PE_MAX_IMAGE || oh->image_base + soi > PE_USER_TOP)
        return BAD(e, "OptionalHeader.SizeOfImage", at + 0x38, oh->size_of_image);
    if (oh->size_of_headers == 0 || oh->size_of_headers % oh->file_alignment ||
        oh->size_of_headers > size || oh->size_of_headers > soi)
        return BAD(e, "OptionalHeader.SizeOfHeaders", at + 0x3c, oh->size_of_headers);
    bool dll = fh->characteristics & PE_FILE_DLL;
    if (oh->address_of_entry_point >= soi || (!dll && oh->address_of_entry_point == 0) ||
        (oh->address_of_entry_point && oh->address_of_entry_point < oh->size_of_headers))
        return BAD(e, "OptionalHeader.AddressOfEntryPoint", at + 0x10,
                   oh->address_of_entry_point);
    if (oh->subsystem < PE_SUBSYSTEM_NATIVE || oh->subsystem > PE_SUBSYSTEM_WINDOWS_CUI)
        return BAD(e, "OptionalHeader.Subsystem", at + 0x44, oh->subsystem);
    if (oh->size_of_stack_reserve > (1ull << 30))
        return BAD(e, "OptionalHeader.SizeOfStackReserve", at + 0x48, oh->size_of_stack_reserve);
    if (oh->size_of_stack_commit > oh->size_of_stack_reserve)
        return BAD(e, "OptionalHeader.SizeOfStackCommit", at + 0x50, oh->size_of_stack_commit);
    if (oh->number_of_rva_and_sizes > PE_NUMBEROF_DIRECTORY_ENTRIES)
        return BAD(e, "OptionalHeader.NumberOfRvaAndSizes", at + 0x6c,
                   oh->number_of_rva_and_sizes);
    if (fh->size_of_optional_header < 0x70 + 8 * oh->number_of_rva_and_sizes ||
        fh->size_of_optional_header > sizeof *oh)
        return BAD(e, "FileHeader.SizeOfOptionalHeader", at - 0x14 + 0x10,
                   fh->size_of_optional_header);
    info->image_base = oh->image_base;
    info->size_of_image = (uint32_t)soi;
    info->size_of_headers = oh->size_of_headers;
    info->entry = oh->address_of_entry_point;
    info->section_alignment = oh->section_alignment;
    info->file_alignment = oh->file_alignment;
    info->characteristics = fh->characteristics;
    info->dll_characteristics = oh->dll_characteristics;
    info->subsystem = oh->subsystem;
    info->stack_reserve = oh->size_of_stack_reserve;
    info->stack_commit = oh->size_of_stack_commit;
    return 0;
}

static int check_directories(const struct pe_optional_header64 *oh, uint64_t at,
                             struct pe_info *info, struct pe_error *e)
{
    for (unsigned i = 0; i < PE_NUMBEROF_DIRECTORY_ENTRIES; i++) {
        info->dir[i].virtual_address = info->dir[i].size = 0;
        if (i >= oh->number_of_rva_and_sizes || oh->data_directory[i].size == 0)
            continue;
        const struct pe_data_directory *d = &oh->data_directory[i];
        /* The certificate table is a file range; the others are RVAs. */
        uint64_t limit = i == PE_DIRECTORY_SECURITY ? info->file_size : info->size_of_image;
        if ((uint64_t)d->virtual_address + d->size > limit || d->virtual_address == 0)
            return BADI(e, "OptionalHeader.DataDirectory.VirtualAddress", i, false,
                        at + 0x70 + 8 * i, d->virtual_address);
        info->dir[i] = *d;
    }
    return 0;
}

static int check_section(const struct pe_section_header *s, unsigned i, uint64_t at,
                         uint64_t *next_va, struct pe_info *info, struct pe_error *e)
{
    uint64_t vsize = s->virtual_size ? s->virtual_size : s->size_of_raw_data;
    if (s->virtual_address != *next_va)
        return BADI(e, "Section.VirtualAddress", i, false, at + 0x0c, s->virtual_address);
    if (vsize == 0 || *next_va + vsize > info->size_of_image)
        return BADI(e, "Section.VirtualSize", i, false, at + 0x08, s->virtual_size);
    if (s->size_of_raw_data % info->file_alignment)
        return BADI(e, "Section.SizeOfRawData", i, false, at + 0x10, s->size_of_raw_data);
    if (s->size_of_raw_data &&
        (s->pointer_to_raw_data % info->file_alignment ||
         s->pointer_to_raw_data < info->size_of_headers ||
         (uint64_t)s->pointer_to_raw_data + s->size_of_raw_data > info->file_size))
        return BADI(e, "Section.PointerToRawData", i, false, at + 0x14, s->pointer_to_raw_data);
    uint64_t extent = align_up(vsize, info->section_alignment);
    struct pe_section *out = &info->sec[i];
    out->va = s->virtual_address;
    out->extent = (uint32_t)extent;
    out->raw_offset = s->pointer_to_raw_data;
    out->file_bytes = s->size_of_raw_data < extent ? s->size_of_raw_data : (uint32_t)extent;
    out->characteristics = s->characteristics;
    out->protect = section_protection(s->characteristics);
    *next_va += extent;
    return 0;
}

int pe_parse_headers(const uint8_t *hdr, uint64_t hdr_len, uint64_t file_size,
                     struct pe_info *info, struct pe_error *e)
{
    struct pe_dos_header dos;
    struct pe_nt_headers64 nt;
    info->file_size = file_size;
    if (hdr_len > file_size)
        hdr_len = file_size;
    if (hdr_len < sizeof dos)
        return fail(e, NTK_STATUS_INVALID_IMAGE_NOT_MZ, "file size", -1, false, 0, file_size);
    copy(&dos, hdr, sizeof dos);
    if (dos.e_magic != PE_DOS_MAGIC)
        return fail(e, NTK_STATUS_INVALID_IMAGE_NOT_MZ, "DosHeader.e_magic", -1, false, 0,
                    dos.e_magic);
    uint64_t at = dos.e_lfanew;
    if (at < sizeof dos || at % 8 || at + 0x18 + 0x70 > hdr_len)
        return BAD(e, "DosHeader.e_lfanew", 0x3c, dos.e_lfanew);
    /* What hdr holds of the NT headers; the rest of nt stays zero. */
    uint64_t have = hdr_len - at < sizeof nt ? hdr_len - at : sizeof nt;
    for (unsigned k = 0; k < sizeof nt; k++)
        ((uint8_t *)&nt)[k] = 0;
    copy(&nt, hdr + at, have);
    if (nt.signature != PE_NT_SIGNATURE)
        return BAD(e, "NtHeaders.Signature", at, nt.signature);
    const struct pe_file_header *fh = &nt.file_header;
    if (check_file_header(fh, at + 4, e))
        return -1;
    uint64_t opt = at + PE_OPTIONAL_OFFSET;
    uint64_t table = opt + fh->size_of_optional_header;
    uint64_t table_end = table + (uint64_t)fh->number_of_sections * sizeof(struct pe_section_header);
    if (opt + fh->size_of_optional_header > hdr_len || fh->size_of_optional_header < 0x70 ||
        fh->size_of_optional_header > sizeof nt.optional_header)
        return BAD(e, "FileHeader.SizeOfOptionalHeader", at + 4 + 0x10,
                   fh->size_of_optional_header);
    /* Directories the optional header does not have read as zero. */
    for (uint64_t k = fh->size_of_optional_header; k < sizeof nt.optional_header; k++)
        ((uint8_t *)&nt.optional_header)[k] = 0;
    if (check_optional(&nt.optional_header, opt, file_size, fh, info, e))
        return -1;
    if (table_end > hdr_len || table_end > info->size_of_headers)
        return BAD(e, "FileHeader.NumberOfSections", at + 4 + 0x02, fh->number_of_sections);
    if (check_directories(&nt.optional_header, opt, info, e))
        return -1;
    uint64_t next_va = align_up(info->size_of_headers, info->section_alignment);
    info->nsections = fh->number_of_sections;
    for (unsigned i = 0; i < info->nsections; i++) {
        struct pe_section_header s;
        uint64_t sat = table + (uint64_t)i * sizeof s;
        copy(&s, hdr + sat, sizeof s);
        if (check_section(&s, i, sat, &next_va, info, e))
            return -1;
    }
    if (next_va != info->size_of_image)
        return BAD(e, "OptionalHeader.SizeOfImage", opt + 0x38, info->size_of_image);
    return 0;
}

/* The section holding rva, or NULL (the headers). */
static const struct pe_section *section_at(const struct pe_info *info, uint32_t rva)
{
    for (unsigned i = 0; i < info->nsections; i++)
        if (rva >= info->sec[i].va && rva - info->sec[i].va < info->sec[i].extent)
            return &info->sec[i];
    return NULL;
}

uint32_t pe_page_protection(const struct pe_info *info, uint32_t rva)
{
    const struct pe_section *s = section_at(info, rva);
    return s ? s->protect : NTK_PAGE_READONLY;
}

void pe_page_source(const struct pe_info *info, uint32_t rva, uint32_t *file_off,
                    uint32_t *len)
{
    const struct pe_section *s = section_at(info, rva);
    uint64_t start = s ? rva - s->va : rva, bytes = s ? s->file_bytes : info->size_of_headers;
    uint64_t n = start < bytes ? bytes - start : 0;
    *file_off = (uint32_t)((s ? s->raw_offset : 0) + start);
    *len = (uint32_t)(n < 0x1000 ? n : 0x1000);
}

/* ---- reading the mapped image -------------------------------------------- */

static bool rd(const struct pe_reader *r, const struct pe_info *info, uint64_t rva, void *dst,
               uint64_t len)
{
    return rva <= info->size_of_image && len <= info->size_of_image - rva &&
           r->read(r->ctx, (uint32_t)rva, dst, (uint32_t)len);
}

/* A NUL-terminated name at rva into buf[PE_NAME_MAX]; false if it has no
 * NUL within PE_NAME_MAX bytes, is empty, or lies outside the image.  Read
 * in pieces: names are short. */
static bool rd_name(const struct pe_reader *r, const struct pe_info *info, uint64_t rva,
                    char *buf)
{
    const uint64_t piece = 32;
    for (uint64_t at = 0; at < PE_NAME_MAX; at += piece) {
        if (rva + at >= info->size_of_image)
            return false;
        uint64_t left = info->size_of_image - rva - at;
        uint64_t n = left < piece ? left : piece;
        if (!rd(r, info, rva + at, buf + at, n))
            return false;
        for (uint64_t i = at; i < at + n; i++)
            if (!buf[i])
                return i > 0;
    }
    return false;
}

/* A read that fails because the reader failed (an in-page error) is not
 * the image's fault: report the reader's status. */
static int bad_read(struct pe_error *e, const char *field, int i, uint64_t rva)
{
    return fail(e, NTK_STATUS_INVALID_IMAGE_FORMAT, field, i, true, rva, rva);
}

/* ---- base relocations ------------------------------------------------------ */

int pe_walk_relocations(const struct pe_info *info, const struct pe_reader *r,
                        ntk_status (*fix)(void *ctx, uint32_t rva), void *ctx,
                        struct pe_error *e)
{
    const struct pe_data_directory *d = &info->dir[PE_DIRECTORY_BASERELOC];
    uint64_t at = d->virtual_address, end = at + d->size;
    for (unsigned blk = 0; at < end; blk++) {
        struct pe_base_relocation b;
        if (end - at < sizeof b || !rd(r, info, at, &b, sizeof b))
            return bad_read(e, "BaseRelocation.SizeOfBlock", (int)blk, at + 4);
        if (b.size_of_block < sizeof b || b.size_of_block % 2 || b.size_of_block > end - at)
            return BADI(e, "BaseRelocation.SizeOfBlock", blk, true, at + 4, b.size_of_block);
        if (b.virtual_address % 0x1000 || b.virtual_address >= info->size_of_image)
            return BADI(e, "BaseRelocation.VirtualAddress", blk, true, at, b.virtual_address);
        unsigned n = (b.size_of_block - (unsigned)sizeof b) / 2;
        for (unsigned k = 0; k < n; k++) {
            uint16_t entry;
            uint64_t eat = at + sizeof b + 2ull * k;
            if (!rd(r, info, eat, &entry, 2))
                return bad_read(e, "BaseRelocation.Entry", (int)k, eat);
            unsigned type = entry >> 12;
            uint64_t rva = (uint64_t)b.virtual_address + (entry & 0xfff);
            if (type == PE_REL_BASED_ABSOLUTE)
                continue;
            if (type != PE_REL_BASED_DIR64)
                return BADI(e, "BaseRelocation.Type", k, true, eat, type);
            if (rva + 8 > info->size_of_image)
                return BADI(e, "BaseRelocation.Offset", k, true, eat, entry);
            ntk_status st = fix ? fix(ctx, (uint32_t)rva) : 0;
            if (st)
                return fail(e, st, "BaseRelocation.Target", (int)k, true, rva, rva);
        }
        at += b.size_of_block;
    }
    return 0;
}

/* ---- imports --------------------------------------------------------------- */

static int walk_thunks(const struct pe_info *info, const struct pe_reader *r,
                       const struct pe_import_descriptor *d, unsigned di, struct pe_import *imp,
                       ntk_status (*each)(void *, const struct pe_import *), void *ctx,
                       struct pe_error *e)
{
    char name[PE_NAME_MAX];
    uint64_t lookup = d->original_first_thunk ? d->original_first_thunk : d->first_thunk;
    for (unsigned k = 0;; k++) {
        uint64_t thunk, tat = lookup + 8ull * k, iat = d->first_thunk + 8ull * k;
        if (k >= PE_MAX_THUNKS)
            return BADI(e, "ImportDescriptor.OriginalFirstThunk", di, true, lookup, k);
        if (!rd(r, info, tat, &thunk, 8))
            return bad_read(e, "ImportThunk", (int)k, tat);
        if (thunk == 0)
            return 0;
        if (iat + 8 > info->size_of_image)
            return BADI(e, "ImportDescriptor.FirstThunk", di, true, iat, d->first_thunk);
        imp->iat_rva = (uint32_t)iat;
        if (thunk & PE_ORDINAL_FLAG64) {
            if (thunk & 0x7fffffffffff0000ull)
                return BADI(e, "ImportThunk.Ordinal", k, true, tat, thunk);
            imp->name = NULL;
            imp->ordinal = (uint16_t)thunk;
            imp->hint = 0;
        } else {
            uint16_t hint;
            if (thunk >> 31 || !rd(r, info, thunk, &hint, 2) || !rd_name(r, info, thunk + 2, name))
                return BADI(e, "ImportThunk.HintName", k, true, tat, thunk);
            imp->name = name;
            imp->ordinal = 0;
            imp->hint = hint;
        }
        ntk_status st = each ? each(ctx, imp) : 0;
        if (st)
            return fail(e, st, imp->name ? imp->name : "ordinal", (int)imp->ordinal, true,
                        imp->iat_rva, imp->ordinal);
    }
}

int pe_walk_imports(const struct pe_info *info, const struct pe_reader *r,
                    ntk_status (*each)(void *ctx, const struct pe_import *imp), void *ctx,
                    struct pe_error *e)
{
    const struct pe_data_directory *dir = &info->dir[PE_DIRECTORY_IMPORT];
    char dll[PE_NAME_MAX];
    for (unsigned i = 0; dir->size; i++) {
        struct pe_import_descriptor d;
        uint64_t at = dir->virtual_address + (uint64_t)i * sizeof d;
        if (i >= PE_MAX_IMPORT_DLLS)
            return BAD(e, "ImportDirectory.Size", at, dir->size);
        if (!rd(r, info, at, &d, sizeof d))
            return bad_read(e, "ImportDescriptor", (int)i, at);
        if (d.name == 0 && d.first_thunk == 0 && d.original_first_thunk == 0)
            return 0;
        if (!rd_name(r, info, d.name, dll))
            return BADI(e, "ImportDescriptor.Name", i, true, at + 0x0c, d.name);
        if (d.first_thunk == 0 || d.first_thunk % 8)
            return BADI(e, "ImportDescriptor.FirstThunk", i, true, at + 0x10, d.first_thunk);
        if (d.original_first_thunk % 8)
            return BADI(e, "ImportDescriptor.OriginalFirstThunk", i, true, at,
                        d.original_first_thunk);
        struct pe_import imp = { .dll = dll };
        if (walk_thunks(info, r, &d, i, &imp, each, ctx, e))
            return -1;
    }
    return 0;
}

/* ---- exports --------------------------------------------------------------- */

static int read_export_dir(const struct pe_info *info, const struct pe_reader *r,
                           struct pe_export_directory *x, struct pe_error *e)
{
    const struct pe_data_directory *dir = &info->dir[PE_DIRECTORY_EXPORT];
    uint64_t at = dir->virtual_address;
    if (dir->size < sizeof *x)
        return BAD(e, "ExportDirectory.Size", at, dir->size);
    if (!rd(r, info, at, x, sizeof *x))
        return bad_read(e, "ExportDirectory", -1, at);
    if (x->number_of_functions > PE_MAX_EXPORTS ||
        (uint64_t)x->address_of_functions + 4ull * x->number_of_functions > info->size_of_image)
        return fail(e, NTK_STATUS_INVALID_IMAGE_FORMAT, "ExportDirectory.NumberOfFunctions", -1,
                    true, at + 0x14, x->number_of_functions);
    if (x->number_of_names > x->number_of_functions ||
        (uint64_t)x->address_of_names + 4ull * x->number_of_names > info->size_of_image ||
        (uint64_t)x->address_of_name_ordinals + 2ull * x->number_of_names > info->size_of_image)
        return fail(e, NTK_STATUS_INVALID_IMAGE_FORMAT, "ExportDirectory.NumberOfNames", -1,
                    true, at + 0x18, x->number_of_names);
    if (x->base > 0xffff || x->base + (uint64_t)x->number_of_functions > 0x10000)
        return fail(e, NTK_STATUS_INVALID_IMAGE_FORMAT, "ExportDirectory.Base", -1, true,
                    at + 0x10, x->base);
    return 0;
}

/* The address of export index i; forwarders (an address inside the export
 * directory) are refused. */
static int export_address(const struct pe_info *info, const struct pe_reader *r,
                          const struct pe_export_directory *x, uint32_t i, uint32_t *rva,
                          struct pe_error *e)
{
    uint64_t at = x->address_of_functions + 4ull * i;
    if (!rd(r, info, at, rva, 4))
        return bad_read(e, "ExportAddressTable", (int)i, at);
    const struct pe_data_directory *dir = &info->dir[PE_DIRECTORY_EXPORT];
    if (*rva >= info->size_of_image)
        return BADI(e, "ExportAddressTable", i, true, at, *rva);
    if (*rva >= dir->virtual_address && *rva - dir->virtual_address < dir->size)
        return BADI(e, "ExportAddressTable (forwarder)", i, true, at, *rva);
    return 0;
}

/* Name i of the name table and its ordinal index. */
static int export_name(const struct pe_info *info, const struct pe_reader *r,
                       const struct pe_export_directory *x, uint32_t i, char *name,
                       uint16_t *index, struct pe_error *e)
{
    uint32_t nrva;
    uint64_t at = x->address_of_names + 4ull * i, oat = x->address_of_name_ordinals + 2ull * i;
    if (!rd(r, info, at, &nrva, 4) || !rd_name(r, info, nrva, name))
        return BADI(e, "ExportNamePointer", i, true, at, nrva);
    if (!rd(r, info, oat, index, 2) || *index >= x->number_of_functions)
        return BADI(e, "ExportOrdinal", i, true, oat, *index);
    return 0;
}

int pe_check_exports(const struct pe_info *info, const struct pe_reader *r, struct pe_error *e)
{
    struct pe_export_directory x;
    char name[PE_NAME_MAX];
    if (info->dir[PE_DIRECTORY_EXPORT].size == 0)
        return 0;
    if (read_export_dir(info, r, &x, e))
        return -1;
    for (uint32_t i = 0; i < x.number_of_names; i++) {
        uint16_t index;
        uint32_t rva;
        if (export_name(info, r, &x, i, name, &index, e) ||
            export_address(info, r, &x, index, &rva, e))
            return -1;
    }
    return 0;
}

static int compare(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int pe_find_export(const struct pe_info *info, const struct pe_reader *r, const char *want,
                   uint16_t ordinal, uint32_t *rva, struct pe_error *e)
{
    struct pe_export_directory x;
    char name[PE_NAME_MAX];
    ntk_status missing = want ? NTK_STATUS_ENTRYPOINT_NOT_FOUND : NTK_STATUS_ORDINAL_NOT_FOUND;
    if (info->dir[PE_DIRECTORY_EXPORT].size == 0)
        return fail(e, missing, want ? want : "ordinal", -1, true, 0, ordinal);
    if (read_export_dir(info, r, &x, e))
        return -1;
    uint32_t index = UINT32_MAX;
    if (want) {
        /* The name table is sorted (the specification says so, and
         * Windows's loader searches it the same way). */
        uint32_t lo = 0, hi = x.number_of_names;
        while (lo < hi && index == UINT32_MAX) {
            uint32_t mid = lo + (hi - lo) / 2;
            uint16_t k;
            if (export_name(info, r, &x, mid, name, &k, e))
                return -1;
            int c = compare(want, name);
            if (c == 0)
                index = k;
            else if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    } else if (ordinal >= x.base && ordinal - x.base < x.number_of_functions) {
        index = ordinal - x.base;
    }
    if (index == UINT32_MAX)
        return fail(e, missing, want ? want : "ordinal", -1, true, 0, ordinal);
    if (export_address(info, r, &x, index, rva, e))
        return -1;
    if (*rva == 0) /* a hole in the address table */
        return fail(e, missing, want ? want : "ordinal", -1, true, 0, ordinal);
    return 0;
}

/* ---- a whole file in memory ------------------------------------------------ */

bool pe_flat_read(void *ctx, uint32_t rva, void *dst, uint32_t len)
{
    const struct pe_flat *f = ctx;
    uint8_t *d = dst;
    while (len) {
        uint32_t page = rva & ~0xfffu, off, n, in = rva - page;
        pe_page_source(f->info, page, &off, &n);
        uint32_t chunk = 0x1000 - in < len ? 0x1000 - in : len;
        for (uint32_t k = 0; k < chunk; k++) {
            uint64_t src = (uint64_t)off + in + k;
            d[k] = in + k < n && src < f->size ? f->bytes[src] : 0;
        }
        d += chunk, rva += chunk, len -= chunk;
    }
    return true;
}

int pe_check_file(const uint8_t *bytes, uint64_t size, struct pe_info *info, struct pe_error *e)
{
    if (pe_parse_headers(bytes, size < PE_HEADER_BYTES ? size : PE_HEADER_BYTES, size, info, e))
        return -1;
    struct pe_flat flat = { bytes, size, info };
    struct pe_reader r = { &flat, pe_flat_read };
    if (pe_walk_relocations(info, &r, NULL, NULL, e) || pe_walk_imports(info, &r, NULL, NULL, e))
        return -1;
    return pe_check_exports(info, &r, e);
}
