/*
 * test_mapped.c - files, file mappings and large pages from user mode, on
 * the data volume tests/pe/test_mapped.py builds (`mmulab run --data`):
 *
 *   test_mapped.exe files     CreateFileA, ReadFile, WriteFile, sizes, the
 *                             file pointer, share access, read-only files;
 *                             CreateFileMappingA of files and of the paging
 *                             file, sizes, protections, names,
 *                             OpenFileMappingA, MapViewOfFile READ / WRITE /
 *                             COPY, VirtualQuery of views, 64 KB offsets,
 *                             FlushViewOfFile and UnmapViewOfFile writing
 *                             back, two processes sharing a view
 *   test_mapped.exe pressure  (--ram 32M) large pages: the privilege, sizes,
 *                             contiguity, VirtualQuery, VirtualFree; a large
 *                             page and a file view's dirty pages stay put
 *                             while a child pages hard, and the dirty pages
 *                             go to the file on the flush, not before and
 *                             not to the paging file; no contiguous run
 *   test_mapped.exe huge      (--ram 2G) a 1 GB page
 *
 * The files (test_mapped.py makes them; byte i of a patterned file is
 * pattern(i)): rw.dat, ro.dat (read-only), empty.dat, small.dat,
 * host.dat and press.dat (zeros).  The host checks what host.dat holds
 * after the run.  The program is its own child: "child NAME" writes into a
 * named mapping and exits with its view mapped; "hog MB" touches MB
 * megabytes twice.
 */
#define NTDDI_VERSION 0x0A000006 /* VirtualAlloc2 */
#include <windows.h>

#include <psapi.h>

#include <stdio.h>
#include <string.h>

#include "guest/ntdll/ntdll.h"
#include "tests/pe/tap.h"

#define PAGE 4096u
#define GRANULE 0x10000u
#define LARGE (2u << 20)
#define RW_SIZE (3 * GRANULE + 5000)
#define RO_SIZE 5000u
#define SMALL_SIZE 100u
#define HOST_PAGES 3
#define PRESS_PAGES 16

static BYTE pattern(DWORD i)
{
    return (BYTE)(i * 131 + (i >> 8));
}

static BOOL is_pattern(const BYTE *p, DWORD from, DWORD n)
{
    for (DWORD i = 0; i < n; i++)
        if (p[i] != pattern(from + i))
            return FALSE;
    return TRUE;
}

static struct ntk_system_memory memory(void)
{
    struct ntk_system_memory m;
    NtkQuerySystemMemory(&m);
    return m;
}

static ULONG64 physical(HANDLE process, const void *p)
{
    ULONG64 pa = 0;
    return NT_SUCCESS(NtkQueryPhysicalAddress(process, (PVOID)p, &pa)) ? pa : 0;
}

static SIZE_T working_set(void)
{
    PROCESS_MEMORY_COUNTERS c = { .cb = sizeof c };
    K32GetProcessMemoryInfo(GetCurrentProcess(), &c, sizeof c);
    return c.WorkingSetSize;
}

static HANDLE open_file(const char *name, DWORD access, DWORD share)
{
    return CreateFileA(name, access, share, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
}

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi = { 0 };
    VirtualQuery(p, &mbi, sizeof mbi);
    return mbi;
}

static HANDLE spawn(const char *args)
{
    return spawn_child("test_mapped.exe", args);
}

static DWORD wait_child(HANDLE h)
{
    DWORD code = 99;
    if (!h)
        return 98;
    WaitForSingleObject(h, INFINITE);
    GetExitCodeProcess(h, &code);
    CloseHandle(h);
    return code;
}

/* ---- files ---------------------------------------------------------------------------- */

static void file_reads(HANDLE f)
{
    BYTE buf[1000];
    DWORD got = 7, high = 1;
    LARGE_INTEGER size;
    tap_eq(GetFileSize(f, &high), RW_SIZE, "GetFileSize");
    tap_ok(high == 0 && GetFileSizeEx(f, &size) && size.QuadPart == RW_SIZE,
           "GetFileSizeEx; the high part 0");
    tap_ok(ReadFile(f, buf, sizeof buf, &got, NULL) && got == sizeof buf &&
           is_pattern(buf, 0, sizeof buf), "ReadFile: 1000 bytes from the start, the file's");
    tap_eq(SetFilePointer(f, 0, NULL, FILE_CURRENT), sizeof buf, "the pointer follows the read");
    tap_eq(SetFilePointer(f, -10, NULL, FILE_END), RW_SIZE - 10, "SetFilePointer FILE_END -10");
    tap_ok(ReadFile(f, buf, sizeof buf, &got, NULL) && got == 10 &&
           is_pattern(buf, RW_SIZE - 10, 10), "a read across the end: the 10 bytes there are");
    got = 7;
    tap_ok(ReadFile(f, buf, sizeof buf, &got, NULL) && got == 0,
           "a read at the end: TRUE with 0 bytes (synchronous end of file)");
    SetLastError(0);
    tap_ok(SetFilePointer(f, -1, NULL, FILE_BEGIN) == INVALID_SET_FILE_POINTER &&
           GetLastError() == ERROR_NEGATIVE_SEEK, "a negative position: ERROR_NEGATIVE_SEEK");
    LARGE_INTEGER to = { .QuadPart = 1ll << 33 }, now;
    tap_ok(SetFilePointerEx(f, to, &now, FILE_BEGIN) && now.QuadPart == to.QuadPart,
           "SetFilePointerEx past the end (8 GB) is allowed");
    tap_ok(SetFilePointer(f, 0, NULL, FILE_CURRENT) == INVALID_SET_FILE_POINTER &&
           GetLastError() == ERROR_INVALID_PARAMETER,
           "...SetFilePointer without a high part cannot return it: ERROR_INVALID_PARAMETER");
    got = 7;
    tap_ok(ReadFile(f, buf, sizeof buf, &got, NULL) && got == 0, "reading there: 0 bytes");
}

static void file_writes(HANDLE f)
{
    char back[8] = "";
    DWORD n = 0;
    LONG high = 0;
    tap_eq(SetFilePointer(f, 70000, &high, FILE_BEGIN), 70000, "SetFilePointer with a high part");
    tap_ok(WriteFile(f, "hello", 5, &n, NULL) && n == 5, "WriteFile: 5 bytes at 70000");
    SetFilePointer(f, 70000, NULL, FILE_BEGIN);
    tap_ok(ReadFile(f, back, 5, &n, NULL) && n == 5 && !memcmp(back, "hello", 5),
           "...read back");
    SetFilePointer(f, RW_SIZE - 2, NULL, FILE_BEGIN);
    tap_error(WriteFile(f, "12345", 5, &n, NULL), ERROR_DISK_FULL,
              "a write past the end (files keep their sizes here)");
    SetFilePointer(f, RW_SIZE - 2, NULL, FILE_BEGIN);
    tap_ok(ReadFile(f, back, 5, &n, NULL) && n == 2 && is_pattern((BYTE *)back, RW_SIZE - 2, 2),
           "...and writes nothing");
    tap_ok(WriteFile(f, "", 0, &n, NULL) && n == 0, "a write of 0 bytes succeeds");
    SetFilePointer(f, 0, NULL, FILE_BEGIN);
}

static void file_sharing(void)
{
    HANDLE a = open_file("rw.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ);
    tap_ok(a != INVALID_HANDLE_VALUE, "rw.dat for reading and writing, sharing reads");
    tap_error((ULONG_PTR)(open_file("rw.dat", GENERIC_READ, FILE_SHARE_READ) !=
                          INVALID_HANDLE_VALUE), ERROR_SHARING_VIOLATION,
              "a second open that does not share writing with a writer");
    tap_error((ULONG_PTR)(open_file("rw.dat", GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE) !=
                          INVALID_HANDLE_VALUE), ERROR_SHARING_VIOLATION,
              "a second writer when the first shares only reading");
    HANDLE b = open_file("RW.DAT", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE);
    tap_ok(b != INVALID_HANDLE_VALUE, "a reader sharing both: allowed (names in any case)");
    HANDLE c = open_file("rw.dat", 0, 0);
    tap_ok(c != INVALID_HANDLE_VALUE, "an open for neither reading nor writing takes no part");
    BYTE x;
    DWORD n;
    tap_error(ReadFile(c, &x, 1, &n, NULL), ERROR_ACCESS_DENIED, "...and cannot read");
    tap_error(WriteFile(b, "x", 1, &n, NULL), ERROR_ACCESS_DENIED, "WriteFile on a read handle");
    CloseHandle(a);
    CloseHandle(b);
    CloseHandle(c);
    HANDLE d = open_file("rw.dat", GENERIC_WRITE, 0);
    tap_ok(d != INVALID_HANDLE_VALUE, "after they close: an exclusive open");
    tap_error(ReadFile(d, &x, 1, &n, NULL), ERROR_ACCESS_DENIED, "ReadFile on a write handle");
    CloseHandle(d);
    tap_error(ReadFile(d, &x, 1, &n, NULL), ERROR_INVALID_HANDLE, "ReadFile on a closed handle");
}

static void file_opens(void)
{
    HANDLE h;
    tap_error((ULONG_PTR)(open_file("ro.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ) !=
                          INVALID_HANDLE_VALUE), ERROR_ACCESS_DENIED,
              "a read-only file for writing");
    h = open_file("ro.dat", GENERIC_READ, FILE_SHARE_READ);
    tap_ok(h != INVALID_HANDLE_VALUE && GetFileSize(h, NULL) == RO_SIZE,
           "a read-only file for reading: its size");
    CloseHandle(h);
    tap_error((ULONG_PTR)(open_file("nosuch.dat", GENERIC_READ, 0) != INVALID_HANDLE_VALUE),
              ERROR_FILE_NOT_FOUND, "a file that does not exist");
    h = CreateFileA("rw.dat", GENERIC_READ, 0, NULL, CREATE_NEW, 0, NULL);
    tap_error((ULONG_PTR)(h != INVALID_HANDLE_VALUE), ERROR_FILE_EXISTS, "CREATE_NEW of a file");
    h = CreateFileA("rw.dat", GENERIC_READ, 0, NULL, CREATE_ALWAYS, 0, NULL);
    tap_error((ULONG_PTR)(h != INVALID_HANDLE_VALUE), ERROR_NOT_SUPPORTED,
              "CREATE_ALWAYS would replace it: not supported (sizes are fixed)");
    h = CreateFileA("C:\\any\\dir\\rw.dat", GENERIC_READ, 0, NULL, OPEN_ALWAYS, 0, NULL);
    tap_ok(h != INVALID_HANDLE_VALUE && GetLastError() == ERROR_ALREADY_EXISTS,
           "OPEN_ALWAYS of an existing file (by base name): ERROR_ALREADY_EXISTS");
    CloseHandle(h);
    h = CreateFileA("rw.dat", GENERIC_READ, 0, NULL, 6, 0, NULL);
    tap_error((ULONG_PTR)(h != INVALID_HANDLE_VALUE), ERROR_INVALID_PARAMETER,
              "an unknown disposition");
}

static void files(void)
{
    HANDLE f = open_file("rw.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ);
    tap_ok(f != INVALID_HANDLE_VALUE && GetLastError() == ERROR_SUCCESS,
           "CreateFileA(rw.dat, OPEN_EXISTING): the last error ERROR_SUCCESS");
    file_reads(f);
    file_writes(f);
    CloseHandle(f);
    file_sharing();
    file_opens();
}

/* ---- mappings of files -------------------------------------------------------------- */

static void mapping_errors(void)
{
    HANDLE e = open_file("empty.dat", GENERIC_READ, FILE_SHARE_READ);
    tap_error((ULONG_PTR)CreateFileMappingA(e, NULL, PAGE_READONLY, 0, 0, NULL), ERROR_FILE_INVALID,
              "a mapping of an empty file, size 0");
    CloseHandle(e);
    HANDLE ro = open_file("ro.dat", GENERIC_READ, FILE_SHARE_READ);
    tap_error((ULONG_PTR)CreateFileMappingA(ro, NULL, PAGE_READWRITE, 0, 0, NULL),
              ERROR_ACCESS_DENIED, "PAGE_READWRITE of a file opened for reading");
    tap_error((ULONG_PTR)CreateFileMappingA(ro, NULL, PAGE_READONLY, 0, RO_SIZE + 1, NULL),
              ERROR_NOT_ENOUGH_MEMORY, "a read-only mapping larger than its file "
              "(STATUS_SECTION_TOO_BIG)");
    tap_error((ULONG_PTR)CreateFileMappingA(ro, NULL, PAGE_NOACCESS, 0, 0, NULL),
              ERROR_INVALID_PARAMETER, "PAGE_NOACCESS is not a mapping's protection");
    tap_error((ULONG_PTR)CreateFileMappingA(ro, NULL, PAGE_READONLY | PAGE_GUARD, 0, 0, NULL),
              ERROR_INVALID_PARAMETER, "nor PAGE_GUARD");
    tap_error((ULONG_PTR)CreateFileMappingA(ro, NULL, PAGE_READONLY | SEC_IMAGE | SEC_COMMIT, 0, 0,
                                            NULL), ERROR_INVALID_PARAMETER,
              "SEC_IMAGE with SEC_COMMIT");
    tap_error((ULONG_PTR)CreateFileMappingA(NULL, NULL, PAGE_READONLY, 0, 0, NULL),
              ERROR_INVALID_HANDLE, "a NULL file handle");
    HANDLE small = open_file("small.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ);
    tap_error((ULONG_PTR)CreateFileMappingA(small, NULL, PAGE_READWRITE, 0, PAGE, NULL),
              ERROR_DISK_FULL, "a writable mapping larger than its file would extend it: "
              "ERROR_DISK_FULL here");
    CloseHandle(small);
    CloseHandle(ro);
}

/* ro.dat through a read-only mapping: reads, no writes, a private copy. */
static void readonly_views(void)
{
    HANDLE f = open_file("ro.dat", GENERIC_READ, FILE_SHARE_READ);
    HANDLE m = CreateFileMappingA(f, NULL, PAGE_READONLY, 0, 0, NULL);
    tap_ok(m && GetLastError() == ERROR_SUCCESS, "a PAGE_READONLY mapping of ro.dat");
    tap_error((ULONG_PTR)MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0), ERROR_ACCESS_DENIED,
              "FILE_MAP_WRITE of a PAGE_READONLY mapping");
    BYTE *v = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
    MEMORY_BASIC_INFORMATION mbi = query(v);
    tap_ok(v && is_pattern(v, 0, RO_SIZE) && v[RO_SIZE] == 0 && v[2 * PAGE - 1] == 0,
           "FILE_MAP_READ: the file, zeros after its end in the last page");
    tap_ok(mbi.Type == MEM_MAPPED && mbi.Protect == PAGE_READONLY && mbi.RegionSize == 2 * PAGE &&
           mbi.AllocationProtect == PAGE_READONLY, "VirtualQuery: MEM_MAPPED, PAGE_READONLY, 2 pages");
    tap_ok(v && probe_write(v, 1) == -1 && last_fault.code == EXCEPTION_ACCESS_VIOLATION &&
           last_fault.info0 == 1 && last_fault.info1 == (ULONG_PTR)v,
           "a write to it: an access violation (writing, at the address)");
    BYTE *c = MapViewOfFile(m, FILE_MAP_COPY, 0, 0, 0);
    tap_ok(c && query(c).Protect == PAGE_WRITECOPY, "FILE_MAP_COPY of it: PAGE_WRITECOPY");
    volatile BYTE first = c ? c[1] : 0; /* a read: the page comes in, still the section's */
    (void)first;
    ULONG64 shared = c ? physical(GetCurrentProcess(), c + 1) : 0;
    if (c)
        c[0] = 0xEE;
    tap_ok(c && c[0] == 0xEE && v[0] == pattern(0) && query(c).Protect == PAGE_READWRITE &&
           shared && physical(GetCurrentProcess(), c) != shared - 1 &&
           physical(GetCurrentProcess(), v) == shared - 1,
           "a write to the copy: its own frame, PAGE_READWRITE; the other view keeps the file's");
    tap_ok(UnmapViewOfFile(c) && UnmapViewOfFile(v), "both views unmapped");
    CloseHandle(m);
    CloseHandle(f);
}

static void view_errors(HANDLE m)
{
    tap_error((ULONG_PTR)MapViewOfFile(m, FILE_MAP_READ, 0, PAGE, 0), ERROR_MAPPED_ALIGNMENT,
              "an offset that is not a multiple of 64 KB");
    tap_error((ULONG_PTR)MapViewOfFile(m, FILE_MAP_READ, 0, 0, RW_SIZE + 1), ERROR_ACCESS_DENIED,
              "a view larger than the mapping");
    tap_error((ULONG_PTR)MapViewOfFile(m, FILE_MAP_READ, 0, 4 * GRANULE, 0), ERROR_ACCESS_DENIED,
              "an offset past the mapping's end");
    tap_error((ULONG_PTR)MapViewOfFileEx(m, FILE_MAP_READ, 0, 0, 0, (void *)0x12345000),
              ERROR_MAPPED_ALIGNMENT, "a base address that is not a multiple of 64 KB");
    tap_error((ULONG_PTR)MapViewOfFile(NULL, FILE_MAP_READ, 0, 0, 0), ERROR_INVALID_HANDLE,
              "a NULL mapping handle");
}

/* A view of rw.dat at offset 64 KB, and one at a base the caller names. */
static void offset_views(HANDLE m, const BYTE *whole)
{
    BYTE *at = MapViewOfFile(m, FILE_MAP_READ, 0, GRANULE, PAGE);
    tap_ok(at && query(at).RegionSize == PAGE && is_pattern(at, GRANULE, PAGE),
           "a one-page view at offset 64 KB: the file's bytes there");
    tap_ok(at && physical(GetCurrentProcess(), at) == physical(GetCurrentProcess(), whole + GRANULE),
           "...in the frame the whole view maps there");
    UnmapViewOfFile(at);
    BYTE *want = (BYTE *)0x70000000;
    BYTE *fixed = MapViewOfFileEx(m, FILE_MAP_READ, 0, 2 * GRANULE, 0, want);
    tap_ok(fixed == want && query(fixed).RegionSize == RW_SIZE - 2 * GRANULE + PAGE - 5000 % PAGE &&
           is_pattern(fixed, 2 * GRANULE, 100), "MapViewOfFileEx at a base it names, offset 128 KB");
    tap_error((ULONG_PTR)MapViewOfFileEx(m, FILE_MAP_READ, 0, 0, 0, want), ERROR_INVALID_ADDRESS,
              "a second view at that base");
    UnmapViewOfFile(fixed);
}

/* Writes through one view are the other views' and ReadFile's; flushing
 * writes the dirty pages to the file, once. */
static void writable_views(HANDLE f, HANDLE m)
{
    BYTE *v = MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0), *w = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
    MEMORY_BASIC_INFORMATION mbi = query(v);
    tap_ok(v && mbi.BaseAddress == v && mbi.AllocationBase == v && (ULONG_PTR)v % GRANULE == 0 &&
           mbi.Type == MEM_MAPPED && mbi.State == MEM_COMMIT && mbi.Protect == PAGE_READWRITE &&
           mbi.AllocationProtect == PAGE_READWRITE && mbi.RegionSize == (RW_SIZE + PAGE - 1) / PAGE * PAGE,
           "FILE_MAP_WRITE view: VirtualQuery says MEM_MAPPED, MEM_COMMIT, PAGE_READWRITE, its "
           "own allocation base, 64 KB-aligned, the file's pages");
    tap_ok(v && !memcmp(v + 70000, "hello", 5) && is_pattern(v, 0, 70000),
           "it shows the file, with what WriteFile wrote");
    struct ntk_system_memory m0 = memory();
    memcpy(v + 10, "through the view", 16);
    memcpy(v + PAGE * 5 + 1, "second page", 11);
    char back[16];
    DWORD n;
    SetFilePointer(f, 10, NULL, FILE_BEGIN);
    tap_ok(w && !memcmp(w + 10, "through the view", 16) && ReadFile(f, back, 16, &n, NULL) &&
           !memcmp(back, "through the view", 16),
           "another view and ReadFile see a write through the view at once");
    tap_ok(WriteFile(f, "by WriteFile", 12, &n, NULL) && !memcmp(v + 26, "by WriteFile", 12),
           "...and the view sees WriteFile's");
    tap_eq(memory().mapped_page_writes - m0.mapped_page_writes, 0, "nothing written back yet");
    tap_ok(FlushViewOfFile(v, 0), "FlushViewOfFile(view, 0)");
    struct ntk_system_memory m1 = memory();
    tap_eq(m1.mapped_page_writes - m0.mapped_page_writes, 2, "it wrote the two dirty pages");
    tap_eq(m1.pagefile_writes - m0.pagefile_writes, 0, "none to the paging file");
    tap_ok(FlushViewOfFile(v, 0) && memory().mapped_page_writes == m1.mapped_page_writes,
           "a second flush: nothing left to write");
    v[PAGE * 5 + 100] = 'x';
    tap_ok(FlushViewOfFile(v + PAGE * 5 + 100, 1) && memory().mapped_page_writes ==
           m1.mapped_page_writes + 1, "a flush of one byte writes its page");
    tap_error(FlushViewOfFile(v + 0x100000, 0), ERROR_INVALID_ADDRESS, "a flush outside any view");
    view_errors(m);
    offset_views(m, v);
    tap_ok(UnmapViewOfFile(w + 100), "UnmapViewOfFile at an address inside a view");
    tap_ok(probe_read(w) == -1 && last_fault.code == EXCEPTION_ACCESS_VIOLATION &&
           query(w).State == MEM_FREE, "...it is gone: MEM_FREE, an access violation");
    tap_error(UnmapViewOfFile(w), ERROR_INVALID_ADDRESS, "unmapping it again");
    tap_ok(UnmapViewOfFile(v), "the writable view unmapped");
}

static void file_mappings(void)
{
    mapping_errors();
    readonly_views();
    HANDLE f = open_file("rw.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ);
    HANDLE m = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, NULL);
    tap_ok(m != NULL, "a PAGE_READWRITE mapping of rw.dat, the file's size");
    writable_views(f, m);
    CloseHandle(m);
    CloseHandle(f);
}

/* ---- paging-file mappings and names ---------------------------------------------- */

#define NAME "test-mapped-named"

static void named_mappings(void)
{
    struct ntk_system_memory m0 = memory();
    tap_error((ULONG_PTR)CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0, NAME),
              ERROR_INVALID_PARAMETER, "a paging-file mapping needs a size");
    HANDLE a = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 2 * GRANULE, NAME);
    tap_ok(a && GetLastError() == ERROR_SUCCESS, "a named paging-file mapping of 128 KB");
    tap_eq(memory().commit_charge - m0.commit_charge, 2 * GRANULE / PAGE,
           "it is charged to the commit limit whole");
    HANDLE b = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, PAGE, NAME);
    tap_ok(b && GetLastError() == ERROR_ALREADY_EXISTS, "the same name again: ERROR_ALREADY_EXISTS");
    BYTE *va = MapViewOfFile(a, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    BYTE *vb = MapViewOfFile(b, FILE_MAP_WRITE, 0, 0, 0);
    tap_ok(va && query(va).RegionSize == 2 * GRANULE && va[0] == 0 && va[2 * GRANULE - 1] == 0,
           "its view: 128 KB of zeros");
    tap_ok(vb && query(vb).RegionSize == 2 * GRANULE,
           "...the second handle is the existing object: its size, not the one asked for");
    if (va && vb)
        strcpy((char *)va + PAGE, "shared");
    tap_ok(vb && !strcmp((char *)vb + PAGE, "shared") &&
           physical(GetCurrentProcess(), va + PAGE) == physical(GetCurrentProcess(), vb + PAGE),
           "both views: one frame");
    HANDLE r = OpenFileMappingA(FILE_MAP_READ, FALSE, "Local\\" NAME);
    tap_ok(r != NULL, "OpenFileMappingA(FILE_MAP_READ, \"Local\\\\" NAME "\")");
    tap_error((ULONG_PTR)MapViewOfFile(r, FILE_MAP_WRITE, 0, 0, 0), ERROR_ACCESS_DENIED,
              "FILE_MAP_WRITE through a handle opened for FILE_MAP_READ");
    HANDLE ro = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READONLY, 0, PAGE, NAME);
    tap_error((ULONG_PTR)(ro && GetLastError() == ERROR_ALREADY_EXISTS &&
                          MapViewOfFile(ro, FILE_MAP_WRITE, 0, 0, 0)), ERROR_ACCESS_DENIED,
              "opened again asking PAGE_READONLY: the handle has the rights asked for, a "
              "FILE_MAP_WRITE view");
    CloseHandle(ro);
    tap_error((ULONG_PTR)OpenFileMappingA(FILE_MAP_READ, FALSE, "no-such-mapping"),
              ERROR_FILE_NOT_FOUND, "OpenFileMappingA of a name nobody made");
    tap_error((ULONG_PTR)OpenFileMappingA(FILE_MAP_READ, FALSE, NULL), ERROR_INVALID_PARAMETER,
              "OpenFileMappingA without a name");
    tap_ok(FlushViewOfFile(va, 0), "FlushViewOfFile of a paging-file view: nothing to write, TRUE");
    CloseHandle(a);
    CloseHandle(b);
    CloseHandle(r);
    tap_error((ULONG_PTR)OpenFileMappingA(FILE_MAP_READ, FALSE, NAME), ERROR_FILE_NOT_FOUND,
              "the name goes with the last handle");
    tap_ok(va && !strcmp((char *)va + PAGE, "shared"), "...the views stay, with their contents");
    volatile BYTE sink = 0;
    for (DWORD i = 0; va && i < 2 * GRANULE; i += PAGE)
        sink += va[i]; /* every page of the view resident in this working set */
    (void)sink;
    working_set(); /* once first, so that the measured calls fault nothing in */
    SIZE_T ws1 = working_set();
    UnmapViewOfFile(va);
    SIZE_T ws2 = working_set();
    tap_ok(ws1 - ws2 == 2 * GRANULE, "unmapping the view takes its 32 pages out of the working "
           "set, no more (%llu -> %llu bytes)", (ULONGLONG)ws1, (ULONGLONG)ws2);
    UnmapViewOfFile(vb);
    tap_eq(memory().commit_charge, m0.commit_charge, "the last view gone: the charge is back");
}

/* ---- two processes and write-back to the host ---------------------------------------- */

#define HOST_NAME "test-mapped-host"

static int child(const char *name)
{
    HANDLE m = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, name);
    char *v = m ? MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0) : NULL;
    if (!v)
        return 10;
    if (strcmp(v, "flushed by the parent"))
        return 11;
    strcpy(v + 2 * PAGE, "written by the child");
    return 0; /* the view is still mapped: process exit writes it back */
}

static void two_processes(void)
{
    HANDLE f = open_file("host.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE);
    HANDLE m = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, HOST_NAME);
    char *v = m ? MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0) : NULL;
    tap_ok(v != NULL, "host.dat mapped, named " HOST_NAME);
    if (!v)
        return;
    struct ntk_system_memory m0 = memory();
    strcpy(v, "flushed by the parent");
    tap_ok(FlushViewOfFile(v, PAGE) && memory().mapped_page_writes - m0.mapped_page_writes == 1,
           "page 0 flushed: one page written");
    tap_eq(wait_child(spawn("child " HOST_NAME)), 0,
           "a child opens the mapping, sees page 0, writes page 2 and exits with its view mapped");
    struct ntk_system_memory m1 = memory();
    tap_ok(!strcmp(v + 2 * PAGE, "written by the child"), "the parent's view shows the child's write");
    tap_eq(m1.mapped_page_writes - m0.mapped_page_writes, 2,
           "the child's exit wrote its dirty page back");
    char *copy = MapViewOfFile(m, FILE_MAP_COPY, 0, 0, 0);
    if (copy)
        strcpy(copy + 100, "private, never in the file");
    tap_ok(copy && UnmapViewOfFile(copy) && memory().mapped_page_writes == m1.mapped_page_writes,
           "a FILE_MAP_COPY view written and unmapped: nothing written to the file");
    strcpy(v + PAGE, "unmapped by the parent");
    tap_ok(UnmapViewOfFile(v) && memory().mapped_page_writes - m1.mapped_page_writes == 1,
           "page 1 written, the view unmapped: one page written");
    tap_eq(memory().pagefile_writes - m0.pagefile_writes, 0, "none to the paging file");
    CloseHandle(m);
    char back[HOST_PAGES][32];
    DWORD n;
    BOOL ok = TRUE;
    for (int i = 0; i < HOST_PAGES; i++) {
        SetFilePointer(f, i * PAGE, NULL, FILE_BEGIN);
        ok &= ReadFile(f, back[i], sizeof back[i], &n, NULL) && n == sizeof back[i];
    }
    tap_ok(ok && !strcmp(back[0], "flushed by the parent") && !strcmp(back[1], "unmapped by the parent") &&
           !strcmp(back[2], "written by the child"), "ReadFile reads the three pages back");
    CloseHandle(f);
}

/* ---- large pages --------------------------------------------------------------------- */

static BOOL set_lock_memory(DWORD attributes)
{
    HANDLE token;
    TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };
    tp.Privileges[0].Attributes = attributes;
    BOOL ok = OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token) &&
              LookupPrivilegeValueA(NULL, SE_LOCK_MEMORY_NAME, &tp.Privileges[0].Luid) &&
              AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL) &&
              GetLastError() == ERROR_SUCCESS;
    CloseHandle(token);
    return ok;
}

static void *large(SIZE_T size, DWORD type)
{
    return VirtualAlloc(NULL, size, type | MEM_LARGE_PAGES, PAGE_READWRITE);
}

static void privileges(void)
{
    HANDLE token;
    LUID luid;
    tap_error((ULONG_PTR)large(LARGE, MEM_RESERVE | MEM_COMMIT), ERROR_PRIVILEGE_NOT_HELD,
              "MEM_LARGE_PAGES before SeLockMemoryPrivilege is enabled");
    tap_error(LookupPrivilegeValueA(NULL, "SeNoSuchPrivilege", &luid), ERROR_NO_SUCH_PRIVILEGE,
              "LookupPrivilegeValueA of an unknown name");
    TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    LookupPrivilegeValueA(NULL, SE_DEBUG_NAME, &tp.Privileges[0].Luid);
    tap_ok(OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &token) &&
           AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL) &&
           GetLastError() == ERROR_NOT_ALL_ASSIGNED,
           "enabling a privilege the token does not hold: TRUE, ERROR_NOT_ALL_ASSIGNED");
    CloseHandle(token);
    tap_ok(set_lock_memory(SE_PRIVILEGE_ENABLED), "SeLockMemoryPrivilege enabled");
    tap_eq(GetLargePageMinimum(), LARGE, "GetLargePageMinimum");
}

static BOOL contiguous(const BYTE *p, SIZE_T size, SIZE_T page)
{
    ULONG64 first = 0;
    for (SIZE_T off = 0; off < size; off += PAGE) {
        ULONG64 pa = physical(GetCurrentProcess(), p + off);
        first = off % page ? first : pa;
        if (!pa || first % page || pa != first + off % page)
            return FALSE;
    }
    return TRUE;
}

static void large_errors(void)
{
    tap_error((ULONG_PTR)large(LARGE + PAGE, MEM_RESERVE | MEM_COMMIT), ERROR_INVALID_PARAMETER,
              "a size that is not a multiple of 2 MB");
    tap_error((ULONG_PTR)large(LARGE, MEM_COMMIT), ERROR_INVALID_PARAMETER,
              "MEM_COMMIT without MEM_RESERVE");
    tap_error((ULONG_PTR)large(LARGE, MEM_RESERVE), ERROR_INVALID_PARAMETER,
              "MEM_RESERVE without MEM_COMMIT");
    tap_error((ULONG_PTR)VirtualAlloc((void *)0x10010000, LARGE, MEM_RESERVE | MEM_COMMIT |
                                      MEM_LARGE_PAGES, PAGE_READWRITE), ERROR_INVALID_PARAMETER,
              "a base that is not a multiple of 2 MB");
    tap_error((ULONG_PTR)VirtualAlloc(NULL, LARGE, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES,
                                      PAGE_READWRITE | PAGE_GUARD), ERROR_INVALID_PARAMETER,
              "PAGE_GUARD large pages");
}

/* Touch mb megabytes twice in a child (a hog) while we hold p. */
static DWORD hog(int mb)
{
    char args[32];
    snprintf(args, sizeof args, "hog %d", mb);
    return wait_child(spawn(args));
}

static int hog_child(int mb)
{
    SIZE_T n = (SIZE_T)mb << 20;
    volatile BYTE *p = VirtualAlloc(NULL, n, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!p)
        return 20;
    for (int pass = 0; pass < 2; pass++)
        for (SIZE_T i = 0; i < n; i += PAGE)
            p[i] = (BYTE)(i / PAGE + pass);
    for (SIZE_T i = 0; i < n; i += PAGE)
        if (p[i] != (BYTE)(i / PAGE + 1))
            return 21;
    return 0;
}

static void fill(BYTE *p, SIZE_T n, BYTE seed)
{
    for (SIZE_T i = 0; i < n; i += 64)
        p[i] = (BYTE)(i / 64 + seed);
}

static BOOL filled(const BYTE *p, SIZE_T n, BYTE seed)
{
    for (SIZE_T i = 0; i < n; i += 64)
        if (p[i] != (BYTE)(i / 64 + seed))
            return FALSE;
    return TRUE;
}

/* A file view's dirty pages under the same pressure: kept, written to the
 * file only when flushed. */
struct dirty_view {
    HANDLE f, m;
    BYTE *v;
    ULONG64 frames[PRESS_PAGES];
};

static void dirty_view_begin(struct dirty_view *d)
{
    d->f = open_file("press.dat", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ);
    d->m = CreateFileMappingA(d->f, NULL, PAGE_READWRITE, 0, 0, NULL);
    d->v = d->m ? MapViewOfFile(d->m, FILE_MAP_WRITE, 0, 0, 0) : NULL;
    tap_ok(d->v != NULL, "press.dat mapped for writing");
    for (int i = 0; d->v && i < PRESS_PAGES; i++) {
        memset(d->v + i * PAGE, 'a' + i, PAGE);
        d->frames[i] = physical(GetCurrentProcess(), d->v + i * PAGE);
    }
}

static void dirty_view_end(struct dirty_view *d, const struct ntk_system_memory *m0)
{
    BOOL same = d->v != NULL;
    for (int i = 0; same && i < PRESS_PAGES; i++)
        same = physical(GetCurrentProcess(), d->v + i * PAGE) == d->frames[i] &&
               d->v[i * PAGE + PAGE - 1] == 'a' + i;
    tap_ok(same, "the view's %d dirty pages kept their frames and contents", PRESS_PAGES);
    struct ntk_system_memory m1 = memory();
    tap_eq(m1.mapped_page_writes - m0->mapped_page_writes, 0,
           "none of them was written anywhere before the flush");
    tap_ok(d->v && FlushViewOfFile(d->v, 0) &&
           memory().mapped_page_writes - m1.mapped_page_writes == PRESS_PAGES,
           "FlushViewOfFile wrote all %d to the file", PRESS_PAGES);
    BYTE back[PAGE];
    DWORD n;
    SetFilePointer(d->f, 7 * PAGE, NULL, FILE_BEGIN);
    tap_ok(ReadFile(d->f, back, PAGE, &n, NULL) && back[0] == 'a' + 7 && back[PAGE - 1] == 'a' + 7,
           "...ReadFile reads page 7 back");
    UnmapViewOfFile(d->v);
    CloseHandle(d->m);
    CloseHandle(d->f);
}

static void locked_under_pressure(BYTE *p, SIZE_T size)
{
    struct dirty_view d;
    struct ntk_system_memory m0 = memory();
    ULONG64 pa = physical(GetCurrentProcess(), p);
    fill(p, size, 3);
    dirty_view_begin(&d);
    tap_eq(hog(48), 0, "a child touches 48 MB twice on this 32 MB machine");
    struct ntk_system_memory m1 = memory();
    tap_ok(m1.pagefile_writes - m0.pagefile_writes > 2048 && m1.trimmed_pages > m0.trimmed_pages,
           "...it paged hard (%llu paging-file writes, %llu pages trimmed)",
           (unsigned long long)(m1.pagefile_writes - m0.pagefile_writes),
           (unsigned long long)(m1.trimmed_pages - m0.trimmed_pages));
    tap_ok(physical(GetCurrentProcess(), p) == pa && contiguous(p, size, LARGE) &&
           filled(p, size, 3), "the large pages: the same physical address, contents intact");
    dirty_view_end(&d, &m0);
}

/* Large pages until no run is left; then one larger than RAM. */
static void no_run(void)
{
    void *got[32];
    int n = 0;
    while (n < 32 && (got[n] = large(LARGE, MEM_RESERVE | MEM_COMMIT)))
        n++;
    DWORD err = GetLastError();
    struct ntk_system_memory m = memory();
    tap_ok(n > 0 && n < 16 && err == ERROR_NO_SYSTEM_RESOURCES,
           "2 MB pages until no contiguous run is free: %d, then ERROR_NO_SYSTEM_RESOURCES (%lu)",
           n, err);
    tap_eq(m.large_pages, (ULONG64)n, "the statistics count them");
    while (n--)
        VirtualFree(got[n], 0, MEM_RELEASE);
    tap_error((ULONG_PTR)large(64u << 20, MEM_RESERVE | MEM_COMMIT), ERROR_NO_SYSTEM_RESOURCES,
              "64 MB of large pages on a 32 MB machine");
    tap_eq(memory().large_pages, 0, "all released");
}

static void large_pages(void)
{
    privileges();
    large_errors();
    struct ntk_system_memory m0 = memory();
    SIZE_T size = 2 * LARGE;
    BYTE *p = large(size, MEM_RESERVE | MEM_COMMIT);
    MEMORY_BASIC_INFORMATION mbi = query(p + LARGE + 5);
    MEMORY_BASIC_INFORMATION whole = query(p);
    tap_ok(p && (ULONG_PTR)p % LARGE == 0 && contiguous(p, size, LARGE),
           "4 MB of large pages: 2 MB-aligned, each page physically contiguous and aligned");
    tap_ok(whole.BaseAddress == p && whole.AllocationBase == p && whole.RegionSize == size &&
           whole.State == MEM_COMMIT && whole.Type == MEM_PRIVATE &&
           whole.Protect == PAGE_READWRITE && whole.AllocationProtect == PAGE_READWRITE,
           "VirtualQuery: one private committed PAGE_READWRITE region of 4 MB");
    tap_ok(p && mbi.BaseAddress == p + LARGE && mbi.AllocationBase == p && mbi.RegionSize == LARGE,
           "...from an address in the second page: its page, to the end, the same allocation");
    struct ntk_system_memory m1 = memory();
    tap_eq(m1.large_pages - m0.large_pages, 2, "two 2 MB pages");
    tap_eq(m1.commit_charge - m0.commit_charge, size / PAGE, "charged to the commit limit");
    tap_ok(p && p[0] == 0 && p[size - 1] == 0, "zeroed");
    if (!p)
        return;
    locked_under_pressure(p, size);
    tap_error(VirtualFree(p, LARGE, MEM_DECOMMIT), ERROR_INVALID_ADDRESS,
              "large pages cannot be decommitted");
    tap_error(VirtualFree(p + LARGE, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS,
              "nor released from inside");
    tap_ok(VirtualFree(p, 0, MEM_RELEASE) && query(p).State == MEM_FREE &&
           memory().large_pages == m0.large_pages, "released whole: MEM_FREE, the pages freed");
    no_run();
}

static void huge_page(void)
{
    MEM_EXTENDED_PARAMETER huge = { .Type = MemExtendedParameterAttributeFlags,
                                    .ULong64 = MEM_EXTENDED_PARAMETER_NONPAGED_HUGE };
    SIZE_T size = 1u << 30;
    tap_ok(set_lock_memory(SE_PRIVILEGE_ENABLED), "SeLockMemoryPrivilege enabled");
    tap_error((ULONG_PTR)VirtualAlloc2(NULL, NULL, size + LARGE, MEM_RESERVE | MEM_COMMIT |
                                       MEM_LARGE_PAGES, PAGE_READWRITE, &huge, 1),
              ERROR_INVALID_PARAMETER, "1 GB pages: a size that is not a multiple of 1 GB");
    struct ntk_system_memory m0 = memory();
    BYTE *p = VirtualAlloc2(NULL, NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES,
                            PAGE_READWRITE, &huge, 1);
    ULONG64 pa = p ? physical(GetCurrentProcess(), p) : 1;
    BOOL contiguous_run = p != NULL;
    for (SIZE_T off = 0; contiguous_run && off < size; off += LARGE)
        contiguous_run = physical(GetCurrentProcess(), p + off + 8) == pa + off + 8;
    tap_ok(p && (ULONG_PTR)p % size == 0 && pa % size == 0 && contiguous_run,
           "a 1 GB page: aligned to 1 GB, virtually and physically, one run");
    MEMORY_BASIC_INFORMATION mbi = query(p);
    tap_ok(mbi.RegionSize == size && mbi.Type == MEM_PRIVATE && mbi.State == MEM_COMMIT,
           "VirtualQuery: one private committed region of 1 GB");
    tap_eq(memory().large_pages - m0.large_pages, 512, "it counts as 512 2 MB pages");
    if (p)
        p[size - 1] = 7, p[0] = 9;
    tap_ok(p && p[size - 1] == 7 && p[0] == 9 && p[size / 2] == 0, "written at both ends");
    tap_ok(p && VirtualFree(p, 0, MEM_RELEASE) && memory().large_pages == m0.large_pages,
           "released");
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child"))
        return child(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "hog"))
        return hog_child(atoi(argv[2]));
    probe_init();
    if (argc == 2 && !strcmp(argv[1], "files")) {
        tap_plan(102);
        files();
        file_mappings();
        named_mappings();
        two_processes();
    } else if (argc == 2 && !strcmp(argv[1], "pressure")) {
        tap_plan(31);
        large_pages();
    } else if (argc == 2 && !strcmp(argv[1], "huge")) {
        tap_plan(7);
        huge_page();
    } else {
        printf("usage: test_mapped.exe files | pressure | huge\n");
        return 2;
    }
    return tap_done();
}
