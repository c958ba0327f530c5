/*
 * createprocess.c - CreateProcessA: a new process running an image of the
 * system volume, through NtkCreateProcess (the kernel maps the image and
 * the DLLs and resolves imports: docs/kernel.md).
 *
 * The module is lpApplicationName, or else the first token of lpCommandLine
 * (quoted, or up to the first space or tab) with ".exe" appended when its
 * file name has no extension - Microsoft's rules.  The system volume is
 * flat, so only the last path component names the file.  The command line
 * the new process sees is lpCommandLine, or lpApplicationName when that is
 * NULL.  Security attributes, handle inheritance, environment, current
 * directory and STARTUPINFO have nothing to act on and are ignored;
 * CREATE_SUSPENDED is refused (ERROR_NOT_SUPPORTED): threads cannot start
 * suspended.  Where Windows would create the process and let it fail in
 * its loader (a missing DLL or import), the kernel refuses the image, so
 * CreateProcessA fails with the mapped status (ERROR_MOD_NOT_FOUND,
 * ERROR_PROC_NOT_FOUND, ERROR_BAD_EXE_FORMAT...).
 */
#include "guest/kernel32/k32.h"

#define MODULE_MAX MAX_PATH

/* The module name from the command line's first token, ".exe" added if it
 * has no extension.  FALSE if it does not fit. */
static BOOL module_from_command_line(LPCSTR line, char *out)
{
    SIZE_T n = 0;
    if (*line == '"') {
        for (line++; line[n] && line[n] != '"'; n++)
            ;
    } else {
        while (line[n] && line[n] != ' ' && line[n] != '\t')
            n++;
    }
    if (n >= MODULE_MAX - 4)
        return FALSE;
    memcpy(out, line, n);
    out[n] = 0;
    const char *last = out;
    for (const char *p = out; *p; p++)
        if (*p == '\\' || *p == '/')
            last = p + 1;
    BOOL has_dot = FALSE;
    for (const char *p = last; *p; p++)
        has_dot |= *p == '.';
    if (!has_dot && *last)
        memcpy(out + n, ".exe", 5);
    return TRUE;
}

/* The last path component: the volume holds files by base name. */
static LPCSTR base_name(LPCSTR path)
{
    LPCSTR last = path;
    for (LPCSTR p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            last = p + 1;
    return last;
}

static void fill_information(HANDLE process, HANDLE thread, LPPROCESS_INFORMATION pi)
{
    struct ntk_thread_basic_information t = { 0 };
    pi->hProcess = process;
    pi->hThread = thread;
    pi->dwProcessId = GetProcessId(process);
    NtQueryInformationThread(thread, NTK_THREAD_BASIC_INFORMATION, &t, sizeof t, NULL);
    pi->dwThreadId = (DWORD)t.unique_thread;
}

BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                           LPSECURITY_ATTRIBUTES lpProcessAttributes,
                           LPSECURITY_ATTRIBUTES lpThreadAttributes, BOOL bInheritHandles,
                           DWORD dwCreationFlags, LPVOID lpEnvironment,
                           LPCSTR lpCurrentDirectory, LPSTARTUPINFOA lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation)
{
    (void)lpProcessAttributes, (void)lpThreadAttributes, (void)bInheritHandles;
    (void)lpEnvironment, (void)lpCurrentDirectory, (void)lpStartupInfo;
    char module[MODULE_MAX];
    if (dwCreationFlags & CREATE_SUSPENDED)
        return k32_fail(ERROR_NOT_SUPPORTED);
    if (!lpApplicationName && !lpCommandLine)
        return k32_fail(ERROR_INVALID_PARAMETER);
    LPCSTR image = lpApplicationName;
    if (!image) {
        if (!module_from_command_line(lpCommandLine, module))
            return k32_fail(ERROR_FILENAME_EXCED_RANGE);
        image = module;
    }
    image = base_name(image);
    if (!*image)
        return k32_fail(ERROR_FILE_NOT_FOUND);
    LPCSTR line = lpCommandLine ? lpCommandLine : lpApplicationName;
    HANDLE process, thread;
    NTSTATUS st = NtkCreateProcess(&process, &thread, image, strlen(image), line, strlen(line));
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    fill_information(process, thread, lpProcessInformation);
    return TRUE;
}
