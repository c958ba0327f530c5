/*
 * test_kernel32.c - kernel32 against Microsoft's documentation: system
 * information, memory status, last-error values, the console, module
 * handles, threads, processes and waits.  Exact values; each check's
 * comment names the documented rule (or, where the documentation is
 * silent, says it checks what Windows does).  The program also serves as
 * its own child process: "test_kernel32.exe child N" exits with N,
 * "... argv0" exits with 42 if its argv[0] is "x", "... raise" raises an
 * exception nobody handles.
 */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "guest/ntdll/ntdll.h"
#include "shared/nt/images.h"
#include "tests/pe/tap.h"

#define SELF "test_kernel32.exe"

/* ---- system information ---- */

static void system_info(void)
{
    SYSTEM_INFO si;
    memset(&si, 0xcc, sizeof si);
    GetSystemInfo(&si);
    /* "dwPageSize: The page size and the granularity of page protection
     * and commitment"; dwAllocationGranularity: "the granularity for the
     * starting address at which virtual memory can be allocated". */
    tap_eq(si.dwPageSize, 4096, "dwPageSize");
    tap_eq(si.dwAllocationGranularity, 65536, "dwAllocationGranularity");
    tap_eq((ULONG_PTR)si.lpMinimumApplicationAddress, 0x10000, "lpMinimumApplicationAddress");
    tap_eq((ULONG_PTR)si.lpMaximumApplicationAddress, 0x7FFFFFFEFFFFull,
           "lpMaximumApplicationAddress");
    tap_ok(si.dwNumberOfProcessors == 1 && si.dwActiveProcessorMask == 1,
           "one processor (mask 0x%llx)", (ULONGLONG)si.dwActiveProcessorMask);
    tap_ok(si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64 &&
           si.dwProcessorType == PROCESSOR_AMD_X8664, "AMD64 (architecture %u, type %lu)",
           si.wProcessorArchitecture, si.dwProcessorType);
}

static MEMORYSTATUSEX memory_status(void)
{
    MEMORYSTATUSEX ms;
    memset(&ms, 0, sizeof ms);
    ms.dwLength = sizeof ms;
    GlobalMemoryStatusEx(&ms);
    return ms;
}

static void memory_status_rules(void)
{
    /* "You must set the dwLength member of this structure before calling
     * this function." */
    MEMORYSTATUSEX bad = { .dwLength = sizeof bad - 8 };
    SetLastError(0);
    tap_error(GlobalMemoryStatusEx(&bad), ERROR_INVALID_PARAMETER, "GlobalMemoryStatusEx, bad dwLength");
    MEMORYSTATUSEX a = memory_status();
    /* ullTotalVirtual: "the size of the user-mode portion of the virtual
     * address space of the calling process": 0x10000 to 0x7FFFFFFEFFFF. */
    tap_eq(a.ullTotalVirtual, 0x7FFFFFFE0000ull, "ullTotalVirtual");
    tap_ok(a.ullAvailPhys <= a.ullTotalPhys && a.ullTotalPhys > 0 &&
           a.dwMemoryLoad == (a.ullTotalPhys - a.ullAvailPhys) * 100 / a.ullTotalPhys,
           "dwMemoryLoad %lu%% = physical memory in use", a.dwMemoryLoad);
    /* ullAvailPageFile: "the maximum amount of memory the current process
     * can commit": committing 1 MB takes exactly 1 MB of it. */
    void *p = VirtualAlloc(NULL, 1 << 20, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    MEMORYSTATUSEX b = memory_status();
    tap_eq(a.ullAvailPageFile - b.ullAvailPageFile, 1 << 20, "commit of 1 MB: ullAvailPageFile drop");
    VirtualFree(p, 0, MEM_RELEASE);
    MEMORYSTATUSEX c = memory_status();
    tap_eq(c.ullAvailPageFile, a.ullAvailPageFile, "after the release: ullAvailPageFile");
    /* ullAvailVirtual: "the amount of unreserved and uncommitted memory
     * currently in the user-mode portion": reserving 1 GB takes 1 GB. */
    p = VirtualAlloc(NULL, 1 << 30, MEM_RESERVE, PAGE_READWRITE);
    MEMORYSTATUSEX d = memory_status();
    tap_eq(c.ullAvailVirtual - d.ullAvailVirtual, 1 << 30, "reserving 1 GB: ullAvailVirtual drop");
    VirtualFree(p, 0, MEM_RELEASE);
    /* Touching committed pages takes physical memory. */
    BYTE *t = VirtualAlloc(NULL, 64 << 10, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    MEMORYSTATUSEX e = memory_status();
    for (int i = 0; i < 16; i++)
        t[i * 4096] = 1;
    MEMORYSTATUSEX f = memory_status();
    tap_ok(e.ullAvailPhys - f.ullAvailPhys >= 16 * 4096,
           "touching 16 pages takes at least 64 KB of physical memory (%llu KB)",
           (e.ullAvailPhys - f.ullAvailPhys) >> 10);
    VirtualFree(t, 0, MEM_RELEASE);
}

/* ---- last error ---- */

static void last_error(void)
{
    /* The last error is per thread, in the TEB (LastErrorValue, GS:[0x68]). */
    SetLastError(1234);
    tap_ok(GetLastError() == 1234 && __readgsdword(0x68) == 1234, "SetLastError/GetLastError "
           "use TEB.LastErrorValue");
    /* Failures map NTSTATUS to Win32 as Windows does (KB 113996): */
    static const struct {
        ULONG status, error;
        const char *name;
    } map[] = {
        { 0x00000000, 0, "STATUS_SUCCESS" },
        { 0x00000102, ERROR_TIMEOUT, "STATUS_TIMEOUT" },
        { 0x00000103, ERROR_IO_PENDING, "STATUS_PENDING" },
        { 0x80000001, 0x80000001, "STATUS_GUARD_PAGE_VIOLATION" },
        { 0xC0000005, ERROR_NOACCESS, "STATUS_ACCESS_VIOLATION" },
        { 0xC0000008, ERROR_INVALID_HANDLE, "STATUS_INVALID_HANDLE" },
        { 0xC000000D, ERROR_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER" },
        { 0xC0000017, ERROR_NOT_ENOUGH_MEMORY, "STATUS_NO_MEMORY" },
        { 0xC0000018, ERROR_INVALID_ADDRESS, "STATUS_CONFLICTING_ADDRESSES" },
        { 0xC000001A, ERROR_INVALID_PARAMETER, "STATUS_UNABLE_TO_FREE_VM" },
        { 0xC000002D, ERROR_INVALID_ADDRESS, "STATUS_NOT_COMMITTED" },
        { 0xC0000034, ERROR_FILE_NOT_FOUND, "STATUS_OBJECT_NAME_NOT_FOUND" },
        { 0xC0000045, ERROR_INVALID_PARAMETER, "STATUS_INVALID_PAGE_PROTECTION" },
        { 0xC000007B, ERROR_BAD_EXE_FORMAT, "STATUS_INVALID_IMAGE_FORMAT" },
        { 0xC000009F, ERROR_INVALID_ADDRESS, "STATUS_FREE_VM_NOT_AT_BASE" },
        { 0xC00000A0, ERROR_INVALID_ADDRESS, "STATUS_MEMORY_NOT_ALLOCATED" },
        { 0xC00000F1, ERROR_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER_3" },
        { 0xC00000FD, ERROR_STACK_OVERFLOW, "STATUS_STACK_OVERFLOW" },
        { 0xC000012D, ERROR_COMMITMENT_LIMIT, "STATUS_COMMITMENT_LIMIT" },
        { 0xC0000135, ERROR_MOD_NOT_FOUND, "STATUS_DLL_NOT_FOUND" },
        { 0xC0000139, ERROR_PROC_NOT_FOUND, "STATUS_ENTRYPOINT_NOT_FOUND" },
        { 0xC0000141, ERROR_UNEXP_NET_ERR, "STATUS_INVALID_ADDRESS (a transport status)" },
        { 0xD0000018, ERROR_INVALID_ADDRESS, "0xD... read as 0xC..." },
        { 0xE0001234, 0xE0001234, "a customer status (bit 29) maps to itself" },
        { 0xC0FFEE00, ERROR_MR_MID_NOT_FOUND, "an unknown status" },
        { 0x40000024, ERROR_MR_MID_NOT_FOUND, "STATUS_NO_YIELD_PERFORMED (no mapping)" },
    };
    BOOL all = TRUE;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        ULONG got = RtlNtStatusToDosError((NTSTATUS)map[i].status);
        if (got != map[i].error) {
            tap_ok(FALSE, "RtlNtStatusToDosError(%s) = %lu, expected %lu", map[i].name, got,
                   map[i].error);
            all = FALSE;
        }
    }
    tap_ok(all, "RtlNtStatusToDosError maps %u statuses as Windows does",
           (unsigned)(sizeof map / sizeof map[0]));
    /* RtlNtStatusToDosError also records the status (TEB.LastStatusValue). */
    RtlNtStatusToDosError((NTSTATUS)0xC0000018);
    tap_eq((ULONG)RtlGetLastNtStatus(), 0xC0000018, "RtlGetLastNtStatus after a mapping");
}

/* ---- console ---- */

static void console(void)
{
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    DWORD written = 0;
    static const char line[] = "# WriteFile to the standard output\n";
    BOOL done = out != INVALID_HANDLE_VALUE && out != NULL &&
                WriteFile(out, line, sizeof line - 1, &written, NULL);
    tap_ok(done && written == sizeof line - 1, "WriteFile(stdout): %lu bytes written", written);
    written = 0;
    done = WriteConsoleA(GetStdHandle(STD_ERROR_HANDLE), "# WriteConsoleA\n", 16, &written, NULL);
    tap_ok(done && written == 16, "WriteConsoleA(stderr): %lu bytes written", written);
    /* nStdHandle must be STD_INPUT_HANDLE, STD_OUTPUT_HANDLE or STD_ERROR_HANDLE. */
    SetLastError(0);
    tap_ok(GetStdHandle(12345) == INVALID_HANDLE_VALUE && GetLastError() == ERROR_INVALID_HANDLE,
           "GetStdHandle(12345): INVALID_HANDLE_VALUE, ERROR_INVALID_HANDLE");
    SetLastError(0);
    tap_error(WriteFile((HANDLE)0x1234, line, 4, &written, NULL), ERROR_INVALID_HANDLE,
              "WriteFile to a bad handle");
    /* A buffer the kernel cannot read: ERROR_NOACCESS (STATUS_ACCESS_VIOLATION). */
    SetLastError(0);
    tap_error(WriteFile(out, (const void *)0x10, 4, &written, NULL), ERROR_NOACCESS,
              "WriteFile of an unreadable buffer");
}

/* ---- modules ---- */

static void modules(void)
{
    BYTE *peb = (BYTE *)__readgsqword(0x60);
    HMODULE exe = GetModuleHandleA(NULL);
    /* "If this parameter is NULL, GetModuleHandle returns a handle to the
     * file used to create the calling process": the PEB's ImageBaseAddress. */
    tap_eq((ULONG_PTR)exe, *(ULONG_PTR *)(peb + 0x10), "GetModuleHandleA(NULL) = PEB.ImageBaseAddress");
    tap_eq((ULONG_PTR)GetModuleHandleA(SELF), (ULONG_PTR)exe, "GetModuleHandleA(\"" SELF "\")");
    /* The system DLLs at their preferred bases (shared/nt/images.h); the
     * name is case-insensitive and ".dll" may be left out. */
    tap_eq((ULONG_PTR)GetModuleHandleA("KERNEL32"), NTK_KERNEL32_BASE, "GetModuleHandleA(\"KERNEL32\")");
    tap_eq((ULONG_PTR)GetModuleHandleA("ntdll.dll"), NTK_NTDLL_BASE, "GetModuleHandleA(\"ntdll.dll\")");
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery((const void *)(ULONG_PTR)VirtualAlloc, &m, sizeof m);
    tap_eq((ULONG_PTR)m.AllocationBase, NTK_KERNEL32_BASE, "VirtualAlloc lies in kernel32's image");
    SetLastError(0);
    tap_error((ULONG_PTR)GetModuleHandleA("user32.dll"), ERROR_MOD_NOT_FOUND,
              "GetModuleHandleA(\"user32.dll\")");
}

/* ---- threads ---- */

static volatile LONG release_thread;

static DWORD WINAPI waits_then_returns(LPVOID arg)
{
    while (!release_thread)
        Sleep(1);
    return (DWORD)(ULONG_PTR)arg;
}

static DWORD WINAPI exits_itself(LPVOID arg)
{
    ExitThread((DWORD)(ULONG_PTR)arg);
}

static ULONG_PTR thread_stack_reservation;

static DWORD WINAPI measures_stack(LPVOID arg)
{
    (void)arg;
    BYTE *base = *(BYTE **)((BYTE *)NtCurrentTeb() + 0x1478); /* TEB.DeallocationStack */
    MEMORY_BASIC_INFORMATION m;
    ULONG_PTR total = 0;
    for (BYTE *a = base; VirtualQuery(a, &m, sizeof m) && m.AllocationBase == base;
         a = (BYTE *)m.BaseAddress + m.RegionSize)
        total += m.RegionSize;
    thread_stack_reservation = total;
    return 0;
}

static ULONG_PTR stack_reservation_of(SIZE_T size, DWORD flags)
{
    thread_stack_reservation = 0;
    HANDLE h = CreateThread(NULL, size, measures_stack, NULL, flags, NULL);
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
    return thread_stack_reservation;
}

static void threads(void)
{
    DWORD tid = 0, code = 0;
    release_thread = 0;
    HANDLE h = CreateThread(NULL, 0, waits_then_returns, (LPVOID)77, 0, &tid);
    /* lpThreadId "receives the thread identifier": the kernel's, a multiple
     * of 4, not ours. */
    tap_ok(h && tid == GetThreadId(h) && tid % 4 == 0 && tid != GetCurrentThreadId(),
           "CreateThread: thread %lu", tid);
    /* GetExitCodeThread: "If the specified thread has not terminated ...
     * the termination status returned is STILL_ACTIVE". */
    tap_ok(GetExitCodeThread(h, &code) && code == STILL_ACTIVE, "a running thread: STILL_ACTIVE");
    /* WaitForSingleObject with dwMilliseconds 0 "returns immediately". */
    tap_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT, "WaitForSingleObject(running, 0)");
    release_thread = 1;
    tap_eq(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0, "WaitForSingleObject(INFINITE)");
    /* "the return value of the thread function" is the exit code. */
    BOOL got = GetExitCodeThread(h, &code);
    tap_ok(got && code == 77, "exit code from the return value: %lu", code);
    CloseHandle(h);
    h = CreateThread(NULL, 0, exits_itself, (LPVOID)55, 0, NULL);
    WaitForSingleObject(h, INFINITE);
    got = GetExitCodeThread(h, &code);
    tap_ok(got && code == 55, "ExitThread(55): exit code %lu", code);
    CloseHandle(h);
    SetLastError(0);
    tap_ok(WaitForSingleObject((HANDLE)0x1230, 0) == WAIT_FAILED &&
           GetLastError() == ERROR_INVALID_HANDLE, "WaitForSingleObject(bad handle): WAIT_FAILED, "
           "ERROR_INVALID_HANDLE");
    /* Stack sizes ("Thread Stack Size"): 0 takes the EXE's SizeOfStackReserve
     * (mingw's default 2 MB); STACK_SIZE_PARAM_IS_A_RESERVATION makes
     * dwStackSize the reserve; a commit larger than the reserve rounds the
     * reserve up to a multiple of 1 MB. */
    tap_eq(stack_reservation_of(0, 0), 2 << 20, "default stack reservation");
    tap_eq(stack_reservation_of(64 << 10, STACK_SIZE_PARAM_IS_A_RESERVATION), 64 << 10,
           "stack reservation of 64 KB");
    tap_eq(stack_reservation_of(5 << 19, 0), 3 << 20, "2.5 MB committed: 3 MB reserved");
    /* CREATE_SUSPENDED is not supported here (threads cannot start
     * suspended): ERROR_NOT_SUPPORTED, documented in docs/programs.md. */
    SetLastError(0);
    tap_error((ULONG_PTR)CreateThread(NULL, 0, exits_itself, NULL, CREATE_SUSPENDED, NULL),
              ERROR_NOT_SUPPORTED, "CreateThread(CREATE_SUSPENDED)");
    /* Closing a pseudo-handle has no effect and succeeds. */
    tap_ok(CloseHandle(GetCurrentThread()) && CloseHandle(GetCurrentProcess()),
           "CloseHandle of the pseudo-handles");
    SetLastError(0);
    tap_error(CloseHandle((HANDLE)0x1230), ERROR_INVALID_HANDLE, "CloseHandle(bad handle)");
}

/* ---- processes ---- */

static DWORD run(LPCSTR app, LPCSTR cmdline, DWORD *pid)
{
    char line[256];
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    DWORD code = 0xFFFFFFFF;
    strcpy(line, cmdline);
    if (!CreateProcessA(app, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        return 0xFFFFFFFF;
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    if (pid)
        *pid = pi.dwProcessId;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code;
}

static BOOL create_fails(LPCSTR app, LPCSTR cmdline, DWORD flags, DWORD error, const char *what)
{
    char line[256];
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    strcpy(line, cmdline ? cmdline : "");
    SetLastError(0);
    return tap_error(CreateProcessA(app, cmdline ? line : NULL, NULL, NULL, FALSE, flags, NULL,
                                    NULL, &si, &pi), error, what);
}

static void processes(int argc, char **argv)
{
    DWORD pid = GetCurrentProcessId();
    tap_ok(pid % 4 == 0 && pid == __readgsdword(0x40), "GetCurrentProcessId %lu = TEB's, a "
           "multiple of 4", pid);
    /* GetCommandLineA: the PEB's command line, as mmulab run passed it. */
    const char *line = GetCommandLineA();
    tap_ok(strncmp(line, SELF, strlen(SELF)) == 0, "GetCommandLineA starts with the program name");
    tap_ok(argc == 3 && !strcmp(argv[1], "alpha") && !strcmp(argv[2], "b c"),
           "argv from the command line: %d arguments", argc);
    /* "If lpCommandLine is NULL, lpApplicationName is used" / the first token
     * names the module: */
    DWORD first = 0, again = 0;
    tap_eq(run(NULL, SELF " child 7", &first), 7, "child's exit code");
    /* "If the file name does not contain an extension, .exe is appended." */
    tap_eq(run(NULL, "test_kernel32 child 5", &again), 5, "module name without .exe");
    /* lpApplicationName with lpCommandLine: the child's command line is
     * lpCommandLine (its argv[0] is "x"). */
    tap_eq(run(SELF, "x argv0", NULL), 42, "lpCommandLine is the child's command line");
    tap_ok(first % 4 == 0 && again == first, "the child's process ID (%lu) is reused (%lu)",
           first, again);
    /* An unhandled exception ends a process with the exception code. */
    tap_eq(run(NULL, SELF " raise", NULL), 0xE0001234, "exit code of an unhandled exception");
    create_fails(NULL, "nosuchprogram.exe", 0, ERROR_FILE_NOT_FOUND, "CreateProcessA(missing)");
    create_fails(NULL, NULL, 0, ERROR_INVALID_PARAMETER, "CreateProcessA(NULL, NULL)");
    create_fails(NULL, SELF " child 1", CREATE_SUSPENDED, ERROR_NOT_SUPPORTED,
                 "CreateProcessA(CREATE_SUSPENDED)");
    /* A DLL is not a program: Windows says ERROR_BAD_EXE_FORMAT. */
    create_fails("kernel32.dll", NULL, 0, ERROR_BAD_EXE_FORMAT, "CreateProcessA(kernel32.dll)");
    /* TerminateProcess: "uExitCode: The exit code to be used by the process". */
    char cmd[] = SELF " sleep";
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    DWORD code = 0;
    BOOL made = CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi);
    GetExitCodeProcess(pi.hProcess, &code);
    tap_ok(made && code == STILL_ACTIVE, "a running child: STILL_ACTIVE (%lu)", code);
    TerminateProcess(pi.hProcess, 99);
    WaitForSingleObject(pi.hProcess, INFINITE);
    BOOL got = GetExitCodeProcess(pi.hProcess, &code);
    tap_ok(got && code == 99, "TerminateProcess(99): exit code %lu", code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    SetLastError(0);
    tap_error(GetExitCodeProcess((HANDLE)0x1230, &code), ERROR_INVALID_HANDLE,
              "GetExitCodeProcess(bad handle)");
}

static int child(int argc, char **argv)
{
    if (!strcmp(argv[1], "child") && argc > 2)
        return atoi(argv[2]);
    if (!strcmp(argv[1], "argv0"))
        return !strcmp(argv[0], "x") ? 42 : 1;
    if (!strcmp(argv[1], "raise"))
        RaiseException(0xE0001234, 0, 0, NULL);
    if (!strcmp(argv[1], "sleep"))
        Sleep(60000);
    return 3;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "alpha"))
        return child(argc, argv);
    tap_plan(55);
    system_info();
    memory_status_rules();
    last_error();
    console();
    modules();
    threads();
    processes(argc, argv);
    return tap_done();
}
