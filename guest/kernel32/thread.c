/*
 * thread.c - threads: CreateThread, ExitThread, the current thread, exit
 * codes, Sleep.
 *
 * The kernel starts a thread at a routine with one argument in RCX and no
 * return address to go back to; Windows's thread routine returns its exit
 * code.  So, as Windows does (BaseThreadInitThunk), every thread starts in
 * thread_start, which calls the routine and exits the thread with its
 * result.  The routine and its parameter travel in a block of the process
 * heap that thread_start frees.
 */
#include "guest/kernel32/k32.h"

struct start {
    LPTHREAD_START_ROUTINE routine;
    LPVOID parameter;
};

static void thread_start(struct start *s)
{
    LPTHREAD_START_ROUTINE routine = s->routine;
    LPVOID parameter = s->parameter;
    RtlFreeHeap(RtlkProcessHeap(), 0, s);
    ExitThread(routine(parameter));
}

#define STACK_RESERVE_GRANULARITY 0x100000u /* Windows rounds a larger reserve to 1 MB */

/*
 * Stack sizes as Microsoft documents them ("Thread Stack Size"): the EXE's
 * header gives the defaults; dwStackSize is the commit (rounded to pages),
 * or with STACK_SIZE_PARAM_IS_A_RESERVATION the reserve; a commit as large
 * as the reserve makes the reserve the commit rounded up to 1 MB.
 */
static void stack_sizes(SIZE_T size, DWORD flags, SIZE_T *commit, SIZE_T *reserve)
{
    IMAGE_OPTIONAL_HEADER64 *oh = k32_exe_optional_header();
    *commit = oh->SizeOfStackCommit;
    *reserve = oh->SizeOfStackReserve;
    if (flags & STACK_SIZE_PARAM_IS_A_RESERVATION) {
        if (size)
            *reserve = size;
    } else if (size) {
        *commit = (size + NTK_PAGE_SIZE - 1) & ~(SIZE_T)(NTK_PAGE_SIZE - 1);
    }
    if (*commit >= *reserve)
        *reserve = (*commit + STACK_RESERVE_GRANULARITY - 1) & ~(SIZE_T)(STACK_RESERVE_GRANULARITY - 1);
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                           DWORD dwCreationFlags, LPDWORD lpThreadId)
{
    (void)lpThreadAttributes;
    if (dwCreationFlags & CREATE_SUSPENDED) {
        SetLastError(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    struct start *s = RtlAllocateHeap(RtlkProcessHeap(), 0, sizeof *s);
    if (!s) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    s->routine = lpStartAddress;
    s->parameter = lpParameter;
    SIZE_T commit, reserve;
    stack_sizes(dwStackSize, dwCreationFlags, &commit, &reserve);
    HANDLE h;
    NTSTATUS st = NtCreateThreadEx(&h, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                   (PVOID)thread_start, s, 0, 0, commit, reserve, NULL);
    if (!NT_SUCCESS(st)) {
        RtlFreeHeap(RtlkProcessHeap(), 0, s);
        BaseSetLastNTError(st);
        return NULL;
    }
    if (lpThreadId)
        *lpThreadId = GetThreadId(h);
    return h;
}

/* The last thread to exit ends the process, with this exit code. */
void WINAPI ExitThread(DWORD dwExitCode)
{
    for (;;)
        NtTerminateThread(NtCurrentThread(), (NTSTATUS)dwExitCode);
}

HANDLE WINAPI GetCurrentThread(void)
{
    return NtCurrentThread();
}

DWORD WINAPI GetCurrentThreadId(void)
{
    return ntk_teb_dword(NTK_TEB_THREAD_ID);
}

static BOOL thread_information(HANDLE h, struct ntk_thread_basic_information *info)
{
    NTSTATUS st = NtQueryInformationThread(h, NTK_THREAD_BASIC_INFORMATION, info, sizeof *info,
                                           NULL);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

DWORD WINAPI GetThreadId(HANDLE Thread)
{
    struct ntk_thread_basic_information info;
    return thread_information(Thread, &info) ? (DWORD)info.unique_thread : 0;
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    struct ntk_thread_basic_information info;
    if (!thread_information(hThread, &info))
        return FALSE;
    *lpExitCode = (DWORD)info.exit_status; /* STATUS_PENDING = STILL_ACTIVE while it runs */
    return TRUE;
}

/* Sleep(0) gives up the rest of the quantum; INFINITE never returns. */
void WINAPI Sleep(DWORD dwMilliseconds)
{
    if (dwMilliseconds == INFINITE) {
        LARGE_INTEGER forever = { .QuadPart = -(1ll << 40) }; /* 30 hours at a time */
        for (;;)
            NtDelayExecution(FALSE, &forever);
    }
    LARGE_INTEGER t = k32_relative_ms(dwMilliseconds);
    NtDelayExecution(FALSE, &t);
}

BOOL WINAPI SwitchToThread(void)
{
    return NtYieldExecution() != NTK_STATUS_NO_YIELD_PERFORMED;
}
