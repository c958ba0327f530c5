/*
 * shared/nt/status.h - the NTSTATUS values the kernel returns, with the
 * values Windows uses (ntstatus.h).
 *
 * Every name carries the NTK_ prefix so this header can be included next to
 * mingw-w64's <windows.h>/<ntstatus.h>, which define the unprefixed names:
 * kernel, tests and the next issue's ntdll share one set of numbers without
 * a clash.  Freestanding: <stdint.h> only.
 */
#ifndef SHARED_NT_STATUS_H
#define SHARED_NT_STATUS_H

#include <stdint.h>

typedef int32_t ntk_status;

#define NTK_SUCCESS(s) ((ntk_status)(s) >= 0)

#define NTK_STATUS_SUCCESS                 ((ntk_status)0x00000000)
#define NTK_STATUS_WAIT_0                  ((ntk_status)0x00000000)
#define NTK_STATUS_TIMEOUT                 ((ntk_status)0x00000102)
#define NTK_STATUS_PENDING                 ((ntk_status)0x00000103)
#define NTK_STATUS_NO_YIELD_PERFORMED      ((ntk_status)0x40000024)
#define NTK_STATUS_GUARD_PAGE_VIOLATION    ((ntk_status)0x80000001)
#define NTK_STATUS_DATATYPE_MISALIGNMENT   ((ntk_status)0x80000002)
#define NTK_STATUS_BREAKPOINT              ((ntk_status)0x80000003)
#define NTK_STATUS_SINGLE_STEP             ((ntk_status)0x80000004)
#define NTK_STATUS_NO_MORE_ENTRIES         ((ntk_status)0x8000001A)
#define NTK_STATUS_UNSUCCESSFUL            ((ntk_status)0xC0000001)
#define NTK_STATUS_NOT_IMPLEMENTED         ((ntk_status)0xC0000002)
#define NTK_STATUS_INVALID_INFO_CLASS      ((ntk_status)0xC0000003)
#define NTK_STATUS_INFO_LENGTH_MISMATCH    ((ntk_status)0xC0000004)
#define NTK_STATUS_ACCESS_VIOLATION        ((ntk_status)0xC0000005)
#define NTK_STATUS_INVALID_HANDLE          ((ntk_status)0xC0000008)
#define NTK_STATUS_INVALID_PARAMETER       ((ntk_status)0xC000000D)
#define NTK_STATUS_NO_SUCH_FILE            ((ntk_status)0xC000000F)
#define NTK_STATUS_INVALID_SYSTEM_SERVICE  ((ntk_status)0xC000001C)
#define NTK_STATUS_ILLEGAL_INSTRUCTION     ((ntk_status)0xC000001D)
#define NTK_STATUS_NO_MEMORY               ((ntk_status)0xC0000017)
#define NTK_STATUS_CONFLICTING_ADDRESSES   ((ntk_status)0xC0000018)
#define NTK_STATUS_UNABLE_TO_FREE_VM       ((ntk_status)0xC000001A)
#define NTK_STATUS_FREE_VM_NOT_AT_BASE     ((ntk_status)0xC000009F)
#define NTK_STATUS_MEMORY_NOT_ALLOCATED    ((ntk_status)0xC00000A0)
#define NTK_STATUS_NONCONTINUABLE_EXCEPTION ((ntk_status)0xC0000025)
#define NTK_STATUS_INVALID_PAGE_PROTECTION ((ntk_status)0xC0000045)
#define NTK_STATUS_OBJECT_NAME_NOT_FOUND   ((ntk_status)0xC0000034)
#define NTK_STATUS_INVALID_IMAGE_FORMAT    ((ntk_status)0xC000007B)
#define NTK_STATUS_INSUFFICIENT_RESOURCES  ((ntk_status)0xC000009A)
#define NTK_STATUS_ARRAY_BOUNDS_EXCEEDED   ((ntk_status)0xC000008C)
#define NTK_STATUS_INTEGER_DIVIDE_BY_ZERO  ((ntk_status)0xC0000094)
#define NTK_STATUS_PRIVILEGED_INSTRUCTION  ((ntk_status)0xC0000096)
#define NTK_STATUS_STACK_OVERFLOW          ((ntk_status)0xC00000FD)
#define NTK_STATUS_INVALID_PARAMETER_1     ((ntk_status)0xC00000EF)
#define NTK_STATUS_INVALID_PARAMETER_2     ((ntk_status)0xC00000F0)
#define NTK_STATUS_INVALID_PARAMETER_3     ((ntk_status)0xC00000F1)
#define NTK_STATUS_INVALID_PARAMETER_4     ((ntk_status)0xC00000F2)
#define NTK_STATUS_INVALID_PARAMETER_5     ((ntk_status)0xC00000F3)
#define NTK_STATUS_INVALID_PARAMETER_6     ((ntk_status)0xC00000F4)
#define NTK_STATUS_COMMITMENT_LIMIT        ((ntk_status)0xC000012D)
#define NTK_STATUS_PROCESS_IS_TERMINATING  ((ntk_status)0xC000010A)
#define NTK_STATUS_BUFFER_TOO_SMALL        ((ntk_status)0xC0000023)
#define NTK_STATUS_NOT_COMMITTED           ((ntk_status)0xC000002D)
#define NTK_STATUS_INVALID_ADDRESS         ((ntk_status)0xC0000141)
#define NTK_STATUS_IMAGE_NOT_AT_BASE       ((ntk_status)0x40000003) /* mapped, relocated */
#define NTK_STATUS_IN_PAGE_ERROR           ((ntk_status)0xC0000006)
#define NTK_STATUS_DEVICE_DATA_ERROR       ((ntk_status)0xC000009C) /* a failed disk read */
#define NTK_STATUS_BAD_WORKING_SET_LIMIT   ((ntk_status)0xC000004C) /* working-set sizes refused */
#define NTK_STATUS_UNABLE_TO_DELETE_SECTION ((ntk_status)0xC000001B)
#define NTK_STATUS_INVALID_IMAGE_NOT_MZ    ((ntk_status)0xC000012F)
#define NTK_STATUS_DLL_NOT_FOUND           ((ntk_status)0xC0000135)
#define NTK_STATUS_ORDINAL_NOT_FOUND       ((ntk_status)0xC0000138)
#define NTK_STATUS_ENTRYPOINT_NOT_FOUND    ((ntk_status)0xC0000139)
#define NTK_STATUS_ILLEGAL_DLL_RELOCATION  ((ntk_status)0xC0000269)

/* Files, sections, views, privileges (docs/sections.md). */
#define NTK_STATUS_NOT_ALL_ASSIGNED        ((ntk_status)0x00000106) /* success: some privileges not held */
#define NTK_STATUS_OBJECT_NAME_EXISTS      ((ntk_status)0x40000000) /* success: opened an existing object */
#define NTK_STATUS_END_OF_FILE             ((ntk_status)0xC0000011)
#define NTK_STATUS_NOT_MAPPED_VIEW         ((ntk_status)0xC0000019)
#define NTK_STATUS_INVALID_VIEW_SIZE       ((ntk_status)0xC000001F)
#define NTK_STATUS_INVALID_FILE_FOR_SECTION ((ntk_status)0xC0000020)
#define NTK_STATUS_ACCESS_DENIED           ((ntk_status)0xC0000022)
#define NTK_STATUS_OBJECT_TYPE_MISMATCH    ((ntk_status)0xC0000024)
#define NTK_STATUS_OBJECT_NAME_INVALID     ((ntk_status)0xC0000033)
#define NTK_STATUS_OBJECT_NAME_COLLISION   ((ntk_status)0xC0000035)
#define NTK_STATUS_OBJECT_PATH_NOT_FOUND   ((ntk_status)0xC000003A)
#define NTK_STATUS_OBJECT_PATH_SYNTAX_BAD  ((ntk_status)0xC000003B)
#define NTK_STATUS_SECTION_TOO_BIG         ((ntk_status)0xC0000040)
#define NTK_STATUS_SHARING_VIOLATION       ((ntk_status)0xC0000043)
#define NTK_STATUS_SECTION_PROTECTION      ((ntk_status)0xC000004E)
#define NTK_STATUS_PRIVILEGE_NOT_HELD      ((ntk_status)0xC0000061)
#define NTK_STATUS_DISK_FULL               ((ntk_status)0xC000007F)
#define NTK_STATUS_NOT_MAPPED_DATA         ((ntk_status)0xC0000088)
#define NTK_STATUS_MEDIA_WRITE_PROTECTED   ((ntk_status)0xC00000A2)
#define NTK_STATUS_NOT_SUPPORTED           ((ntk_status)0xC00000BB)
#define NTK_STATUS_INVALID_PARAMETER_7     ((ntk_status)0xC00000F5)
#define NTK_STATUS_INVALID_PARAMETER_8     ((ntk_status)0xC00000F6)
#define NTK_STATUS_INVALID_PARAMETER_9     ((ntk_status)0xC00000F7)
#define NTK_STATUS_MAPPED_FILE_SIZE_ZERO   ((ntk_status)0xC000011E)
#define NTK_STATUS_MAPPED_ALIGNMENT        ((ntk_status)0xC0000220)

#endif /* SHARED_NT_STATUS_H */
