/*
 * error.c - the thread's last-error value: the TEB's LastErrorValue
 * (GS:[0x68]), as Windows keeps it, so GetLastError is one load.
 */
#include "guest/kernel32/k32.h"

DWORD WINAPI GetLastError(void)
{
    return RtlGetLastWin32Error();
}

void WINAPI SetLastError(DWORD dwErrCode)
{
    RtlSetLastWin32Error(dwErrCode);
}

void BaseSetLastNTError(NTSTATUS Status)
{
    RtlSetLastWin32Error(RtlNtStatusToDosError(Status));
}

BOOL k32_fail(DWORD error)
{
    RtlSetLastWin32Error(error);
    return FALSE;
}

BOOL k32_fail_status(NTSTATUS status)
{
    BaseSetLastNTError(status);
    return FALSE;
}

LARGE_INTEGER k32_relative_ms(DWORD ms)
{
    LARGE_INTEGER t;
    t.QuadPart = -(LONGLONG)ms * 10000;
    return t;
}

IMAGE_OPTIONAL_HEADER64 *k32_exe_optional_header(void)
{
    BYTE *base = *(BYTE **)(ntk_peb() + NTK_PEB_IMAGE_BASE_ADDRESS);
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    return &nt->OptionalHeader;
}
