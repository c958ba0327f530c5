/*
 * console.c - the standard handles and WriteConsoleA; WriteFile and
 * ReadFile (file.c) come here for console handles.
 *
 * The console is the kernel's NtkWriteConsole (stdout and stderr are the
 * same device); there is no console input.  The
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

BOOL k32_is_console(HANDLE h)
{
    return ((ULONG_PTR)h & 3) == 3;
}

/* Write n bytes to the console; *written says how many went. */
BOOL k32_console_write(HANDLE h, const void *buffer, DWORD n, LPDWORD written)
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

BOOL WINAPI WriteConsoleA(HANDLE hConsoleOutput, CONST VOID *lpBuffer, DWORD nNumberOfCharsToWrite,
                          LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)
{
    if (lpReserved)
        return k32_fail(ERROR_INVALID_PARAMETER);
    return k32_console_write(hConsoleOutput, lpBuffer, nNumberOfCharsToWrite,
                             lpNumberOfCharsWritten);
}

/* There is no console input: reading it finds the end at once (0 bytes);
 * the output handles cannot be read. */
BOOL k32_console_read(HANDLE h, LPDWORD read)
{
    if (read)
        *read = 0;
    if (h != CONSOLE_INPUT)
        return k32_fail(h == CONSOLE_OUTPUT || h == CONSOLE_ERROR ? ERROR_ACCESS_DENIED
                                                                  : ERROR_INVALID_HANDLE);
    return TRUE;
}
