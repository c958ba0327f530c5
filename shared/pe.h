/*
 * shared/pe.h - the PE32+ (x64) image format, as the "PE Format"
 * specification (Microsoft, learn.microsoft.com/windows/win32/debug/pe-format)
 * lays it out: DOS header, NT signature, COFF file header, the PE32+
 * optional header with its data directories, the section table, base
 * relocations, import descriptors and the export directory.
 *
 * Freestanding (<stdint.h> only) and prefixed pe_/PE_ so it coexists with
 * mingw-w64's <windows.h>, which defines the IMAGE_* names itself.  The
 * kernel's image loader (guest/kernel/pe.c), the host tests and the user side
 * use it; the layouts are the specification's (static asserts check sizes).
 */
#ifndef SHARED_PE_H
#define SHARED_PE_H

#include <stdint.h>

/* ---- DOS header ---------------------------------------------------------- */
#define PE_DOS_MAGIC 0x5a4du           /* "MZ" */
struct pe_dos_header {
    uint16_t e_magic;                   /* 0x00 "MZ" */
    uint16_t e_cblp, e_cp, e_crlc, e_cparhdr, e_minalloc, e_maxalloc, e_ss, e_sp, e_csum;
    uint16_t e_ip, e_cs, e_lfarlc, e_ovno, e_res[4], e_oemid, e_oeminfo, e_res2[10];
    uint32_t e_lfanew;                  /* 0x3c file offset of the NT headers */
};
_Static_assert(sizeof(struct pe_dos_header) == 64, "IMAGE_DOS_HEADER");

/* ---- NT headers ---------------------------------------------------------- */
#define PE_NT_SIGNATURE 0x00004550u    /* "PE\0\0" */

struct pe_file_header {
    uint16_t machine;                   /* +0x00 */
    uint16_t number_of_sections;        /* +0x02 */
    uint32_t time_date_stamp;           /* +0x04 */
    uint32_t pointer_to_symbol_table;   /* +0x08 */
    uint32_t number_of_symbols;         /* +0x0c */
    uint16_t size_of_optional_header;   /* +0x10 */
    uint16_t characteristics;           /* +0x12 */
};
_Static_assert(sizeof(struct pe_file_header) == 20, "IMAGE_FILE_HEADER");

#define PE_MACHINE_AMD64 0x8664u

/* File characteristics. */
#define PE_FILE_RELOCS_STRIPPED     0x0001u
#define PE_FILE_EXECUTABLE_IMAGE    0x0002u
#define PE_FILE_LARGE_ADDRESS_AWARE 0x0020u
#define PE_FILE_DLL                 0x2000u

struct pe_data_directory {
    uint32_t virtual_address;
    uint32_t size;
};

#define PE_NUMBEROF_DIRECTORY_ENTRIES 16u
#define PE_DIRECTORY_EXPORT    0u
#define PE_DIRECTORY_IMPORT    1u
#define PE_DIRECTORY_RESOURCE  2u
#define PE_DIRECTORY_EXCEPTION 3u
#define PE_DIRECTORY_SECURITY  4u      /* a file offset, not an RVA */
#define PE_DIRECTORY_BASERELOC 5u
#define PE_DIRECTORY_DEBUG     6u
#define PE_DIRECTORY_TLS       9u
#define PE_DIRECTORY_IAT       12u

#define PE_OPTIONAL_MAGIC_PE32PLUS 0x20bu
struct pe_optional_header64 {
    uint16_t magic;                     /* +0x00 0x20b */
    uint8_t major_linker_version, minor_linker_version;
    uint32_t size_of_code;              /* +0x04 */
    uint32_t size_of_initialized_data;  /* +0x08 */
    uint32_t size_of_uninitialized_data; /* +0x0c */
    uint32_t address_of_entry_point;    /* +0x10 */
    uint32_t base_of_code;              /* +0x14 */
    uint64_t image_base;                /* +0x18 */
    uint32_t section_alignment;         /* +0x20 */
    uint32_t file_alignment;            /* +0x24 */
    uint16_t major_os_version, minor_os_version;
    uint16_t major_image_version, minor_image_version;
    uint16_t major_subsystem_version, minor_subsystem_version;
    uint32_t win32_version_value;       /* +0x34 */
    uint32_t size_of_image;             /* +0x38 */
    uint32_t size_of_headers;           /* +0x3c */
    uint32_t check_sum;                 /* +0x40 */
    uint16_t subsystem;                 /* +0x44 */
    uint16_t dll_characteristics;       /* +0x46 */
    uint64_t size_of_stack_reserve;     /* +0x48 */
    uint64_t size_of_stack_commit;      /* +0x50 */
    uint64_t size_of_heap_reserve;      /* +0x58 */
    uint64_t size_of_heap_commit;       /* +0x60 */
    uint32_t loader_flags;              /* +0x68 */
    uint32_t number_of_rva_and_sizes;   /* +0x6c */
    struct pe_data_directory data_directory[PE_NUMBEROF_DIRECTORY_ENTRIES]; /* +0x70 */
};
_Static_assert(sizeof(struct pe_optional_header64) == 240, "IMAGE_OPTIONAL_HEADER64");

/* Subsystems. */
#define PE_SUBSYSTEM_NATIVE      1u
#define PE_SUBSYSTEM_WINDOWS_GUI 2u
#define PE_SUBSYSTEM_WINDOWS_CUI 3u

/* DLL characteristics. */
#define PE_DLLCHAR_HIGH_ENTROPY_VA 0x0020u
#define PE_DLLCHAR_DYNAMIC_BASE    0x0040u
#define PE_DLLCHAR_FORCE_INTEGRITY 0x0080u
#define PE_DLLCHAR_NX_COMPAT       0x0100u
#define PE_DLLCHAR_NO_SEH          0x0400u

struct pe_nt_headers64 {
    uint32_t signature;                 /* +0x00 "PE\0\0" */
    struct pe_file_header file_header;  /* +0x04 */
    struct pe_optional_header64 optional_header; /* +0x18 */
};
_Static_assert(sizeof(struct pe_nt_headers64) == 264, "IMAGE_NT_HEADERS64");
#define PE_OPTIONAL_OFFSET 0x18u        /* of the optional header in the NT headers */

/* ---- section table ------------------------------------------------------- */
#define PE_SIZEOF_SHORT_NAME 8u
struct pe_section_header {
    uint8_t name[PE_SIZEOF_SHORT_NAME]; /* +0x00 */
    uint32_t virtual_size;              /* +0x08 */
    uint32_t virtual_address;           /* +0x0c */
    uint32_t size_of_raw_data;          /* +0x10 */
    uint32_t pointer_to_raw_data;       /* +0x14 */
    uint32_t pointer_to_relocations;    /* +0x18 */
    uint32_t pointer_to_linenumbers;    /* +0x1c */
    uint16_t number_of_relocations;     /* +0x20 */
    uint16_t number_of_linenumbers;     /* +0x22 */
    uint32_t characteristics;           /* +0x24 */
};
_Static_assert(sizeof(struct pe_section_header) == 40, "IMAGE_SECTION_HEADER");

#define PE_SCN_CNT_CODE               0x00000020u
#define PE_SCN_CNT_INITIALIZED_DATA   0x00000040u
#define PE_SCN_CNT_UNINITIALIZED_DATA 0x00000080u
#define PE_SCN_MEM_DISCARDABLE        0x02000000u
#define PE_SCN_MEM_SHARED             0x10000000u
#define PE_SCN_MEM_EXECUTE            0x20000000u
#define PE_SCN_MEM_READ               0x40000000u
#define PE_SCN_MEM_WRITE              0x80000000u

/* ---- base relocations ---------------------------------------------------- */
struct pe_base_relocation {
    uint32_t virtual_address;           /* the 4 KB page the block fixes */
    uint32_t size_of_block;             /* header + 2-byte entries */
};
#define PE_REL_BASED_ABSOLUTE 0u        /* padding: nothing to do */
#define PE_REL_BASED_DIR64    10u       /* add the 64-bit delta */

/* ---- imports ------------------------------------------------------------- */
struct pe_import_descriptor {
    uint32_t original_first_thunk;      /* +0x00 import lookup table (RVA) */
    uint32_t time_date_stamp;           /* +0x04 */
    uint32_t forwarder_chain;           /* +0x08 */
    uint32_t name;                      /* +0x0c RVA of the DLL's name */
    uint32_t first_thunk;               /* +0x10 import address table (RVA) */
};
_Static_assert(sizeof(struct pe_import_descriptor) == 20, "IMAGE_IMPORT_DESCRIPTOR");
#define PE_ORDINAL_FLAG64 0x8000000000000000ull /* lookup entry: import by ordinal */
/* A hint/name entry: uint16_t hint, then the NUL-terminated name. */

/* ---- exports ------------------------------------------------------------- */
struct pe_export_directory {
    uint32_t characteristics;           /* +0x00 */
    uint32_t time_date_stamp;           /* +0x04 */
    uint16_t major_version, minor_version;
    uint32_t name;                      /* +0x0c RVA of the DLL's name */
    uint32_t base;                      /* +0x10 ordinal of the first address */
    uint32_t number_of_functions;       /* +0x14 */
    uint32_t number_of_names;           /* +0x18 */
    uint32_t address_of_functions;      /* +0x1c RVA of the export address table */
    uint32_t address_of_names;          /* +0x20 RVA of the name pointer table */
    uint32_t address_of_name_ordinals;  /* +0x24 RVA of the ordinal table */
};
_Static_assert(sizeof(struct pe_export_directory) == 40, "IMAGE_EXPORT_DIRECTORY");

#endif /* SHARED_PE_H */
