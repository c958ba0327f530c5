/*
 * crt0.c - mainCRTStartup, the entry point of our programs (mingw-w64's
 * name for it; the link sets it with -e).  The kernel starts the first
 * thread here with RCX = the PEB and RSP as after a call (shared/nt/
 * process.h); we take the command line from the PEB through
 * GetCommandLineA, split it as Microsoft's C startup code does (args.c),
 * call main(argc, argv, envp) and end the process with its result, as
 * exit() would.  There is no environment: envp is an empty list.
 */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "guest/crt/args.h"

int main(int argc, char **argv, char **envp);
void mainCRTStartup(void);
void __main(void);

/*
 * gcc makes main call __main first, to run the global constructors
 * (__attribute__((constructor)), C++ statics): the functions the linker
 * lists in __CTOR_LIST__ (a count or -1, the pointers, a NULL), run last
 * first as mingw's runtime does.  Once only.
 */
typedef void (*ctor_fn)(void);
extern ctor_fn __CTOR_LIST__[];

void __main(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    size_t n = 0;
    while (__CTOR_LIST__[n + 1])
        n++;
    for (; n > 0; n--)
        __CTOR_LIST__[n]();
}

void mainCRTStartup(void)
{
    static char *no_environment[] = { NULL };
    const char *line = GetCommandLineA();
    size_t argc = crt_split_command_line(line, NULL, NULL);
    char **argv = HeapAlloc(GetProcessHeap(), 0, (argc + 1) * sizeof *argv + strlen(line) + 1);
    if (!argv)
        ExitProcess(ERROR_NOT_ENOUGH_MEMORY);
    crt_split_command_line(line, argv, (char *)(argv + argc + 1));
    exit(main((int)argc, argv, no_environment));
}
