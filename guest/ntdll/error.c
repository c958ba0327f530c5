/*
 * error.c - NTSTATUS to Win32 error codes (RtlNtStatusToDosError) and the
 * thread's last-error value.
 *
 * The table is Windows's mapping, as Microsoft published it (Knowledge Base
 * article 113996, "Mapping NT Status Error Codes to Win32 Error Codes"), for
 * every status this kernel returns or raises and the ones its image loader
 * reports - some of the pairs are surprising and kept as Windows has them:
 * STATUS_INVALID_ADDRESS (a transport status) is ERROR_UNEXP_NET_ERR, and
 * the exception codes map to themselves.  A status not in the table gives
 * ERROR_MR_MID_NOT_FOUND, as Windows documents (so do three this kernel
 * returns that Windows does not map: STATUS_NO_YIELD_PERFORMED,
 * STATUS_IMAGE_NOT_AT_BASE, STATUS_ILLEGAL_DLL_RELOCATION); a status with the customer
 * bit (0x20000000) is returned unchanged, and 0xD... is read as 0xC...
 * (both as Windows does).  Sorted by status: the lookup is a binary search.
 */
#include "guest/ntdll/ntdll.h"

/* TEB+0x1250 (x64): LastStatusValue, the status RtlNtStatusToDosError saw last. */
#define TEB_LAST_STATUS 0x1250

static const struct {
    ULONG status;
    ULONG error;
} status_map[] = {
    { 0x00000102, ERROR_TIMEOUT },                /* STATUS_TIMEOUT */
    { 0x00000103, ERROR_IO_PENDING },             /* STATUS_PENDING */
    { 0x00000106, ERROR_NOT_ALL_ASSIGNED },       /* STATUS_NOT_ALL_ASSIGNED */
    { 0x40000000, ERROR_ALREADY_EXISTS },         /* STATUS_OBJECT_NAME_EXISTS */
    { 0x80000001, 0x80000001 },                   /* STATUS_GUARD_PAGE_VIOLATION (itself) */
    { 0x80000002, ERROR_NOACCESS },               /* STATUS_DATATYPE_MISALIGNMENT */
    { 0x80000003, 0x80000003 },                   /* STATUS_BREAKPOINT (itself) */
    { 0x80000004, 0x80000004 },                   /* STATUS_SINGLE_STEP (itself) */
    { 0x8000001A, ERROR_NO_MORE_ITEMS },          /* STATUS_NO_MORE_ENTRIES */
    { 0xC0000001, ERROR_GEN_FAILURE },            /* STATUS_UNSUCCESSFUL */
    { 0xC0000002, ERROR_INVALID_FUNCTION },       /* STATUS_NOT_IMPLEMENTED */
    { 0xC0000003, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_INFO_CLASS */
    { 0xC0000004, ERROR_BAD_LENGTH },             /* STATUS_INFO_LENGTH_MISMATCH */
    { 0xC0000005, ERROR_NOACCESS },               /* STATUS_ACCESS_VIOLATION */
    { 0xC0000006, ERROR_SWAPERROR },              /* STATUS_IN_PAGE_ERROR */
    { 0xC0000008, ERROR_INVALID_HANDLE },         /* STATUS_INVALID_HANDLE */
    { 0xC000000D, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER */
    { 0xC000000F, ERROR_FILE_NOT_FOUND },         /* STATUS_NO_SUCH_FILE */
    { 0xC0000011, ERROR_HANDLE_EOF },             /* STATUS_END_OF_FILE */
    { 0xC0000017, ERROR_NOT_ENOUGH_MEMORY },      /* STATUS_NO_MEMORY */
    { 0xC0000018, ERROR_INVALID_ADDRESS },        /* STATUS_CONFLICTING_ADDRESSES */
    { 0xC0000019, ERROR_INVALID_ADDRESS },        /* STATUS_NOT_MAPPED_VIEW */
    { 0xC000001A, ERROR_INVALID_PARAMETER },      /* STATUS_UNABLE_TO_FREE_VM */
    { 0xC000001B, ERROR_INVALID_PARAMETER },      /* STATUS_UNABLE_TO_DELETE_SECTION */
    { 0xC000001C, ERROR_INVALID_FUNCTION },       /* STATUS_INVALID_SYSTEM_SERVICE */
    { 0xC000001D, ERROR_INVALID_FUNCTION },       /* STATUS_ILLEGAL_INSTRUCTION */
    { 0xC000001F, ERROR_ACCESS_DENIED },          /* STATUS_INVALID_VIEW_SIZE */
    { 0xC0000020, ERROR_BAD_EXE_FORMAT },         /* STATUS_INVALID_FILE_FOR_SECTION */
    { 0xC0000021, ERROR_ACCESS_DENIED },          /* STATUS_ALREADY_COMMITTED */
    { 0xC0000022, ERROR_ACCESS_DENIED },          /* STATUS_ACCESS_DENIED */
    { 0xC0000023, ERROR_INSUFFICIENT_BUFFER },    /* STATUS_BUFFER_TOO_SMALL */
    { 0xC0000024, ERROR_INVALID_HANDLE },         /* STATUS_OBJECT_TYPE_MISMATCH */
    { 0xC0000025, 0xC0000025 },                   /* STATUS_NONCONTINUABLE_EXCEPTION (itself) */
    { 0xC0000026, 0xC0000026 },                   /* STATUS_INVALID_DISPOSITION (itself) */
    { 0xC000002D, ERROR_INVALID_ADDRESS },        /* STATUS_NOT_COMMITTED */
    { 0xC0000030, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_MIX */
    { 0xC0000033, ERROR_INVALID_NAME },           /* STATUS_OBJECT_NAME_INVALID */
    { 0xC0000034, ERROR_FILE_NOT_FOUND },         /* STATUS_OBJECT_NAME_NOT_FOUND */
    { 0xC0000035, ERROR_ALREADY_EXISTS },         /* STATUS_OBJECT_NAME_COLLISION */
    { 0xC000003A, ERROR_PATH_NOT_FOUND },         /* STATUS_OBJECT_PATH_NOT_FOUND */
    { 0xC000003B, ERROR_BAD_PATHNAME },           /* STATUS_OBJECT_PATH_SYNTAX_BAD */
    { 0xC0000040, ERROR_NOT_ENOUGH_MEMORY },      /* STATUS_SECTION_TOO_BIG */
    { 0xC0000043, ERROR_SHARING_VIOLATION },      /* STATUS_SHARING_VIOLATION */
    { 0xC0000045, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PAGE_PROTECTION */
    { 0xC000004C, ERROR_INVALID_PARAMETER },      /* STATUS_BAD_WORKING_SET_LIMIT */
    { 0xC000004E, ERROR_INVALID_PARAMETER },      /* STATUS_SECTION_PROTECTION */
    { 0xC0000061, ERROR_PRIVILEGE_NOT_HELD },     /* STATUS_PRIVILEGE_NOT_HELD */
    { 0xC000007A, ERROR_PROC_NOT_FOUND },         /* STATUS_PROCEDURE_NOT_FOUND */
    { 0xC000007B, ERROR_BAD_EXE_FORMAT },         /* STATUS_INVALID_IMAGE_FORMAT */
    { 0xC000007F, ERROR_DISK_FULL },              /* STATUS_DISK_FULL */
    { 0xC0000088, ERROR_INVALID_ADDRESS },        /* STATUS_NOT_MAPPED_DATA */
    { 0xC000008C, 0xC000008C },                   /* STATUS_ARRAY_BOUNDS_EXCEEDED (itself) */
    { 0xC000008D, 0xC000008D },                   /* STATUS_FLOAT_DENORMAL_OPERAND (itself) */
    { 0xC000008E, 0xC000008E },                   /* STATUS_FLOAT_DIVIDE_BY_ZERO (itself) */
    { 0xC000008F, 0xC000008F },                   /* STATUS_FLOAT_INEXACT_RESULT (itself) */
    { 0xC0000090, 0xC0000090 },                   /* STATUS_FLOAT_INVALID_OPERATION (itself) */
    { 0xC0000091, 0xC0000091 },                   /* STATUS_FLOAT_OVERFLOW (itself) */
    { 0xC0000092, 0xC0000092 },                   /* STATUS_FLOAT_STACK_CHECK (itself) */
    { 0xC0000093, 0xC0000093 },                   /* STATUS_FLOAT_UNDERFLOW (itself) */
    { 0xC0000094, 0xC0000094 },                   /* STATUS_INTEGER_DIVIDE_BY_ZERO (itself) */
    { 0xC0000095, ERROR_ARITHMETIC_OVERFLOW },    /* STATUS_INTEGER_OVERFLOW */
    { 0xC0000096, 0xC0000096 },                   /* STATUS_PRIVILEGED_INSTRUCTION (itself) */
    { 0xC000009A, ERROR_NO_SYSTEM_RESOURCES },    /* STATUS_INSUFFICIENT_RESOURCES */
    { 0xC000009C, ERROR_CRC },                    /* STATUS_DEVICE_DATA_ERROR */
    { 0xC000009F, ERROR_INVALID_ADDRESS },        /* STATUS_FREE_VM_NOT_AT_BASE */
    { 0xC00000A0, ERROR_INVALID_ADDRESS },        /* STATUS_MEMORY_NOT_ALLOCATED */
    { 0xC00000A2, ERROR_WRITE_PROTECT },          /* STATUS_MEDIA_WRITE_PROTECTED */
    { 0xC00000BB, ERROR_NOT_SUPPORTED },          /* STATUS_NOT_SUPPORTED */
    { 0xC00000EF, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_1 */
    { 0xC00000F0, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_2 */
    { 0xC00000F1, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_3 */
    { 0xC00000F2, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_4 */
    { 0xC00000F3, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_5 */
    { 0xC00000F4, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_6 */
    { 0xC00000F5, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_7 */
    { 0xC00000F6, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_8 */
    { 0xC00000F7, ERROR_INVALID_PARAMETER },      /* STATUS_INVALID_PARAMETER_9 */
    { 0xC00000FD, ERROR_STACK_OVERFLOW },         /* STATUS_STACK_OVERFLOW */
    { 0xC0000106, ERROR_FILENAME_EXCED_RANGE },   /* STATUS_NAME_TOO_LONG */
    { 0xC000010A, ERROR_ACCESS_DENIED },          /* STATUS_PROCESS_IS_TERMINATING */
    { 0xC000011E, ERROR_FILE_INVALID },           /* STATUS_MAPPED_FILE_SIZE_ZERO */
    { 0xC000012D, ERROR_COMMITMENT_LIMIT },       /* STATUS_COMMITMENT_LIMIT */
    { 0xC000012F, ERROR_BAD_EXE_FORMAT },         /* STATUS_INVALID_IMAGE_NOT_MZ */
    { 0xC0000130, ERROR_BAD_EXE_FORMAT },         /* STATUS_INVALID_IMAGE_PROTECT */
    { 0xC0000135, ERROR_MOD_NOT_FOUND },          /* STATUS_DLL_NOT_FOUND */
    { 0xC0000138, ERROR_INVALID_ORDINAL },        /* STATUS_ORDINAL_NOT_FOUND */
    { 0xC0000139, ERROR_PROC_NOT_FOUND },         /* STATUS_ENTRYPOINT_NOT_FOUND */
    { 0xC0000141, ERROR_UNEXP_NET_ERR },          /* STATUS_INVALID_ADDRESS */
    { 0xC0000220, ERROR_MAPPED_ALIGNMENT },       /* STATUS_MAPPED_ALIGNMENT */
    { 0xC0000221, ERROR_BAD_EXE_FORMAT },         /* STATUS_IMAGE_CHECKSUM_MISMATCH */
};

ULONG NTAPI RtlNtStatusToDosErrorNoTeb(NTSTATUS Status)
{
    ULONG s = (ULONG)Status;
    if (s == 0 || (s & 0x20000000))
        return s;
    if ((s & 0xF0000000) == 0xD0000000)
        s &= ~0x10000000u;
    size_t lo = 0, hi = sizeof status_map / sizeof status_map[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (status_map[mid].status == s)
            return status_map[mid].error;
        if (status_map[mid].status < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ERROR_MR_MID_NOT_FOUND;
}

ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status)
{
    ntk_gs_write32(TEB_LAST_STATUS, (DWORD)Status);
    return RtlNtStatusToDosErrorNoTeb(Status);
}

NTSTATUS NTAPI RtlGetLastNtStatus(void)
{
    return (NTSTATUS)ntk_gs_read32(TEB_LAST_STATUS);
}

ULONG NTAPI RtlGetLastWin32Error(void)
{
    return ntk_gs_read32(NTK_TEB_LAST_ERROR);
}

VOID NTAPI RtlSetLastWin32Error(ULONG Error)
{
    ntk_gs_write32(NTK_TEB_LAST_ERROR, Error);
}
