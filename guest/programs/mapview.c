/*
 * mapview - two processes share a mapped file of the data volume
 * (docs/programs.md, "mapview"):
 *
 *     mmulab run --data data.tar mapview [FILE]      (FILE: mapview.dat)
 *
 * The parent opens FILE, makes a named file mapping of it and maps a view;
 * it starts a second copy of itself ("mapview.exe writer"), which opens the
 * mapping by name, maps its own view and writes a message into it, with its
 * view's address and physical frame (NtkQueryPhysicalAddress, this
 * kernel's diagnostic service).  The parent reads the message through its
 * own view - the same frame - and acknowledges it through the shared page;
 * the child unmaps its view (its dirty page goes back to the file) and
 * exits.  The parent then maps a FILE_MAP_COPY view and writes into it: a
 * private copy, which the file never sees.  After every view is unmapped,
 * FILE in the archive on the host holds the child's message (the tests
 * extract it and look).  Exit status 0 when every step came out so.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "guest/ntdll/ntdll.h"

#define MAPPING "mapview-demo"
#define COPY_TEXT "a private copy"

/* The first bytes of the file while the demo runs. */
struct shared_page {
    char message[64];
    ULONG64 child_frame;
    ULONG64 child_view;
    volatile LONG ack;
};

static ULONG64 frame_of(HANDLE process, const void *p)
{
    ULONG64 pa = 0;
    return NT_SUCCESS(NtkQueryPhysicalAddress(process, (PVOID)p, &pa)) ? pa & ~4095ull : 0;
}

static const char *protect_name(DWORD p)
{
    return p == PAGE_READWRITE ? "READWRITE" : p == PAGE_WRITECOPY ? "WRITECOPY"
         : p == PAGE_READONLY ? "READONLY" : "other";
}

static int writer(void)
{
    HANDLE m = OpenFileMappingA(FILE_MAP_WRITE, FALSE, MAPPING);
    struct shared_page *v = m ? MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0) : NULL;
    if (!v) {
        printf("child: cannot open the mapping: error %lu\n", GetLastError());
        return 2;
    }
    snprintf(v->message, sizeof v->message, "written by process %lu", GetCurrentProcessId());
    v->child_view = (ULONG64)(ULONG_PTR)v;
    v->child_frame = frame_of(GetCurrentProcess(), v);
    printf("child %lu: mapped %s at %p, frame 0x%llx; wrote \"%s\"\n", GetCurrentProcessId(),
           MAPPING, (void *)v, v->child_frame, v->message);
    for (int i = 0; i < 10000 && !v->ack; i++)
        Sleep(1);
    BOOL ok = v->ack && UnmapViewOfFile(v) && CloseHandle(m);
    return ok ? 0 : 3;
}

/* The parent's view, described as VirtualQuery reports it. */
static void describe(const char *file, DWORD size, const void *view)
{
    MEMORY_BASIC_INFORMATION mbi;
    VirtualQuery(view, &mbi, sizeof mbi);
    printf("mapview: %s, %lu bytes, mapped at %p: %s, %s, %llu bytes, allocation base %p\n", file,
           size, view, mbi.Type == MEM_MAPPED ? "MEM_MAPPED" : "not MEM_MAPPED",
           protect_name(mbi.Protect), (unsigned long long)mbi.RegionSize, mbi.AllocationBase);
}

static BOOL start_writer(PROCESS_INFORMATION *pi)
{
    STARTUPINFOA si = { .cb = sizeof si };
    char cmd[] = "mapview.exe writer";
    if (CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, pi))
        return TRUE;
    printf("CreateProcessA failed: error %lu\n", GetLastError());
    return FALSE;
}

/* A FILE_MAP_COPY view: its write is the process's own. */
static BOOL copy_view(HANDLE m, const struct shared_page *shared)
{
    char *c = MapViewOfFile(m, FILE_MAP_COPY, 0, 0, 0);
    if (!c)
        return FALSE;
    volatile char touch = c[0]; /* a read: the page comes in, still the file's */
    (void)touch;
    ULONG64 before = frame_of(GetCurrentProcess(), c);
    strcpy(c, COPY_TEXT);
    ULONG64 after = frame_of(GetCurrentProcess(), c);
    printf("parent: FILE_MAP_COPY view at %p: frame 0x%llx, after writing \"%s\" 0x%llx; the "
           "shared view still reads \"%s\"\n", (void *)c, before, c, after, shared->message);
    BOOL ok = before == frame_of(GetCurrentProcess(), shared) && after != before &&
              !strcmp(c, COPY_TEXT) && strcmp(shared->message, COPY_TEXT);
    return UnmapViewOfFile(c) && ok;
}

/* The file's first bytes, read from the volume (nothing has it open). */
static BOOL read_back(const char *file, char *text, DWORD len)
{
    DWORD got = 0;
    HANDLE f = CreateFileA(file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    BOOL ok = f != INVALID_HANDLE_VALUE && ReadFile(f, text, len - 1, &got, NULL);
    text[got] = 0;
    return ok && CloseHandle(f);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "writer"))
        return writer();
    const char *file = argc > 1 ? argv[1] : "mapview.dat";
    HANDLE f = CreateFileA(file, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                           NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD size = f != INVALID_HANDLE_VALUE ? GetFileSize(f, NULL) : 0;
    if (f == INVALID_HANDLE_VALUE || size < sizeof(struct shared_page)) {
        printf("mapview: cannot open %s (error %lu) or it is smaller than %u bytes.  It needs a "
               "data volume holding it, for example:\n"
               "    head -c 4096 /dev/zero > %s && tar --format=ustar -cf data.tar %s\n"
               "    mmulab run --data data.tar mapview\n", file, GetLastError(),
               (unsigned)sizeof(struct shared_page), file, file);
        return 2;
    }
    HANDLE m = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, MAPPING);
    struct shared_page *v = m ? MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
    if (!v) {
        printf("mapview: cannot map %s: error %lu\n", file, GetLastError());
        return 2;
    }
    describe(file, size, v);
    printf("  the file begins \"%.20s\"\n", v->message);
    memset(v, 0, sizeof *v);
    PROCESS_INFORMATION pi;
    if (!start_writer(&pi))
        return 2;
    for (int i = 0; i < 10000 && !v->child_frame; i++)
        Sleep(1);
    ULONG64 mine = frame_of(GetCurrentProcess(), v);
    BOOL ok = v->child_frame && mine == v->child_frame;
    printf("parent: reads \"%s\" through its view at %p, frame 0x%llx, the child's 0x%llx: %s\n",
           v->message, (void *)v, mine, v->child_frame, ok ? "shared" : "DIFFERENT");
    ok &= copy_view(m, v);
    v->ack = 1;
    DWORD code = 99;
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    char message[64], text[64] = "";
    strcpy(message, v->message);
    ok &= code == 0 && UnmapViewOfFile(v) && CloseHandle(m) && CloseHandle(f);
    ok &= read_back(file, text, sizeof text) && !strcmp(text, message);
    printf("child exited %lu; every view unmapped; read back from the disk, %s holds \"%s\"\n",
           code, file, text);
    printf("%s\n", ok ? "mapview: as expected" : "mapview: UNEXPECTED");
    return ok ? 0 : 1;
}
