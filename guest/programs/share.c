/*
 * share - code sharing and copy-on-write between two processes of one image
 * (docs/programs.md, "share").  The parent starts a second copy of itself
 * ("share.exe child"), which touches the same pages and waits.  Through
 * NtkQueryPhysicalAddress (this kernel's diagnostic service: the frame
 * behind a resident page of any process) the parent compares the frames
 * behind a code page of share.exe, a data page of share.exe (.data,
 * PAGE_WRITECOPY: nobody has written it) and a code page of ntdll.dll in
 * both processes: the same frames - the image's pages, brought in from the
 * file once.  Then the parent writes its data page: the write makes it a
 * private copy (PAGE_READWRITE now), so the parent's data frame changes
 * while the child's stays the image's; the code frames stay shared.
 * Exit status 0 when every comparison comes out so.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "guest/ntdll/ntdll.h"

#define PAGE_OF(a) ((void *)((ULONG_PTR)(a) & ~(ULONG_PTR)4095))

/* Initialised, so in .data (not .bss): a page backed by the image file. */
volatile LONG shared_counter = 1234;

static int __attribute__((noinline)) code_probe(int x)
{
    return x * 3 + 1;
}

struct pages {
    void *code, *data, *ntdll;
};

static struct pages our_pages(void)
{
    struct pages p = { PAGE_OF(code_probe), PAGE_OF(&shared_counter), PAGE_OF(NtClose) };
    return p;
}

/* Bring the pages in (reads: the data page stays the image's). */
static LONG touch(const struct pages *p)
{
    return *(volatile BYTE *)p->code + *(volatile BYTE *)p->ntdll + shared_counter +
           code_probe(1);
}

static ULONG64 frame(HANDLE process, void *page)
{
    ULONG64 pa = 0;
    return NT_SUCCESS(NtkQueryPhysicalAddress(process, page, &pa)) ? pa & ~4095ull : 0;
}

static int child(void)
{
    struct pages p = our_pages();
    touch(&p);
    Sleep(60000); /* the parent ends us long before */
    return 0;
}

static const char *protect_name(void *page)
{
    MEMORY_BASIC_INFORMATION m;
    if (!VirtualQuery(page, &m, sizeof m))
        return "?";
    return m.Protect == PAGE_WRITECOPY ? "PAGE_WRITECOPY"
         : m.Protect == PAGE_READWRITE ? "PAGE_READWRITE"
         : m.Protect == PAGE_EXECUTE_READ ? "PAGE_EXECUTE_READ" : "other";
}

static BOOL compare(const char *what, void *page, HANDLE kid, BOOL want_shared)
{
    ULONG64 mine = frame(GetCurrentProcess(), page), theirs = frame(kid, page);
    BOOL shared = mine && mine == theirs;
    printf("  %-16s %p  parent frame 0x%llx, child frame 0x%llx: %s\n", what, page, mine, theirs,
           shared ? "shared" : "different");
    return mine && theirs && shared == want_shared;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();
    struct pages p = our_pages();
    touch(&p);
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    char cmd[] = "share.exe child";
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        printf("CreateProcessA failed: error %lu\n", GetLastError());
        return 2;
    }
    /* Wait until the child has brought its pages in. */
    for (int i = 0; i < 1000 && !(frame(pi.hProcess, p.code) && frame(pi.hProcess, p.data) &&
                                  frame(pi.hProcess, p.ntdll)); i++)
        Sleep(1);
    printf("two processes of share.exe (parent %lu, child %lu):\n", GetCurrentProcessId(),
           pi.dwProcessId);
    BOOL ok = compare("code (.text)", p.code, pi.hProcess, TRUE);
    ok &= compare("data (.data)", p.data, pi.hProcess, TRUE);
    ok &= compare("ntdll code", p.ntdll, pi.hProcess, TRUE);
    printf("  the parent's data page is %s\n", protect_name(p.data));
    BOOL before_cow = !strcmp(protect_name(p.data), "PAGE_WRITECOPY");

    shared_counter++; /* the first write: a private copy */
    printf("after the parent writes its data page (now %s):\n", protect_name(p.data));
    ok &= compare("code (.text)", p.code, pi.hProcess, TRUE);
    ok &= compare("data (.data)", p.data, pi.hProcess, FALSE);
    ok &= compare("ntdll code", p.ntdll, pi.hProcess, TRUE);
    ok &= before_cow && !strcmp(protect_name(p.data), "PAGE_READWRITE");

    TerminateProcess(pi.hProcess, 0);
    WaitForSingleObject(pi.hProcess, INFINITE);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    printf("%s\n", ok ? "share: as expected" : "share: UNEXPECTED");
    return ok ? 0 : 1;
}
