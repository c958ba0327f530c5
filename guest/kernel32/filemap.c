/*
 * filemap.c - file mappings: CreateFileMappingA, OpenFileMappingA,
 * MapViewOfFile(Ex), UnmapViewOfFile, FlushViewOfFile, through
 * NtCreateSection, NtOpenSection, NtMapViewOfSection, NtUnmapViewOfSection
 * and NtFlushVirtualMemory, as Windows's kernel32 does them:
 *
 * - CreateFileMappingA asks for the section rights its protection allows
 *   (SECTION_MAP_READ, plus SECTION_MAP_WRITE for PAGE_READWRITE, plus
 *   SECTION_MAP_EXECUTE for the execute protections), so that a view the
 *   mapping cannot give - FILE_MAP_WRITE of a PAGE_READONLY or
 *   PAGE_WRITECOPY mapping - is ERROR_ACCESS_DENIED;
 * - a named mapping that exists already is opened (ERROR_ALREADY_EXISTS,
 *   its own size and protection), else the last error is ERROR_SUCCESS;
 *   names live in one name space ("Local\" and "Global\" prefixes name the
 *   same objects: one session);
 * - MapViewOfFile turns FILE_MAP_* into the view's protection: FILE_MAP_COPY
 *   PAGE_WRITECOPY, FILE_MAP_WRITE PAGE_READWRITE, FILE_MAP_READ
 *   PAGE_READONLY (their EXECUTE forms with FILE_MAP_EXECUTE), nothing
 *   PAGE_NOACCESS;
 * - FlushViewOfFile of a paging-file-backed view succeeds (nothing to
 *   write: STATUS_NOT_MAPPED_DATA is not an error to it).
 */
#include "guest/kernel32/k32.h"

#define SEC_MASK (SEC_FILE | SEC_IMAGE | SEC_RESERVE | SEC_NOCACHE | SEC_COMMIT | SEC_LARGE_PAGES)

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s starts with prefix, in any case. */
static BOOL starts_with(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (lower(*s) != lower(*prefix))
            return FALSE;
    return TRUE;
}

/* The name as the kernel's named-object directory has it. */
static DWORD mapping_name(struct k32_name *n, LPCSTR name, ULONG attributes)
{
    static const char *const prefixes[] = { "Local\\", "Global\\" };
    for (unsigned i = 0; i < 2; i++)
        if (starts_with(name, prefixes[i])) {
            name += strlen(prefixes[i]);
            break;
        }
    return k32_name_init(n, NTK_NAMED_OBJECTS, name, attributes);
}

/* The section rights a mapping of this protection gets, or 0 if the
 * protection is not one CreateFileMapping takes. */
static ACCESS_MASK mapping_access(DWORD protect)
{
    ACCESS_MASK a = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ;
    switch (protect) {
    case PAGE_READONLY:
    case PAGE_WRITECOPY: return a;
    case PAGE_READWRITE: return a | SECTION_MAP_WRITE;
    case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_WRITECOPY: return a | SECTION_MAP_EXECUTE;
    case PAGE_EXECUTE_READWRITE: return a | SECTION_MAP_WRITE | SECTION_MAP_EXECUTE;
    }
    return 0;
}

HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
                                 DWORD flProtect, DWORD dwMaximumSizeHigh,
                                 DWORD dwMaximumSizeLow, LPCSTR lpName)
{
    DWORD attributes = flProtect & SEC_MASK, protect = flProtect & ~SEC_MASK;
    ACCESS_MASK access = mapping_access(protect);
    LARGE_INTEGER size = { .QuadPart = (LONGLONG)((ULONGLONG)dwMaximumSizeHigh << 32 |
                                                   dwMaximumSizeLow) };
    struct k32_name name;
    ULONG obj = NTK_OBJ_OPENIF | (lpFileMappingAttributes &&
                                  lpFileMappingAttributes->bInheritHandle ? NTK_OBJ_INHERIT : 0);
    DWORD err = !access ? ERROR_INVALID_PARAMETER
              : hFile == INVALID_HANDLE_VALUE && !size.QuadPart ? ERROR_INVALID_PARAMETER
              : !hFile ? ERROR_INVALID_HANDLE
              : lpName ? mapping_name(&name, lpName, obj) : 0;
    if (err) {
        SetLastError(err);
        return NULL;
    }
    HANDLE h;
    NTSTATUS st = NtCreateSection(&h, access, lpName ? &name.oa : NULL,
                                  size.QuadPart ? &size : NULL, protect,
                                  attributes ? attributes : SEC_COMMIT,
                                  hFile == INVALID_HANDLE_VALUE ? NULL : hFile);
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return NULL;
    }
    SetLastError(st == NTK_STATUS_OBJECT_NAME_EXISTS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, WINBOOL bInheritHandle, LPCSTR lpName)
{
    struct k32_name name;
    if (!lpName) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    DWORD err = mapping_name(&name, lpName, bInheritHandle ? NTK_OBJ_INHERIT : 0);
    if (err) {
        SetLastError(err);
        return NULL;
    }
    if (dwDesiredAccess == FILE_MAP_COPY)
        dwDesiredAccess = SECTION_MAP_READ;
    else if (dwDesiredAccess & FILE_MAP_EXECUTE)
        dwDesiredAccess = (dwDesiredAccess & ~FILE_MAP_EXECUTE) | SECTION_MAP_EXECUTE;
    HANDLE h;
    NTSTATUS st = NtOpenSection(&h, dwDesiredAccess, &name.oa);
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return NULL;
    }
    return h;
}

/* The view's page protection for FILE_MAP_* access. */
static ULONG view_protection(DWORD access)
{
    BOOL exec = (access & FILE_MAP_EXECUTE) != 0;
    if ((access & ~FILE_MAP_EXECUTE) == FILE_MAP_COPY)
        return exec ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
    if (access & FILE_MAP_WRITE)
        return exec ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    if (access & FILE_MAP_READ)
        return exec ? PAGE_EXECUTE_READ : PAGE_READONLY;
    return PAGE_NOACCESS;
}

LPVOID WINAPI MapViewOfFileEx(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                              DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                              SIZE_T dwNumberOfBytesToMap, LPVOID lpBaseAddress)
{
    LARGE_INTEGER offset = { .QuadPart = (LONGLONG)((ULONGLONG)dwFileOffsetHigh << 32 |
                                                     dwFileOffsetLow) };
    PVOID base = lpBaseAddress;
    SIZE_T size = dwNumberOfBytesToMap;
    if (dwDesiredAccess & (FILE_MAP_LARGE_PAGES | FILE_MAP_RESERVE | FILE_MAP_TARGETS_INVALID)) {
        SetLastError(ERROR_INVALID_PARAMETER); /* not supported: docs/programs.md */
        return NULL;
    }
    NTSTATUS st = NtMapViewOfSection(hFileMappingObject, GetCurrentProcess(), &base, 0, 0,
                                     &offset, &size, NTK_VIEW_SHARE, 0,
                                     view_protection(dwDesiredAccess));
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return NULL;
    }
    return base;
}

LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                            DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                            SIZE_T dwNumberOfBytesToMap)
{
    return MapViewOfFileEx(hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh,
                           dwFileOffsetLow, dwNumberOfBytesToMap, NULL);
}

BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress)
{
    NTSTATUS st = NtUnmapViewOfSection(GetCurrentProcess(), (PVOID)lpBaseAddress);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush)
{
    struct ntk_io_status_block io;
    PVOID base = (PVOID)lpBaseAddress;
    SIZE_T size = dwNumberOfBytesToFlush;
    NTSTATUS st = NtFlushVirtualMemory(GetCurrentProcess(), &base, &size, &io);
    if (!NT_SUCCESS(st) && st != NTK_STATUS_NOT_MAPPED_DATA)
        return k32_fail_status(st);
    return TRUE;
}
