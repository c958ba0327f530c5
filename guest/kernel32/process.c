/*
 * process.c - processes: the current one (IDs, pseudo-handle, command line,
 * module handles, exit) and new ones (CreateProcessA, exit codes).
 */
#include "guest/kernel32/k32.h"

HANDLE WINAPI GetCurrentProcess(void)
{
    return NtCurrentProcess();
}

DWORD WINAPI GetCurrentProcessId(void)
{
    return ntk_teb_dword(NTK_TEB_PROCESS_ID);
}

/* ExitProcess ends every thread of the process; the kernel does not return. */
void WINAPI ExitProcess(UINT uExitCode)
{
    NtTerminateProcess(NtCurrentProcess(), (NTSTATUS)uExitCode);
    for (;;)
        NtTerminateThread(NtCurrentThread(), (NTSTATUS)uExitCode);
}

BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode)
{
    if (!hProcess)
        return k32_fail(ERROR_INVALID_HANDLE);
    NTSTATUS st = NtTerminateProcess(hProcess, (NTSTATUS)uExitCode);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

/* STILL_ACTIVE (259) while the process runs: the kernel reports
 * STATUS_PENDING, the same number. */
BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode)
{
    struct ntk_process_basic_information info;
    NTSTATUS st = NtQueryInformationProcess(hProcess, NTK_PROCESS_BASIC_INFORMATION, &info,
                                            sizeof info, NULL);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    *lpExitCode = (DWORD)info.exit_status;
    return TRUE;
}

DWORD WINAPI GetProcessId(HANDLE Process)
{
    struct ntk_process_basic_information info;
    NTSTATUS st = NtQueryInformationProcess(Process, NTK_PROCESS_BASIC_INFORMATION, &info,
                                            sizeof info, NULL);
    if (!NT_SUCCESS(st)) {
        BaseSetLastNTError(st);
        return 0;
    }
    return (DWORD)info.unique_process_id;
}

/* ---- the command line ---- */

static LPSTR ansi_command_line;

/*
 * The PEB's command line (UTF-16, RTL_USER_PROCESS_PARAMETERS.CommandLine)
 * as an ANSI string, made on the first call and kept for the process's
 * life, as Windows's kernel32 keeps its copy.  Characters outside ASCII
 * become '?' (the kernel's command lines are ASCII).
 */
LPSTR WINAPI GetCommandLineA(void)
{
    LPSTR line = __atomic_load_n(&ansi_command_line, __ATOMIC_ACQUIRE);
    if (line)
        return line;
    const struct ntk_unicode_string *u =
        (const void *)(ntk_process_parameters() + NTK_PARAMS_COMMAND_LINE);
    const WCHAR *w = (const WCHAR *)(ULONG_PTR)u->buffer;
    SIZE_T n = u->length / sizeof(WCHAR);
    LPSTR mine = RtlAllocateHeap(RtlkProcessHeap(), 0, n + 1);
    if (!mine)
        return (LPSTR)"";
    for (SIZE_T i = 0; i < n; i++)
        mine[i] = w[i] < 0x80 ? (char)w[i] : '?';
    mine[n] = 0;
    if (!__atomic_compare_exchange_n(&ansi_command_line, &line, mine, FALSE, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        RtlFreeHeap(RtlkProcessHeap(), 0, mine);
        return line;
    }
    return mine;
}

/* ---- modules ---- */

extern IMAGE_DOS_HEADER __ImageBase; /* the linker's: kernel32's own base */

/* The base of the image containing address a (its MEM_IMAGE region). */
static HMODULE module_at(const void *a)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(a, &mbi, sizeof mbi) || mbi.Type != MEM_IMAGE)
        return NULL;
    return (HMODULE)mbi.AllocationBase;
}

static WCHAR lower(WCHAR c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static BOOL name_equal(LPCSTR a, LPCSTR b)
{
    for (; *a && lower((BYTE)*a) == lower((BYTE)*b); a++, b++)
        ;
    return *a == *b;
}

/* Whether name is the EXE's (RTL_USER_PROCESS_PARAMETERS.ImagePathName's
 * last component), case-insensitively. */
static BOOL is_exe_name(LPCSTR name)
{
    const struct ntk_unicode_string *u =
        (const void *)(ntk_process_parameters() + NTK_PARAMS_IMAGE_PATH_NAME);
    const WCHAR *w = (const WCHAR *)(ULONG_PTR)u->buffer, *end = w + u->length / sizeof(WCHAR);
    for (const WCHAR *p = w; p < end; p++)
        if (*p == '\\' || *p == '/')
            w = p + 1;
    for (; w < end && *name && lower(*w) == lower((BYTE)*name); w++, name++)
        ;
    return w == end && !*name;
}

/*
 * The three modules every process has: the EXE (NULL or its file name),
 * "kernel32.dll" and "ntdll.dll" (with or without ".dll", any case).  There is no loader list
 * to search (the kernel maps the images), so other names are
 * ERROR_MOD_NOT_FOUND.
 */
HMODULE WINAPI GetModuleHandleA(LPCSTR lpModuleName)
{
    if (!lpModuleName || is_exe_name(lpModuleName))
        return *(HMODULE *)(ntk_peb() + NTK_PEB_IMAGE_BASE_ADDRESS);
    if (name_equal(lpModuleName, "kernel32.dll") || name_equal(lpModuleName, "kernel32"))
        return (HMODULE)&__ImageBase;
    if (name_equal(lpModuleName, "ntdll.dll") || name_equal(lpModuleName, "ntdll"))
        return module_at((const void *)NtClose);
    SetLastError(ERROR_MOD_NOT_FOUND);
    return NULL;
}
