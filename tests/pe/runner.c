/*
 * runner - a helper for the tests of `mmulab run PROGRAM` (test_run.sh):
 *
 *   runner exit N          exit with N (any 32-bit value)
 *   runner spawn CMDLINE   run CMDLINE (a program of the volume) and exit with
 *                          its exit code, or with 99 if CreateProcessA fails
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exit")) {
        printf("runner: exiting with %s\n", argv[2]);
        return (int)strtoul(argv[2], NULL, 0);
    }
    if (argc >= 3 && !strcmp(argv[1], "spawn")) {
        char *line = strstr(GetCommandLineA(), " spawn ") + 7;
        STARTUPINFOA si = { .cb = sizeof si };
        PROCESS_INFORMATION pi;
        DWORD code = 0;
        if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
            printf("runner: CreateProcessA(\"%s\") failed: error %lu\n", line, GetLastError());
            return 99;
        }
        WaitForSingleObject(pi.hProcess, INFINITE);
        GetExitCodeProcess(pi.hProcess, &code);
        printf("runner: %s exited with %lu\n", line, code);
        return (int)code;
    }
    printf("usage: runner exit N | runner spawn CMDLINE\n");
    return 2;
}
