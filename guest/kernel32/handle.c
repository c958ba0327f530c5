/*
 * handle.c - CloseHandle and WaitForSingleObject.
 */
#include "guest/kernel32/k32.h"

/* The console pseudo-handles (console.c) and the current process and
 * thread pseudo-handles are not kernel handles: closing one does nothing,
 * as on Windows. */
BOOL WINAPI CloseHandle(HANDLE hObject)
{
    if (k32_is_console(hObject) || hObject == NtCurrentProcess() || hObject == NtCurrentThread())
        return TRUE;
    NTSTATUS st = NtClose(hObject);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

/* WAIT_OBJECT_0 when the process or thread has ended, WAIT_TIMEOUT, or
 * WAIT_FAILED with the last error set. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    LARGE_INTEGER t = k32_relative_ms(dwMilliseconds);
    NTSTATUS st = NtWaitForSingleObject(hHandle, FALSE, dwMilliseconds == INFINITE ? NULL : &t);
    if (st == STATUS_WAIT_0)
        return WAIT_OBJECT_0;
    if (st == STATUS_TIMEOUT)
        return WAIT_TIMEOUT;
    BaseSetLastNTError(st);
    return WAIT_FAILED;
}
