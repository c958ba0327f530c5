/*
 * token.c - privileges: OpenProcessToken, LookupPrivilegeValueA,
 * AdjustTokenPrivileges (on Windows advapi32.dll's; here kernel32.dll
 * exports them: a program's source is the same, its import names
 * kernel32.dll).  The kernel's tokens hold SeLockMemoryPrivilege (large
 * pages), SeChangeNotifyPrivilege and SeIncreaseWorkingSetPrivilege
 * (docs/sections.md, "Privileges and tokens"); AdjustTokenPrivileges enables them.
 */
#include "guest/kernel32/k32.h"

/* The privileges' names and LUIDs (winnt.h SE_*_NAME, ntddk.h SE_*_PRIVILEGE). */
static const char *const privilege_names[] = {
    [2] = "SeCreateTokenPrivilege", [3] = "SeAssignPrimaryTokenPrivilege",
    [4] = "SeLockMemoryPrivilege", [5] = "SeIncreaseQuotaPrivilege",
    [6] = "SeMachineAccountPrivilege", [7] = "SeTcbPrivilege", [8] = "SeSecurityPrivilege",
    [9] = "SeTakeOwnershipPrivilege", [10] = "SeLoadDriverPrivilege",
    [11] = "SeSystemProfilePrivilege", [12] = "SeSystemtimePrivilege",
    [13] = "SeProfileSingleProcessPrivilege", [14] = "SeIncreaseBasePriorityPrivilege",
    [15] = "SeCreatePagefilePrivilege", [16] = "SeCreatePermanentPrivilege",
    [17] = "SeBackupPrivilege", [18] = "SeRestorePrivilege", [19] = "SeShutdownPrivilege",
    [20] = "SeDebugPrivilege", [21] = "SeAuditPrivilege",
    [22] = "SeSystemEnvironmentPrivilege", [23] = "SeChangeNotifyPrivilege",
    [24] = "SeRemoteShutdownPrivilege", [25] = "SeUndockPrivilege",
    [26] = "SeSyncAgentPrivilege", [27] = "SeEnableDelegationPrivilege",
    [28] = "SeManageVolumePrivilege", [29] = "SeImpersonatePrivilege",
    [30] = "SeCreateGlobalPrivilege", [31] = "SeTrustedCredManAccessPrivilege",
    [32] = "SeRelabelPrivilege", [33] = "SeIncreaseWorkingSetPrivilege",
    [34] = "SeTimeZonePrivilege", [35] = "SeCreateSymbolicLinkPrivilege",
    [36] = "SeDelegateSessionUserImpersonatePrivilege",
};

static BOOL same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return FALSE;
    return *a == *b;
}

BOOL WINAPI OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle)
{
    NTSTATUS st = NtOpenProcessToken(ProcessHandle, DesiredAccess, TokenHandle);
    return NT_SUCCESS(st) ? TRUE : k32_fail_status(st);
}

/* Names compare in any case, as Windows's LSA does; lpSystemName must name
 * this system (NULL or ""): there are no others. */
BOOL WINAPI LookupPrivilegeValueA(LPCSTR lpSystemName, LPCSTR lpName, PLUID lpLuid)
{
    if (lpSystemName && *lpSystemName)
        return k32_fail(ERROR_NOT_SUPPORTED);
    for (unsigned i = 0; lpName && i < sizeof privilege_names / sizeof privilege_names[0]; i++)
        if (privilege_names[i] && same_name(privilege_names[i], lpName)) {
            lpLuid->LowPart = i;
            lpLuid->HighPart = 0;
            return TRUE;
        }
    return k32_fail(ERROR_NO_SUCH_PRIVILEGE);
}

/* TRUE when the call worked, with the last error ERROR_NOT_ALL_ASSIGNED if
 * a privilege named is not held (nothing else changes for it), else
 * ERROR_SUCCESS - as Microsoft documents. */
BOOL WINAPI AdjustTokenPrivileges(HANDLE TokenHandle, WINBOOL DisableAllPrivileges,
                                  PTOKEN_PRIVILEGES NewState, DWORD BufferLength,
                                  PTOKEN_PRIVILEGES PreviousState, PDWORD ReturnLength)
{
    NTSTATUS st = NtAdjustPrivilegesToken(TokenHandle, (BOOLEAN)(DisableAllPrivileges != 0),
                                          NewState, BufferLength, PreviousState, ReturnLength);
    if (!NT_SUCCESS(st))
        return k32_fail_status(st);
    SetLastError(st == NTK_STATUS_NOT_ALL_ASSIGNED ? ERROR_NOT_ALL_ASSIGNED : ERROR_SUCCESS);
    return TRUE;
}
