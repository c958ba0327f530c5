/*
 * hello - the smallest demonstration: a PE program built with mingw-w64
 * against <windows.h> and our runtime.  Prints its command line's
 * arguments, its process and thread IDs and where it was loaded, and exits
 * with 0.  It uses only calls Windows has, so the same file builds for
 * Windows (tests/pe/meson.build checks that it does).
 */
#include <windows.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from a PE32+ program (process %lu, thread %lu)\n", GetCurrentProcessId(),
           GetCurrentThreadId());
    printf("loaded at %p; %d argument%s:\n", (void *)GetModuleHandleA(NULL), argc,
           argc == 1 ? "" : "s");
    for (int i = 0; i < argc; i++)
        printf("  argv[%d] = \"%s\"\n", i, argv[i]);
    return 0;
}
