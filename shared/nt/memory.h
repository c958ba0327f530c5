/*
 * shared/nt/memory.h - the virtual-memory ABI: page protections, allocation
 * types, region states and types, and MEMORY_BASIC_INFORMATION, with the
 * values and the layout Windows uses (winnt.h), under an NTK_ prefix so the
 * header coexists with mingw-w64's <windows.h> (see docs/kernel.md, "Shared
 * headers").  Freestanding: <stdint.h> only.
 */
#ifndef SHARED_NT_MEMORY_H
#define SHARED_NT_MEMORY_H

#include <stdint.h>

/* Page protections (Memory Protection Constants). */
#define NTK_PAGE_NOACCESS          0x01u
#define NTK_PAGE_READONLY          0x02u
#define NTK_PAGE_READWRITE         0x04u
#define NTK_PAGE_WRITECOPY         0x08u
#define NTK_PAGE_EXECUTE           0x10u
#define NTK_PAGE_EXECUTE_READ      0x20u
#define NTK_PAGE_EXECUTE_READWRITE 0x40u
#define NTK_PAGE_EXECUTE_WRITECOPY 0x80u
#define NTK_PAGE_GUARD             0x100u
#define NTK_PAGE_NOCACHE           0x200u
#define NTK_PAGE_WRITECOMBINE      0x400u

/* Allocation and free types. */
#define NTK_MEM_COMMIT     0x00001000u
#define NTK_MEM_RESERVE    0x00002000u
#define NTK_MEM_DECOMMIT   0x00004000u
#define NTK_MEM_RELEASE    0x00008000u
#define NTK_MEM_FREE       0x00010000u
#define NTK_MEM_PRIVATE    0x00020000u
#define NTK_MEM_MAPPED     0x00040000u
#define NTK_MEM_RESET      0x00080000u
#define NTK_MEM_TOP_DOWN   0x00100000u
#define NTK_MEM_WRITE_WATCH 0x00200000u
#define NTK_MEM_PHYSICAL   0x00400000u
#define NTK_MEM_RESET_UNDO 0x01000000u
#define NTK_MEM_LARGE_PAGES 0x20000000u
#define NTK_MEM_IMAGE      0x01000000u /* a region type, same value as MEM_RESET_UNDO */

/* The address space (64-bit processes; shared/bootinfo.h reserves the rest). */
#define NTK_PAGE_SIZE               0x1000ull
#define NTK_ALLOCATION_GRANULARITY  0x10000ull
#define NTK_LOWEST_USER_ADDRESS     0x10000ull          /* below: the null-pointer partition */
#define NTK_HIGHEST_USER_ADDRESS    0x7ffffffeffffull   /* last byte a program may use */
#define NTK_USER_PROBE_ADDRESS      0x7fffffff0000ull   /* first byte past user space */

/* NtQueryVirtualMemory information classes. */
#define NTK_MEMORY_BASIC_INFORMATION_CLASS 0

/* MEMORY_BASIC_INFORMATION (64-bit layout). */
struct ntk_memory_basic_information {
    uint64_t base_address;       /* 0x00 BaseAddress */
    uint64_t allocation_base;    /* 0x08 AllocationBase */
    uint32_t allocation_protect; /* 0x10 AllocationProtect */
    uint16_t partition_id;       /* 0x14 PartitionId */
    uint16_t reserved0;
    uint64_t region_size;        /* 0x18 RegionSize */
    uint32_t state;              /* 0x20 State */
    uint32_t protect;            /* 0x24 Protect */
    uint32_t type;               /* 0x28 Type */
    uint32_t reserved1;
};
_Static_assert(sizeof(struct ntk_memory_basic_information) == 0x30, "MEMORY_BASIC_INFORMATION");

/* Sections (NtCreateSection, NtMapViewOfSection; docs/sections.md, "Sections"
 * and "Views and write-back"): access rights, allocation attributes,
 * inherit dispositions. */
#define NTK_SECTION_QUERY        0x0001u
#define NTK_SECTION_MAP_WRITE    0x0002u
#define NTK_SECTION_MAP_READ     0x0004u
#define NTK_SECTION_MAP_EXECUTE  0x0008u
#define NTK_SECTION_EXTEND_SIZE  0x0010u
#define NTK_SECTION_ALL_ACCESS   0x000F001Fu
#define NTK_SEC_FILE             0x00800000u
#define NTK_SEC_IMAGE            0x01000000u
#define NTK_SEC_RESERVE          0x04000000u
#define NTK_SEC_COMMIT           0x08000000u
#define NTK_SEC_NOCACHE          0x10000000u
#define NTK_SEC_LARGE_PAGES      0x80000000u
#define NTK_VIEW_SHARE           1
#define NTK_VIEW_UNMAP           2
#define NTK_SECTION_MAX_BYTES    (512ull << 20) /* prototype entries: 256 x 512 pages */

/* Large pages (VirtualAlloc MEM_LARGE_PAGES; VirtualAlloc2 for 1 GB ones). */
#define NTK_LARGE_PAGE_SIZE      0x200000ull
#define NTK_HUGE_PAGE_SIZE       0x40000000ull

/* MEM_EXTENDED_PARAMETER (NtAllocateVirtualMemoryEx, VirtualAlloc2): this
 * kernel knows the attribute-flags type and its large- and huge-page
 * flags. */
struct ntk_mem_extended_parameter {
    uint64_t type;               /* low 8 bits: NTK_MEM_EXTENDED_PARAMETER_*, the rest 0 */
    uint64_t value;              /* ULong64 */
};
_Static_assert(sizeof(struct ntk_mem_extended_parameter) == 16, "MEM_EXTENDED_PARAMETER");
#define NTK_MEM_EXTENDED_PARAMETER_ATTRIBUTE_FLAGS 5
#define NTK_MEM_EXTENDED_PARAMETER_NONPAGED        0x02u
#define NTK_MEM_EXTENDED_PARAMETER_NONPAGED_LARGE  0x08u
#define NTK_MEM_EXTENDED_PARAMETER_NONPAGED_HUGE   0x10u
#define NTK_MEM_EXTENDED_PARAMETERS_MAX            8

#endif /* SHARED_NT_MEMORY_H */
