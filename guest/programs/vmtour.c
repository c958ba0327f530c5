/*
 * vmtour - a tour of this process's address space: VirtualQuery from
 * address 0 to the top of user space, one line per region, with what each
 * region is (docs/programs.md, "vmtour").  Like the tables in Windows
 * Internals: base, size, state, type, protection, allocation base, and the
 * region's owner - the EXE and the DLLs section by section (named from the
 * images' own section tables), the PEB, the process parameters, each
 * thread's TEB and stack (committed part, guard page, reserve), the
 * process heap, a region this program allocates itself.  A second thread
 * runs during the tour so that two TEBs and two stacks show.
 *
 * Only Win32 calls and Windows x64 layouts: it builds for Windows too.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#define TEB_PEB 0x60                 /* TEB.ProcessEnvironmentBlock */
#define TEB_STACK_BASE 0x08          /* TEB.NtTib.StackBase */
#define TEB_DEALLOCATION_STACK 0x1478 /* TEB.DeallocationStack: the stack's reservation */
#define PEB_PROCESS_PARAMETERS 0x20

struct thread_info {
    BYTE *teb;
    BYTE *stack_reservation;
    volatile LONG ready, done;
};

static struct thread_info threads[2];
static BYTE *own_region;

static void note_thread(struct thread_info *t)
{
    t->teb = (BYTE *)NtCurrentTeb();
    t->stack_reservation = *(BYTE **)(t->teb + TEB_DEALLOCATION_STACK);
}

static DWORD WINAPI worker(LPVOID arg)
{
    struct thread_info *t = arg;
    note_thread(t);
    t->ready = 1;
    while (!t->done)
        Sleep(1);
    return 0;
}

/* ---- naming ---- */

static const char *state_name(DWORD s)
{
    return s == MEM_COMMIT ? "commit" : s == MEM_RESERVE ? "reserve" : "free";
}

static const char *type_name(DWORD t)
{
    return t == MEM_IMAGE ? "image" : t == MEM_MAPPED ? "mapped" : t == MEM_PRIVATE ? "private"
                                                                                    : "";
}

static void protect_name(DWORD p, char *out, size_t len)
{
    static const struct {
        DWORD bit;
        const char *name;
    } base[] = {
        { PAGE_NOACCESS, "NOACCESS" },        { PAGE_READONLY, "READONLY" },
        { PAGE_READWRITE, "READWRITE" },      { PAGE_WRITECOPY, "WRITECOPY" },
        { PAGE_EXECUTE, "EXECUTE" },          { PAGE_EXECUTE_READ, "EXECUTE_READ" },
        { PAGE_EXECUTE_READWRITE, "EXECUTE_READWRITE" },
        { PAGE_EXECUTE_WRITECOPY, "EXECUTE_WRITECOPY" },
    };
    out[0] = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        if (p & base[i].bit)
            snprintf(out, len, "%s", base[i].name);
    size_t n = strlen(out);
    if (p & PAGE_GUARD)
        snprintf(out + n, len - n, "+GUARD");
    n = strlen(out);
    if (p & PAGE_NOCACHE)
        snprintf(out + n, len - n, "+NOCACHE");
}

/* "64 KB", "2 MB", "127.9 TB": the largest unit the size reaches, with
 * tenths when it is not a whole number of them. */
static void size_name(ULONGLONG size, char *out, size_t len)
{
    static const char *const units[] = { "KB", "MB", "GB", "TB" };
    unsigned u = 0;
    while (u < 3 && size >> (10 * (u + 2)))
        u++;
    unsigned shift = 10 * (u + 1);
    ULONGLONG whole = size >> shift, tenths = ((size & ((1ull << shift) - 1)) * 10) >> shift;
    if (size & ((1ull << shift) - 1))
        snprintf(out, len, "%llu.%llu %s", whole, tenths, units[u]);
    else
        snprintf(out, len, "%llu %s", whole, units[u]);
}

/* The sections of image `base` that region m covers, from the image's
 * section table (the headers are mapped read-only at its base). */
static void section_names(BYTE *base, const MEMORY_BASIC_INFORMATION *m, char *out, size_t len)
{
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    IMAGE_SECTION_HEADER *s = IMAGE_FIRST_SECTION(nt);
    ULONG_PTR lo = (ULONG_PTR)((BYTE *)m->BaseAddress - base), hi = lo + m->RegionSize;
    size_t n = 0;
    out[0] = 0;
    if (lo < nt->OptionalHeader.SizeOfHeaders)
        n += (size_t)snprintf(out, len, "headers");
    for (unsigned i = 0; i < nt->FileHeader.NumberOfSections && n < len; i++) {
        ULONG_PTR size = s[i].Misc.VirtualSize ? s[i].Misc.VirtualSize : s[i].SizeOfRawData;
        if (s[i].VirtualAddress < hi && s[i].VirtualAddress + size > lo)
            n += (size_t)snprintf(out + n, len - n, "%s%.8s", n ? ", " : "",
                                  (const char *)s[i].Name);
    }
}

static const char *image_name(BYTE *alloc)
{
    if (alloc == (BYTE *)GetModuleHandleA(NULL))
        return "vmtour.exe";
    if (alloc == (BYTE *)GetModuleHandleA("ntdll.dll"))
        return "ntdll.dll";
    if (alloc == (BYTE *)GetModuleHandleA("kernel32.dll"))
        return "kernel32.dll";
    return "an image";
}

static BOOL inside(const MEMORY_BASIC_INFORMATION *m, const void *a)
{
    return (const BYTE *)a >= (const BYTE *)m->BaseAddress &&
           (const BYTE *)a < (const BYTE *)m->BaseAddress + m->RegionSize;
}

/* What the region is. */
static void describe(const MEMORY_BASIC_INFORMATION *m, char *out, size_t len)
{
    BYTE *alloc = m->AllocationBase, *peb = *(BYTE **)((BYTE *)NtCurrentTeb() + TEB_PEB);
    char sect[64];
    if (m->State == MEM_FREE) {
        snprintf(out, len, (ULONG_PTR)m->BaseAddress < 0x10000 ? "free (below 64 KB: never "
                                                                 "allocated)" : "free");
        return;
    }
    if (m->Type == MEM_IMAGE) {
        section_names(alloc, m, sect, sizeof sect);
        snprintf(out, len, "%s %s", image_name(alloc), sect);
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (inside(m, threads[i].teb)) {
            snprintf(out, len, "TEB of thread %d", i + 1);
            return;
        }
        if (alloc == threads[i].stack_reservation) {
            snprintf(out, len, "stack of thread %d%s", i + 1,
                     m->State == MEM_RESERVE ? " (reserved: room to grow)"
                     : (m->Protect & PAGE_GUARD) ? " (guard page)" : "");
            return;
        }
    }
    if (inside(m, peb))
        snprintf(out, len, "PEB");
    else if (inside(m, *(void **)(peb + PEB_PROCESS_PARAMETERS)))
        snprintf(out, len, "process parameters (command line, image path)");
    else if (alloc == (BYTE *)GetProcessHeap())
        snprintf(out, len, "process heap");
    else if (alloc == own_region)
        snprintf(out, len, "VirtualAlloc: 1 MB reserved, first 64 KB committed");
    else
        snprintf(out, len, "not this program's (reserved by the system)");
}

/* ---- the tour ---- */

struct totals {
    ULONGLONG committed[3], reserved, free; /* committed: image, private, other */
    unsigned regions;
};

static void print_region(const MEMORY_BASIC_INFORMATION *m, struct totals *t)
{
    char prot[32], size[24], what[96];
    protect_name(m->State == MEM_COMMIT ? m->Protect : 0, prot, sizeof prot);
    size_name(m->RegionSize, size, sizeof size);
    describe(m, what, sizeof what);
    char alloc[16] = "";
    if (m->State != MEM_FREE)
        snprintf(alloc, sizeof alloc, "%012llx", (ULONGLONG)(ULONG_PTR)m->AllocationBase);
    printf("%012llx %12llx %10s  %-7s %-7s %-18s %-12s  %s\n", (ULONGLONG)(ULONG_PTR)m->BaseAddress,
           (ULONGLONG)m->RegionSize, size, state_name(m->State), type_name(m->Type), prot, alloc,
           what);
    t->regions++;
    if (m->State == MEM_FREE)
        t->free += m->RegionSize;
    else if (m->State == MEM_RESERVE)
        t->reserved += m->RegionSize;
    else
        t->committed[m->Type == MEM_IMAGE ? 0 : m->Type == MEM_PRIVATE ? 1 : 2] += m->RegionSize;
}

static void tour(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    struct totals t = { { 0 }, 0, 0, 0 };
    printf("%-12s %12s %10s  %-7s %-7s %-18s %-12s  %s\n", "base", "size", "", "state", "type",
           "protection", "alloc base", "what");
    MEMORY_BASIC_INFORMATION m;
    for (ULONG_PTR a = 0; a <= (ULONG_PTR)si.lpMaximumApplicationAddress;
         a = (ULONG_PTR)m.BaseAddress + m.RegionSize) {
        if (!VirtualQuery((LPCVOID)a, &m, sizeof m)) {
            printf("VirtualQuery(%llx) failed: error %lu\n", (ULONGLONG)a, GetLastError());
            break;
        }
        print_region(&m, &t);
    }
    printf("\n%u regions; committed: %llu KB image, %llu KB private; reserved %llu KB; "
           "free %llu KB\n", t.regions, t.committed[0] >> 10, t.committed[1] >> 10,
           t.reserved >> 10, t.free >> 10);
}

int main(void)
{
    printf("vmtour: the address space of process %lu, region by region (VirtualQuery)\n\n",
           GetCurrentProcessId());
    own_region = VirtualAlloc(NULL, 1 << 20, MEM_RESERVE, PAGE_READWRITE);
    if (!own_region || !VirtualAlloc(own_region, 64 << 10, MEM_COMMIT, PAGE_READWRITE))
        return 1;
    own_region[0] = 1;
    void *heap_block = HeapAlloc(GetProcessHeap(), 0, 100);
    note_thread(&threads[0]);
    HANDLE h = CreateThread(NULL, 0, worker, &threads[1], 0, NULL);
    if (!h || !heap_block)
        return 1;
    while (!threads[1].ready)
        Sleep(1);
    tour();
    threads[1].done = 1;
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
    return 0;
}
