/*
 * heap.c - the Heap... functions: ntdll's heaps (RtlCreateHeap and
 * friends), as Windows's kernel32 forwards them.  The process heap is
 * created on first use (PEB.ProcessHeap starts at 0: the kernel does not
 * make one).
 */
#include "guest/kernel32/k32.h"

HANDLE WINAPI GetProcessHeap(void)
{
    return RtlkProcessHeap();
}

/* NULL on failure without setting the last error, as Microsoft documents
 * (or STATUS_NO_MEMORY raised with HEAP_GENERATE_EXCEPTIONS). */
LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)
{
    return RtlAllocateHeap(hHeap, dwFlags, dwBytes);
}

BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
    return RtlFreeHeap(hHeap, dwFlags, lpMem) ? TRUE : k32_fail(ERROR_INVALID_PARAMETER);
}

LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes)
{
    return RtlReAllocateHeap(hHeap, dwFlags, lpMem, dwBytes);
}

/* (SIZE_T)-1 on failure, without setting the last error (as documented). */
SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    return RtlSizeHeap(hHeap, dwFlags, (PVOID)lpMem);
}

/* dwMaximumSize 0 makes a growable heap; otherwise it is the heap's fixed
 * reserve, as Microsoft documents. */
HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize)
{
    ULONG flags = flOptions & (HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS);
    if (!dwMaximumSize)
        flags |= HEAP_GROWABLE;
    HANDLE h = RtlCreateHeap(flags, NULL, dwMaximumSize, dwInitialSize, NULL, NULL);
    if (!h)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return h;
}

BOOL WINAPI HeapDestroy(HANDLE hHeap)
{
    return RtlDestroyHeap(hHeap) ? k32_fail(ERROR_INVALID_HANDLE) : TRUE;
}
