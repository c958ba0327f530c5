/*
 * except.c - AddVectoredExceptionHandler, RemoveVectoredExceptionHandler
 * and RaiseException: ntdll's (Windows forwards these exports to ntdll;
 * this kernel's loader does not follow forwarders, so they are wrappers).
 */
#include "guest/kernel32/k32.h"

PVOID WINAPI AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler)
{
    return RtlAddVectoredExceptionHandler(First, Handler);
}

ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle)
{
    return RtlRemoveVectoredExceptionHandler(Handle);
}

/*
 * As documented: the record gets the code, the flags (only
 * EXCEPTION_NONCONTINUABLE is kept) and the arguments, at most
 * EXCEPTION_MAXIMUM_PARAMETERS (more are cut, as Windows does).  The
 * exception address is inside RaiseException, as on Windows.
 */
void WINAPI RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags,
                           DWORD nNumberOfArguments, const ULONG_PTR *lpArguments)
{
    EXCEPTION_RECORD r;
    memset(&r, 0, sizeof r);
    r.ExceptionCode = dwExceptionCode;
    r.ExceptionFlags = dwExceptionFlags & EXCEPTION_NONCONTINUABLE;
    if (lpArguments) {
        if (nNumberOfArguments > EXCEPTION_MAXIMUM_PARAMETERS)
            nNumberOfArguments = EXCEPTION_MAXIMUM_PARAMETERS;
        r.NumberParameters = nNumberOfArguments;
        memcpy(r.ExceptionInformation, lpArguments, nNumberOfArguments * sizeof(ULONG_PTR));
    }
    RtlRaiseException(&r);
}
