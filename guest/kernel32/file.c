/*
 * file.c - files: CreateFileA, ReadFile, WriteFile, GetFileSize(Ex),
 * SetFilePointer(Ex), on the files of the data volume (`mmulab run --data`,
 * docs/sections.md, "Files and their services"), through NtCreateFile,
 * NtReadFile, NtWriteFile, NtQueryInformationFile and NtSetInformationFile,
 * as Windows's kernel32 does.  Console handles go to console.c.
 *
 * The volume is flat: a name is found by its base name, any directory or
 * drive before it is ignored.  Files keep their sizes: CreateFileA opens
 * existing files only (OPEN_EXISTING, and OPEN_ALWAYS of an existing file);
 * CREATE_NEW of an existing file is ERROR_FILE_EXISTS, as on Windows; what
 * would create, truncate or replace a file is ERROR_NOT_SUPPORTED; a write
 * past the end of the file writes nothing and fails with ERROR_DISK_FULL.
 * I/O is synchronous: an OVERLAPPED is ERROR_INVALID_PARAMETER.
 */
#include "guest/kernel32/k32.h"

/* CreateFileA's dispositions (1-5) as NtCreateFile's. */
static const ULONG dispositions[6] = {
    0, NTK_FILE_CREATE, NTK_FILE_OVERWRITE_IF, NTK_FILE_OPEN, NTK_FILE_OPEN_IF,
    NTK_FILE_OVERWRITE,
};

HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                          DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                          HANDLE hTemplateFile)
{
    (void)dwFlagsAndAttributes, (void)hTemplateFile;
    struct k32_name name;
    struct ntk_io_status_block io;
    DWORD err = 0;
    if (dwCreationDisposition < CREATE_NEW || dwCreationDisposition > TRUNCATE_EXISTING ||
        (dwCreationDisposition == TRUNCATE_EXISTING && !(dwDesiredAccess & GENERIC_WRITE)))
        err = ERROR_INVALID_PARAMETER;
    else if (!lpFileName || !*lpFileName)
        err = ERROR_PATH_NOT_FOUND;
    else
        err = k32_name_init(&name, "", lpFileName,
                            lpSecurityAttributes && lpSecurityAttributes->bInheritHandle
                                ? NTK_OBJ_INHERIT : 0);
    if (err) {
        SetLastError(err);
        return INVALID_HANDLE_VALUE;
    }
    HANDLE h;
    ULONG disposition = dispositions[dwCreationDisposition];
    NTSTATUS st = NtCreateFile(&h, dwDesiredAccess | SYNCHRONIZE | FILE_READ_ATTRIBUTES,
                               &name.oa, &io, NULL, 0, dwShareMode, disposition, 0, NULL, 0);
    if (!NT_SUCCESS(st)) {
        if (st == NTK_STATUS_OBJECT_NAME_COLLISION && disposition == NTK_FILE_CREATE)
            SetLastError(ERROR_FILE_EXISTS);
        else
            BaseSetLastNTError(st);
        return INVALID_HANDLE_VALUE;
    }
    SetLastError(disposition == NTK_FILE_OPEN_IF && io.information == NTK_FILE_OPENED
                     ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                     LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped)
{
    struct ntk_io_status_block io = { 0 };
    if (lpNumberOfBytesRead)
        *lpNumberOfBytesRead = 0;
    if (lpOverlapped)
        return k32_fail(ERROR_INVALID_PARAMETER);
    if (k32_is_console(hFile))
        return k32_console_read(hFile, lpNumberOfBytesRead);
    NTSTATUS st = NtReadFile(hFile, NULL, NULL, NULL, &io, lpBuffer, nNumberOfBytesToRead,
                             NULL, NULL);
    if (st == NTK_STATUS_END_OF_FILE) /* a synchronous read at the end: 0 bytes, success */
        return TRUE;
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    if (lpNumberOfBytesRead)
        *lpNumberOfBytesRead = (DWORD)io.information;
    return TRUE;
}

BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                      LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
{
    struct ntk_io_status_block io = { 0 };
    if (lpNumberOfBytesWritten)
        *lpNumberOfBytesWritten = 0;
    if (lpOverlapped)
        return k32_fail(ERROR_INVALID_PARAMETER);
    if (k32_is_console(hFile))
        return k32_console_write(hFile, lpBuffer, nNumberOfBytesToWrite, lpNumberOfBytesWritten);
    NTSTATUS st = NtWriteFile(hFile, NULL, NULL, NULL, &io, lpBuffer, nNumberOfBytesToWrite,
                              NULL, NULL);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    if (lpNumberOfBytesWritten)
        *lpNumberOfBytesWritten = (DWORD)io.information;
    return TRUE;
}

/* ---- sizes and the file pointer ---------------------------------------------- */

static NTSTATUS query(HANDLE h, ULONG cls, void *info, ULONG len)
{
    struct ntk_io_status_block io;
    return NtQueryInformationFile(h, &io, info, len, cls);
}

BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
{
    struct ntk_file_standard_information info;
    NTSTATUS st = query(hFile, NTK_FILE_STANDARD_INFORMATION, &info, sizeof info);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    lpFileSize->QuadPart = info.end_of_file;
    return TRUE;
}

/* INVALID_FILE_SIZE on failure; a size whose low part is INVALID_FILE_SIZE
 * leaves the last error NO_ERROR, so that a caller can tell. */
DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(hFile, &size))
        return INVALID_FILE_SIZE;
    if (lpFileSizeHigh)
        *lpFileSizeHigh = (DWORD)size.HighPart;
    if (size.LowPart == INVALID_FILE_SIZE)
        SetLastError(NO_ERROR);
    return size.LowPart;
}

/* The new file pointer for a move by distance (FILE_BEGIN, FILE_CURRENT,
 * FILE_END): 0 or a Win32 error (a negative result: ERROR_NEGATIVE_SEEK). */
static DWORD new_position(HANDLE h, LONGLONG distance, DWORD method, LONGLONG *pos)
{
    struct ntk_file_standard_information info;
    struct ntk_file_position_information now;
    NTSTATUS st = NTK_STATUS_SUCCESS;
    switch (method) {
    case FILE_BEGIN: *pos = distance; break;
    case FILE_CURRENT:
        st = query(h, NTK_FILE_POSITION_INFORMATION, &now, sizeof now);
        *pos = now.current_byte_offset + distance;
        break;
    case FILE_END:
        st = query(h, NTK_FILE_STANDARD_INFORMATION, &info, sizeof info);
        *pos = info.end_of_file + distance;
        break;
    default: return ERROR_INVALID_PARAMETER;
    }
    if (!NT_SUCCESS(st))
        return RtlNtStatusToDosError(st);
    return *pos < 0 ? ERROR_NEGATIVE_SEEK : 0;
}

static DWORD set_position(HANDLE h, LONGLONG pos)
{
    struct ntk_io_status_block io;
    struct ntk_file_position_information info = { pos };
    NTSTATUS st = NtSetInformationFile(h, &io, &info, sizeof info, NTK_FILE_POSITION_INFORMATION);
    return NT_SUCCESS(st) ? 0 : RtlNtStatusToDosError(st);
}

BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove,
                             PLARGE_INTEGER lpNewFilePointer, DWORD dwMoveMethod)
{
    LONGLONG pos;
    DWORD err = k32_is_console(hFile) ? ERROR_INVALID_HANDLE
                                      : new_position(hFile, liDistanceToMove.QuadPart,
                                                     dwMoveMethod, &pos);
    if (!err)
        err = set_position(hFile, pos);
    if (err)
        return k32_fail(err);
    if (lpNewFilePointer)
        lpNewFilePointer->QuadPart = pos;
    return TRUE;
}

/* The distance is lDistanceToMove, or with lpDistanceToMoveHigh the 64-bit
 * value of both; without it the new pointer must fit in 32 bits.  A pointer
 * whose low part is INVALID_SET_FILE_POINTER leaves the last error
 * NO_ERROR (Microsoft's documented way to tell). */
DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh,
                            DWORD dwMoveMethod)
{
    LONGLONG pos, distance = lDistanceToMove;
    if (lpDistanceToMoveHigh)
        distance = (LONGLONG)((ULONGLONG)(ULONG)*lpDistanceToMoveHigh << 32 |
                              (ULONG)lDistanceToMove);
    DWORD err = k32_is_console(hFile) ? ERROR_INVALID_HANDLE
                                      : new_position(hFile, distance, dwMoveMethod, &pos);
    if (!err && !lpDistanceToMoveHigh && (pos >> 32))
        err = ERROR_INVALID_PARAMETER;
    if (!err)
        err = set_position(hFile, pos);
    if (err) {
        SetLastError(err);
        return INVALID_SET_FILE_POINTER;
    }
    if (lpDistanceToMoveHigh)
        *lpDistanceToMoveHigh = (LONG)(pos >> 32);
    if ((DWORD)pos == INVALID_SET_FILE_POINTER)
        SetLastError(NO_ERROR);
    return (DWORD)pos;
}
