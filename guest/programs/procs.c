/*
 * procs - process and thread IDs (docs/programs.md, "procs").  IDs come
 * from one table, are multiples of 4 and are reused once their process or
 * thread is gone (exited and its last handle closed).  The program prints
 * its own IDs; runs three threads (their IDs, exit codes through
 * GetExitCodeThread); starts a child ("procs.exe child 7"), which reports
 * STILL_ACTIVE while it runs and exits with 7; closes its handles; and
 * starts a second child, which gets the first one's process ID back.
 * Exit status 0 when every ID and exit code is as expected.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 3

static DWORD WINAPI worker(LPVOID arg)
{
    printf("  thread %lu running (thread %d of %d)\n", GetCurrentThreadId(), (int)(INT_PTR)arg,
           THREADS);
    return 100 + (DWORD)(INT_PTR)arg;
}

static BOOL run_threads(void)
{
    HANDLE h[THREADS];
    DWORD ids[THREADS], code;
    BOOL ok = TRUE;
    for (int i = 0; i < THREADS; i++) {
        h[i] = CreateThread(NULL, 0, worker, (LPVOID)(INT_PTR)(i + 1), 0, &ids[i]);
        ok &= h[i] != NULL;
    }
    for (int i = 0; i < THREADS && ok; i++) {
        WaitForSingleObject(h[i], INFINITE);
        ok &= GetExitCodeThread(h[i], &code) && code == 100u + (DWORD)i + 1;
        printf("  thread %lu exited with %lu\n", ids[i], code);
        ok &= ids[i] % 4 == 0 && ids[i] != GetCurrentThreadId();
        CloseHandle(h[i]);
    }
    return ok;
}

/* Start "procs.exe child CODE"; wait; return its process ID (0 on failure). */
static DWORD run_child(int code, BOOL *ok)
{
    char cmd[64];
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    DWORD status;
    snprintf(cmd, sizeof cmd, "procs.exe child %d", code);
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        printf("CreateProcessA(%s) failed: error %lu\n", cmd, GetLastError());
        *ok = FALSE;
        return 0;
    }
    GetExitCodeProcess(pi.hProcess, &status);
    printf("  started process %lu (thread %lu); exit code while it runs: %lu%s\n",
           pi.dwProcessId, pi.dwThreadId, status, status == STILL_ACTIVE ? " (STILL_ACTIVE)" : "");
    *ok &= status == STILL_ACTIVE && pi.dwProcessId % 4 == 0 && pi.dwThreadId % 4 == 0;
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &status);
    printf("  process %lu exited with %lu\n", pi.dwProcessId, status);
    *ok &= status == (DWORD)code;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return pi.dwProcessId;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        printf("  child: process %lu, thread %lu, exiting with %s\n", GetCurrentProcessId(),
               GetCurrentThreadId(), argv[2]);
        Sleep(20);
        return atoi(argv[2]);
    }
    DWORD pid = GetCurrentProcessId(), tid = GetCurrentThreadId();
    printf("procs: process %lu, thread %lu\n", pid, tid);
    BOOL ok = pid % 4 == 0 && tid % 4 == 0 && pid != tid;
    printf("three threads:\n");
    ok &= run_threads();
    printf("a child process:\n");
    DWORD first = run_child(7, &ok);
    printf("another, after the first is gone and its handles are closed:\n");
    DWORD second = run_child(9, &ok);
    printf("process ID %lu %s\n", second, second == first ? "reused" : "NOT reused");
    ok &= first && second == first;
    printf("%s\n", ok ? "procs: as expected" : "procs: UNEXPECTED");
    return ok ? 0 : 1;
}
