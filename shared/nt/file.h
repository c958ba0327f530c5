/*
 * shared/nt/file.h - the file services' ABI (NtCreateFile, NtOpenFile,
 * NtReadFile, NtWriteFile, NtQueryInformationFile, NtSetInformationFile):
 * access rights, share modes, create dispositions, IO_STATUS_BLOCK and the
 * information classes this kernel answers, with Windows's values and x64
 * layouts (winternl.h, wdm.h) under the NTK_ prefix.  The files are those
 * of the data volume (docs/sections.md, "Files and their services").  Freestanding.
 */
#ifndef SHARED_NT_FILE_H
#define SHARED_NT_FILE_H

#include <stdint.h>

#include "shared/nt/object.h"

/* File access rights. */
#define NTK_FILE_READ_DATA        0x0001u
#define NTK_FILE_WRITE_DATA       0x0002u
#define NTK_FILE_APPEND_DATA      0x0004u
#define NTK_FILE_READ_EA          0x0008u
#define NTK_FILE_WRITE_EA         0x0010u
#define NTK_FILE_EXECUTE          0x0020u
#define NTK_FILE_READ_ATTRIBUTES  0x0080u
#define NTK_FILE_WRITE_ATTRIBUTES 0x0100u
#define NTK_FILE_ALL_ACCESS       0x001F01FFu

/* Share modes (the FILE_SHARE_* of CreateFile). */
#define NTK_FILE_SHARE_READ       0x1u
#define NTK_FILE_SHARE_WRITE      0x2u
#define NTK_FILE_SHARE_DELETE     0x4u

/* NtCreateFile's CreateDisposition, and what IoStatusBlock.Information
 * says happened. */
#define NTK_FILE_SUPERSEDE        0
#define NTK_FILE_OPEN             1
#define NTK_FILE_CREATE           2
#define NTK_FILE_OPEN_IF          3
#define NTK_FILE_OVERWRITE        4
#define NTK_FILE_OVERWRITE_IF     5
#define NTK_FILE_OPENED           1

/* NtReadFile / NtWriteFile ByteOffset values meaning "no offset". */
#define NTK_FILE_USE_FILE_POINTER_POSITION 0xFFFFFFFFFFFFFFFEull
#define NTK_FILE_WRITE_TO_END_OF_FILE      0xFFFFFFFFFFFFFFFFull

/* IO_STATUS_BLOCK (x64). */
struct ntk_io_status_block {
    int32_t status;             /* +0x00 (a union with a pointer) */
    uint32_t pad;
    uint64_t information;       /* +0x08 bytes moved, or NTK_FILE_OPENED */
};
_Static_assert(sizeof(struct ntk_io_status_block) == 16, "IO_STATUS_BLOCK");

/* Information classes. */
#define NTK_FILE_STANDARD_INFORMATION 5
#define NTK_FILE_POSITION_INFORMATION 14

struct ntk_file_standard_information {
    int64_t allocation_size;    /* +0x00 the size rounded up to a page */
    int64_t end_of_file;        /* +0x08 the size */
    uint32_t number_of_links;   /* +0x10 1 */
    uint8_t delete_pending;     /* +0x14 0 */
    uint8_t directory;          /* +0x15 0 */
    uint16_t pad;
};
_Static_assert(sizeof(struct ntk_file_standard_information) == 24, "FILE_STANDARD_INFORMATION");

struct ntk_file_position_information {
    int64_t current_byte_offset;
};

#endif /* SHARED_NT_FILE_H */
