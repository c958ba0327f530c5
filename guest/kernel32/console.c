/*
 * console.c - the standard handles, WriteFile and WriteConsoleA.
 *
 * The console is the kernel's NtkWriteConsole (stdout and stderr are the
 * same device); there is no file system and no console input.  The
 * standard handles are console pseudo-handles with the low two bits set,
 * the form Windows used for console handles before Windows 8: 3 (input),
 * 7 (output), 11 (error).  They never collide with kernel handles, which
 * are multiples of 4.
 */
#include "guest/kernel32/k32.h"

#define CONSOLE_INPUT  ((HANDLE)3)
#define CONSOLE_OUTPUT ((HANDLE)7)
#define CONSOLE_ERROR  ((HANDLE)11)
#define CONSOLE_CHUNK  (1u << 20) /* NtkWriteConsole's largest write */

HANDLE WINAPI GetStdHandle(DWORD nStdHandle)
{
    switch (nStdHandle) {
    case STD_INPUT_HANDLE: return CONSOLE_INPUT;
    case STD_OUTPUT_HANDLE: return CONSOLE_OUTPUT;
    case STD_ERROR_HANDLE: return CONSOLE_ERROR;
    }
    SetLastError(ERROR_INVALID_HANDLE);
    return INVALID_HANDLE_VALUE;
}

/* Write n bytes to the console; *written says how many went. */
static BOOL console_write(HANDLE h, const void *buffer, DWORD n, LPDWORD written)
{
    if (h != CONSOLE_OUTPUT && h != CONSOLE_ERROR)
        return k32_fail(h == CONSOLE_INPUT ? ERROR_ACCESS_DENIED : ERROR_INVALID_HANDLE);
    DWORD done = 0;
    while (done < n) {
        DWORD chunk = n - done < CONSOLE_CHUNK ? n - done : CONSOLE_CHUNK;
        NTSTATUS st = NtkWriteConsole((const char *)buffer + done, chunk);
        if (!NT_SUCCESS(st)) {
            if (written)
                *written = done;
            return k32_fail_status(st);
        }
        done += chunk;
    }
    if (written)
        *written = done;
    return TRUE;
}

/* Synchronous writes only: an OVERLAPPED is ERROR_INVALID_PARAMETER. */
BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                      LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
{
    if (lpNumberOfBytesWritten)
        *lpNumberOfBytesWritten = 0;
    if (lpOverlapped)
        return k32_fail(ERROR_INVALID_PARAMETER);
    return console_write(hFile, lpBuffer, nNumberOfBytesToWrite, lpNumberOfBytesWritten);
}

BOOL WINAPI WriteConsoleA(HANDLE hConsoleOutput, CONST VOID *lpBuffer, DWORD nNumberOfCharsToWrite,
                          LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)
{
    if (lpReserved)
        return k32_fail(ERROR_INVALID_PARAMETER);
    return console_write(hConsoleOutput, lpBuffer, nNumberOfCharsToWrite, lpNumberOfCharsWritten);
}
